// Light enhancement of the quiz pages; everything works without it.
// - focus the question so screen readers announce each new screen;
// - on "choose up to N" questions, disable the other boxes once N are ticked;
// - stop a double tap from sending an answer twice.
(function () {
  "use strict";
  var form = document.querySelector(".quiz__form");
  if (!form) { return; }
  var heading = document.getElementById("question-text");
  var invalid = form.querySelector("[aria-invalid='true'], .field--invalid input");
  if (invalid) { invalid.focus(); } else if (heading) { heading.focus({ preventScroll: true }); }

  var max = parseInt(form.getAttribute("data-max-choices") || "0", 10);
  if (max > 0) {
    var boxes = form.querySelectorAll("input[type='checkbox'][name='answer']");
    var limit = function () {
      var ticked = form.querySelectorAll("input[type='checkbox'][name='answer']:checked").length;
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked >= max; });
    };
    boxes.forEach(function (box) { box.addEventListener("change", limit); });
    limit();
  }

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type='submit']");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
}());
