/* The thank-you page: remember in this browser that the reader gave, so that the appeal
   on article pages (support/appeal.js) thanks instead of asking, for data-thanks-days.
   Kept in localStorage only: nothing is sent anywhere. */
(function () {
  "use strict";
  var page = document.querySelector("[data-thanks-days]");
  if (!page) return;
  var days = parseInt(page.getAttribute("data-thanks-days"), 10) || 90;
  try {
    window.localStorage.setItem("gazette.support.thanksUntil", String(Date.now() + days * 86400000));
    window.localStorage.removeItem("gazette.support.remindAfter");
  } catch (error) {
    /* storage refused: the appeal will ask again, which is all that is lost */
  }
})();
