/* Copy buttons of the referral share box (templates/referrals/includes/share.html).
   Without JavaScript or a clipboard the buttons stay hidden and the text stays selectable. */
(function () {
  "use strict";
  function init() {
    if (!navigator.clipboard) { return; }
    document.querySelectorAll("[data-share]").forEach(function (root) {
      var status = root.querySelector(".share__status");
      root.querySelectorAll("[data-copy]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          navigator.clipboard.writeText(button.dataset.copy).then(function () {
            status.textContent = root.dataset.copied;
          }, function () {
            status.textContent = root.dataset.copyFailed;
          });
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
