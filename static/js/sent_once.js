// Every page, the customer's (base.html) and the branch's (admin/base_site.html): a form that posts is sent
// once. A second press (a double click, Enter pressed again) while the first is on its way would send it
// again, and on a slow line the server would then see two requests: two logins and two ログインのお知らせ, a
// second 実行, a branch operation sent twice. The server still answers a second request as the first; this
// spares the customer and the clerk it. A page the browser brings back from its cache can be sent again.
// (Forms that get are left alone: a search or a period sent twice changes nothing.)
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
