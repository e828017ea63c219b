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

  function row(keys, kind) {
    var r = document.createElement("div");
    r.className = "softkeyboard-row " + kind;
    keys.forEach(function (k) { r.appendChild(k); });
    return r;
  }

  function setup(toggle) {
    var input = document.getElementById(toggle.getAttribute("data-softkeyboard-for"));
    var panel = document.getElementById("softkeyboard-" + input.id);
    var live = document.getElementById("softkeyboard-live-" + input.id);
    var upper = false;
    var maxLength = parseInt(input.getAttribute("maxlength") || "0", 10);
    var active = 0; // the one key in the tab order (a roving tabindex)

    // Announce what happened, never which character (a screen reader user may be overheard).
    function announce(label) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = label; }, 30);
    }

    function type(ch) {
      if (maxLength && input.value.length >= maxLength) {
        announce(panel.getAttribute("data-label-full"));
        return;
      }
      input.value += ch;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      announce(panel.getAttribute("data-label-typed"));
    }

    function keys() {
      return Array.prototype.slice.call(panel.querySelectorAll("button.key"));
    }

    function focusKey(index) {
      var all = keys();
      if (!all.length) return;
      active = Math.max(0, Math.min(index, all.length - 1));
      all.forEach(function (k, i) { k.tabIndex = i === active ? 0 : -1; });
      all[active].focus();
    }

    // Up / down: the key of the row above / below nearest in position.
    function vertical(from, direction) {
      var all = keys();
      var here = all[from].getBoundingClientRect();
      var best = -1, bestScore = Infinity;
      all.forEach(function (k, i) {
        var r = k.getBoundingClientRect();
        var dy = (r.top - here.top) * direction;
        if (dy <= 1) return;
        var score = dy * 1000 + Math.abs(r.left - here.left);
        if (score < bestScore) { bestScore = score; best = i; }
      });
      return best < 0 ? from : best;
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
        active = 0;
      }
      panel.textContent = "";
      var keyOf = function (ch) {
        var shown = upper ? ch.toUpperCase() : ch;
        return button(shown, "key", function () { type(shown); });
      };
      panel.appendChild(row(panel._digits.map(keyOf), "digits"));
      panel.appendChild(row(panel._letters.map(keyOf), "letters"));
      panel.appendChild(row([
        button(upper ? "abc" : "ABC", "key wide", function () {
          upper = !upper;
          var at = active;
          render(false);
          focusKey(at);
          announce(panel.getAttribute(upper ? "data-label-upper" : "data-label-lower"));
        }),
        button("←", "key wide", function () {
          input.value = input.value.slice(0, -1);
          announce(panel.getAttribute("data-label-deleted"));
        }, panel.getAttribute("data-label-backspace")),
        button(panel.getAttribute("data-label-clear"), "key wide", function () {
          input.value = "";
          announce(panel.getAttribute("data-label-cleared"));
        }),
        button(panel.getAttribute("data-label-close"), "key wide", close),
      ], "controls"));
      keys().forEach(function (k, i) {
        k.tabIndex = i === active ? 0 : -1;
        k.addEventListener("focus", function () { active = i; });
      });
    }

    panel.addEventListener("keydown", function (event) {
      var all = keys();
      var index = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        return;
      }
      if (index < 0) return;
      var next = {
        ArrowRight: index + 1,
        ArrowLeft: index - 1,
        Home: 0,
        End: all.length - 1,
        ArrowDown: event.key === "ArrowDown" ? vertical(index, 1) : null,
        ArrowUp: event.key === "ArrowUp" ? vertical(index, -1) : null,
      }[event.key];
      if (next === undefined || next === null) return;
      event.preventDefault();
      focusKey((next + all.length) % all.length);
    });

    toggle.addEventListener("click", function () {
      if (panel.hidden) {
        render(true);
        panel.hidden = false;
        toggle.setAttribute("aria-expanded", "true");
        focusKey(0);
      } else {
        close();
      }
    });
  }

  document.querySelectorAll("[data-softkeyboard-for]").forEach(setup);
})();
