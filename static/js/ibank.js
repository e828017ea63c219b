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

// Every page: a form is sent once. A second press (a double click, Enter pressed again) while the first is
// on its way would send it again, and on a slow line the server would then see two requests: two logins
// and two ログインのお知らせ, or a second 実行 told that its code was used. The server still answers a second
// request correctly; this spares the customer it. A page brought back by the browser's back button can be
// sent again. (Only forms that post: a search or a period sent twice changes nothing.)
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) {
      sent[i].removeAttribute("data-sent");
      sent[i].removeAttribute("aria-busy");
    }
  });
})();
