/* The donation appeal and form. Whether the appeal shows is decided here, from
   localStorage only: no cookie and no request, so that it works on cached pages and
   mirrors. "Remind me later" hides it for data-remind-days; after a donation
   (support/thanks.js) a thank-you replaces it for as long as the thank-you page said;
   and it shows on at most every data-show-every-th article a reader opens.
   Without this script the appeal always shows, and the form works as a plain form. */
(function () {
  "use strict";

  var KEY = "gazette.support.";
  var DAY = 86400000;

  function read(name) {
    try {
      return parseInt(window.localStorage.getItem(KEY + name), 10) || 0;
    } catch (error) {
      return 0; // storage refused (private modes, strict settings): the appeal just shows
    }
  }

  function write(name, value) {
    try {
      window.localStorage.setItem(KEY + name, String(value));
    } catch (error) {
      /* nothing kept; the appeal shows again next time */
    }
  }

  function decide(appeal) {
    var now = Date.now();
    var ask = appeal.querySelector(".appeal__ask");
    var thanks = appeal.querySelector(".appeal__thanks");
    if (read("thanksUntil") > now) {
      ask.hidden = true;
      thanks.hidden = false;
      appeal.setAttribute("data-state", "thanks");
      return;
    }
    if (read("remindAfter") > now) {
      appeal.hidden = true;
      appeal.setAttribute("data-state", "later");
      return;
    }
    // Only views where the appeal could show count, so that it returns on the first
    // article after a reminder's days are over.
    var every = Math.max(1, parseInt(appeal.getAttribute("data-show-every"), 10) || 1);
    var views = read("views") + 1;
    write("views", views);
    if ((views - 1) % every !== 0) {
      appeal.hidden = true;
      appeal.setAttribute("data-state", "capped");
      return;
    }
    appeal.setAttribute("data-state", "shown");
    var later = appeal.querySelector(".appeal__later");
    later.hidden = false;
    later.querySelector("button").addEventListener("click", function () {
      var days = parseInt(appeal.getAttribute("data-remind-days"), 10) || 7;
      write("remindAfter", Date.now() + days * DAY);
      appeal.hidden = true;
      appeal.setAttribute("data-state", "later");
    });
  }

  function amountOf(form) {
    var custom = form.querySelector('input[name="custom_amount"]');
    if (custom && custom.value.trim()) {
      return parseFloat(custom.value.trim().replace(",", "."));
    }
    var preset = form.querySelector('input[name="amount"]:checked');
    return preset ? parseFloat(preset.value) : NaN;
  }

  function enhance(form) {
    form.classList.add("donation-form--js");
    var groups = form.querySelectorAll(".donation-form__presets");
    var custom = form.querySelector('input[name="custom_amount"]');
    var currency = form.querySelector('select[name="currency"]');
    var fee = form.querySelector(".donation-form__fee-amount");

    function symbol() {
      var option = currency && currency.options[currency.selectedIndex];
      return option ? option.getAttribute("data-symbol") : "";
    }

    function showFee() {
      if (!fee) return;
      var amount = amountOf(form);
      var percent = parseFloat(form.getAttribute("data-fee-percent"));
      var fixed = parseFloat(form.getAttribute("data-fee-fixed"));
      if (!(amount > 0)) return;
      // As SupportSettings.fee_for: what makes the newsroom receive the whole gift.
      var added = (amount + fixed) / (1 - percent / 100) - amount;
      fee.textContent = symbol() + (Math.round(added * 100) / 100).toFixed(2);
    }

    function showPresets() {
      var checked = form.querySelector('input[name="frequency"]:checked');
      var frequency = checked ? checked.value : "";
      var visible = null;
      groups.forEach(function (group) {
        var mine = group.getAttribute("data-frequency") === frequency;
        group.hidden = !mine;
        if (mine) visible = group;
      });
      // A preset of another frequency stays checked when hidden: pick this one's middle.
      var amount = form.querySelector('input[name="amount"]:checked');
      if (visible && amount && amount.closest(".donation-form__presets").hidden) {
        var presets = visible.querySelectorAll('input[name="amount"]');
        if (presets.length) presets[Math.floor(presets.length / 2)].checked = true;
      }
      showFee();
    }

    function showSymbols() {
      form.querySelectorAll(".donation-form__symbol").forEach(function (element) {
        element.textContent = symbol();
      });
      showFee();
    }

    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (name === "frequency") showPresets();
      if (name === "currency") showSymbols();
      if (name === "amount") {
        if (custom) custom.value = "";
        showFee();
      }
    });
    if (custom) {
      custom.addEventListener("input", function () {
        if (custom.value.trim()) {
          form.querySelectorAll('input[name="amount"]').forEach(function (preset) {
            preset.checked = false;
          });
        }
        showFee();
      });
    }
    showPresets();
    showSymbols();
  }

  document.querySelectorAll(".appeal").forEach(decide);
  document.querySelectorAll(".donation-form").forEach(enhance);
})();
