/* Copy buttons: "copy this to the clipboard and say so", for voucher codes and referral links.

   Markup (the text stays in a visible read-only field, so it can be selected without JavaScript):
     <div data-copied="{% translate 'Copied' %}" data-copy-failed="{% translate '...' %}">
       <input id="voucher-7" value="SPRING-7Q2X" readonly>
       <button type="button" data-copy="voucher-7" hidden>{% translate "Copy" %}</button>
     </div>
   data-copy is the id of the read-only field whose value is copied; the feedback texts are read
   from the nearest element carrying them, so a template writes them once per box.

   On a click the button's own text says "Copied" for a moment, and a polite live region next to
   it says the same to screen readers (a button's changed name is not reliably announced). If the
   Clipboard API is missing or refused, the text is selected so the shopper can copy it by hand.
   A page may include this script once per panel: each button is set up only once. */
(function () {
  "use strict";
  var FEEDBACK_MS = 2000;

  function setUp(button) {
    var target = document.getElementById(button.dataset.copy);
    var texts = button.closest("[data-copied]");
    if (!target || !texts || button.dataset.copyReady) { return; }
    button.dataset.copyReady = "true";

    var label = button.textContent;
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    button.after(status);
    var timer = null;

    function say(message) {
      window.clearTimeout(timer);
      button.textContent = message;
      status.textContent = message;
      timer = window.setTimeout(function () {
        button.textContent = label;
        status.textContent = "";
      }, FEEDBACK_MS);
    }

    button.addEventListener("click", function () {
      var copied = navigator.clipboard
        ? navigator.clipboard.writeText(target.value)
        : Promise.reject(new Error("no Clipboard API"));
      copied.then(function () {
        say(texts.dataset.copied);
      }, function () {
        target.focus();
        target.select();
        say(texts.dataset.copyFailed);
      });
    });
    button.hidden = false;
  }

  function init() {
    document.querySelectorAll("button[data-copy]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
