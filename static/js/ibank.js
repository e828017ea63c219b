// Every page: after a refused form, focus goes where the customer must look; on a code page, to the code.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main) return;
  // The error summary (a message about the whole form, or a lock) first; otherwise the first invalid field.
  var summary = main.querySelector(".form-errors");
  var invalid = main.querySelector('[aria-invalid="true"]');
  var target = summary || invalid;
  if (target === summary && summary) {
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
  }
  if (!target) {
    // A page that asks for a one-time password: the cursor is in its field.
    target = main.querySelector('input[autocomplete="one-time-code"]');
  }
  if (target) target.focus();
})();
