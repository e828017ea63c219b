// ソフトウェアキーボード: an on-screen keyboard for password fields, so that a
// key logger sees no keystrokes. The key order is shuffled at every opening.
(function () {
  "use strict";

  var DIGITS = "0123456789";
  var LETTERS = "abcdefghijklmnopqrstuvwxyz";

  function randomInt(n) {
    // Uniform in [0, n) without modulo bias.
    var buf = new Uint32Array(1);
    var limit = Math.floor(0x100000000 / n) * n;
    do {
      window.crypto.getRandomValues(buf);
    } while (buf[0] >= limit);
    return buf[0] % n;
  }

  function shuffled(chars) {
    var keys = chars.split("");
    for (var i = keys.length - 1; i > 0; i--) {
      var j = randomInt(i + 1);
      var tmp = keys[i];
      keys[i] = keys[j];
      keys[j] = tmp;
    }
    return keys;
  }

  function button(label, className, onClick, ariaLabel) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
    b.addEventListener("click", onClick);
    return b;
  }

  function row(keys) {
    var r = document.createElement("div");
    r.className = "softkeyboard-row";
    keys.forEach(function (k) { r.appendChild(k); });
    return r;
  }

  function setup(toggle) {
    var input = document.getElementById(toggle.getAttribute("data-softkeyboard-for"));
    var panel = document.getElementById("softkeyboard-" + input.id);
    var upper = false;
    var maxLength = parseInt(input.getAttribute("maxlength") || "0", 10);

    function type(ch) {
      if (maxLength && input.value.length >= maxLength) return;
      input.value += ch;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function close() {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }

    function render(reshuffle) {
      if (reshuffle) {
        panel._digits = shuffled(DIGITS);
        panel._letters = shuffled(LETTERS);
      }
      panel.textContent = "";
      var keyOf = function (ch) {
        var shown = upper ? ch.toUpperCase() : ch;
        return button(shown, "key", function () { type(shown); });
      };
      panel.appendChild(row(panel._digits.map(keyOf)));
      for (var i = 0; i < panel._letters.length; i += 9) {
        panel.appendChild(row(panel._letters.slice(i, i + 9).map(keyOf)));
      }
      panel.appendChild(row([
        button(upper ? "abc" : "ABC", "key wide", function () { upper = !upper; render(false); }),
        button("←", "key wide", function () {
          input.value = input.value.slice(0, -1);
        }, panel.getAttribute("data-label-backspace")),
        button(panel.getAttribute("data-label-clear"), "key wide", function () { input.value = ""; }),
        button(panel.getAttribute("data-label-close"), "key wide", close),
      ]));
    }

    toggle.addEventListener("click", function () {
      if (panel.hidden) {
        render(true);
        panel.hidden = false;
        toggle.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    });
  }

  document.querySelectorAll("[data-softkeyboard-for]").forEach(setup);
})();
