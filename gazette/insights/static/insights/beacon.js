/* Counts this page view for the newsroom's own figures (gazette/insights): sends the
   page's path to this same site, and nothing else. No cookie, no storage, no identifier;
   on a mirror without the endpoint the request just fails, unseen.
   Nothing is sent when the reader asks not to be tracked (Global Privacy Control or Do Not
   Track): readers who may be at risk for reading us decide. */
(function () {
  "use strict";

  if (navigator.globalPrivacyControl === true || navigator.doNotTrack === "1") {
    return;
  }
  if (!navigator.sendBeacon || location.protocol === "file:") {
    return;
  }

  function send() {
    // Relative to the host the page came from: the site, a mirror or an onion address.
    navigator.sendBeacon("/insights/hit", location.pathname);
  }

  // A page the browser prerenders is counted only if the reader actually opens it.
  if (document.prerendering) {
    document.addEventListener("prerenderingchange", send, { once: true });
  } else {
    send();
  }
})();
