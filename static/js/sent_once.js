// Every page, the customer's (base.html) and the branch's (admin/base_site.html): a form that posts is sent
// once. A second press (a double click, Enter pressed again) while the first is on its way would send it
// again, and on a slow line the server would then see two requests: two logins and two ログインのお知らせ, a
// second 実行, a branch operation sent twice. The server still answers a second request as the first; this
// spares the customer and the clerk it. Ten seconds after a press that brought no page, or on a page the
// browser brings back from its cache, the form can be sent again: a stalled line, or a press of the
// browser's 中止, must not leave a form that does nothing. (Forms that get are left alone: a search or a
// period sent twice changes nothing.)
// While a form is on its way, the page says so (#sending, a status a screen reader reads out):
// a press that sends nothing is not a press that did nothing. The status is on the page from the start,
// empty and taking no room (the stylesheet's :empty): a live region that is hidden (display: none, the
// hidden attribute) when its text comes is not read out.
(function () {
  "use strict";
  var SENT_FOR_MS = 10000;
  var status = document.getElementById("sending");
  var quiet = null;

  function say(text) {
    if (!status) return;
    status.textContent = text;
    clearTimeout(quiet);
    if (text) quiet = setTimeout(function () { say(""); }, SENT_FOR_MS);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    var sent = Number(form.getAttribute("data-sent"));
    if (sent && Date.now() - sent < SENT_FOR_MS) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", String(Date.now()));
    form.setAttribute("aria-busy", "true");
    if (status) say(status.getAttribute("data-text"));
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    say("");
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) {
      sent[i].removeAttribute("data-sent");
      sent[i].removeAttribute("aria-busy");
    }
  });
})();
