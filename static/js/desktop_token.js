// デスクトップ型トークン (PC一体型, like VIP Access Desktop).
//
// Provisioning: the issuance response carries the key once; this script imports
// it into Web Crypto as a NON-EXTRACTABLE HMAC-SHA1 key, stores that key in
// IndexedDB, and leaves for the token page. From then on the code is computed
// here (RFC 6238: 6 digits, 30 s, T0 = 0); the key never goes back to the server
// and not even this page's scripts can read its bytes again.
(function () {
  "use strict";

  var DB_NAME = "ibank-desktop-token";
  var STORE = "tokens";
  var PERIOD = 30;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "tokenId" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function base32ToBytes(text) {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    var bits = 0, value = 0, out = [];
    text = text.replace(/=+$/, "").toUpperCase();
    for (var i = 0; i < text.length; i++) {
      var idx = alphabet.indexOf(text[i]);
      if (idx < 0) throw new Error("invalid base32");
      value = (value << 5) | idx;
      bits += 5;
      if (bits >= 8) {
        out.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return new Uint8Array(out);
  }

  function code(key, epochSeconds) {
    var counter = Math.floor(epochSeconds / PERIOD);
    var message = new ArrayBuffer(8);
    var view = new DataView(message);
    view.setUint32(0, Math.floor(counter / 0x100000000));
    view.setUint32(4, counter >>> 0);
    return crypto.subtle.sign("HMAC", key, message).then(function (sig) {
      var mac = new Uint8Array(sig);
      var offset = mac[mac.length - 1] & 0x0f;
      var binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
      return String(binary % 1000000).padStart(6, "0");
    });
  }

  function provision(el) {
    var secret = base32ToBytes(el.getAttribute("data-secret"));
    el.removeAttribute("data-secret");
    return crypto.subtle
      .importKey("raw", secret, { name: "HMAC", hash: "SHA-1" }, false, ["sign"])
      .then(function (key) {
        var record = {
          tokenId: el.getAttribute("data-token-id"),
          issuer: el.getAttribute("data-issuer"),
          key: key,
          addedAt: Date.now(),
        };
        return tx("readwrite", function (store) { return store.put(record); });
      })
      .then(function () { window.location.replace(el.getAttribute("data-next")); });
  }

  function copyButton(labels, getText) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small copy";
    b.textContent = labels.copy;
    b.addEventListener("click", function () {
      var text = getText();
      var done = function () {
        b.textContent = labels.copied;
        setTimeout(function () { b.textContent = labels.copy; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, done);
      } else {
        done();
      }
    });
    return b;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // Ask the server whether this token still works, proving we hold its key (an HMAC, never a code), and
  // what a code would authorize now (a proof of the current 30-second step: it stops working within a minute).
  function status(statusUrl, record) {
    var enc = new TextEncoder();
    var step = Math.floor(Date.now() / 1000 / PERIOD);
    return Promise.all([
      crypto.subtle.sign("HMAC", record.key, enc.encode("ibank-token-status:" + record.tokenId)),
      crypto.subtle.sign("HMAC", record.key, enc.encode("ibank-token-authorizing:" + record.tokenId + ":" + step)),
    ]).then(function (sigs) {
      var url = statusUrl + "?token_id=" + encodeURIComponent(record.tokenId) + "&proof=" + hex(sigs[0]) +
        "&now=" + hex(sigs[1]);
      return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { state: "?" }; });
    });
  }

  // The transactions a code of this token would authorize now: payee and amount beside the code, so that a
  // customer sees what they are about to let through (a relayed transfer shows the attacker's payee here).
  function renderAuthorizing(box, labels, items) {
    box.textContent = "";
    box.hidden = !items || items.length === 0;
    if (box.hidden) return;
    var heading = document.createElement("h3");
    heading.textContent = labels.authorizing;
    box.appendChild(heading);
    items.forEach(function (item) {
      var facts = document.createElement("dl");
      facts.className = "authorizing-item";
      [[labels.payee, item.payee, "authorizing-payee"], [labels.amount, labels.yen.replace("{n}", item.amount), "authorizing-amount"]].forEach(function (pair) {
        var dt = document.createElement("dt");
        dt.textContent = pair[0];
        var dd = document.createElement("dd");
        dd.className = pair[2];
        dd.textContent = pair[1];
        facts.appendChild(dt);
        facts.appendChild(dd);
      });
      box.appendChild(facts);
    });
    var warn = document.createElement("p");
    warn.className = "important";
    warn.textContent = labels.authorizingWarning;
    box.appendChild(warn);
  }

  function renderToken(container, labels, record) {
    var card = document.createElement("section");
    card.className = "panel desktop-token";
    card.setAttribute("data-token-id", record.tokenId);
    var title = document.createElement("h2");
    title.textContent = labels.title;
    card.appendChild(title);

    function row(label, valueClass) {
      var line = document.createElement("div");
      line.className = "token-row";
      var name = document.createElement("span");
      name.className = "token-label";
      name.textContent = label;
      var value = document.createElement("output");
      value.className = valueClass;
      line.appendChild(name);
      line.appendChild(value);
      line.appendChild(copyButton(labels, function () { return value.textContent; }));
      card.appendChild(line);
      return value;
    }

    var idOut = row(labels.tokenId, "token-id");
    idOut.textContent = record.tokenId;
    var note = document.createElement("p");
    note.className = "notice token-state";
    note.hidden = true;
    card.appendChild(note);
    var codeOut = row(labels.code, "token-code");
    codeOut.setAttribute("aria-live", "polite");
    var codeRow = codeOut.parentNode;
    var progress = document.createElement("progress");
    progress.max = PERIOD;
    progress.className = "countdown";
    progress.setAttribute("aria-label", labels.code);
    var remaining = document.createElement("span");
    remaining.className = "remaining";
    card.appendChild(progress);
    card.appendChild(remaining);
    var authorizing = document.createElement("section");
    authorizing.className = "authorizing notice";
    authorizing.setAttribute("aria-live", "polite");
    authorizing.hidden = true;
    card.appendChild(authorizing);
    container.appendChild(card);

    var lastStep = null;
    var timer = null;
    function tick() {
      var now = Date.now() / 1000;
      var step = Math.floor(now / PERIOD);
      var left = PERIOD - Math.floor(now % PERIOD);
      progress.value = left;
      remaining.textContent = labels.remaining.replace("{s}", String(left));
      if (step !== lastStep) {
        lastStep = step;
        code(record.key, now).then(function (c) { codeOut.textContent = c; });
      }
    }
    tick();
    timer = setInterval(tick, 1000);

    function refresh() {
      return status(labels.statusUrl, record).then(function (answer) {
        if (answer.state === "registered") renderAuthorizing(authorizing, labels, answer.authorizing);
        return answer;
      });
    }
    // While the page is open, what the code would authorize is asked again every few seconds.
    var poll = setInterval(function () {
      if (!document.hidden) refresh().catch(function () { /* offline */ });
    }, 5000);
    refresh().then(function (answer) {
      if (answer.state === "void" || answer.state === "unknown") {
        clearInterval(poll);
        // Stopped, reset, exchanged or expired: no live codes for a token that can no longer be used.
        clearInterval(timer);
        codeRow.remove();
        progress.remove();
        remaining.remove();
        note.textContent = labels.void;
        note.hidden = false;
        card.classList.add("void");
      } else if (answer.state === "unregistered") {
        note.textContent = labels.unregistered;
        note.hidden = false;
      }
    }).catch(function () { /* offline: the codes are still right */ });
    return card;
  }

  function addRemoveButton(list, labels, record, card, container) {
    var item = document.createElement("li");
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "danger remove";
    remove.textContent = labels.remove.replace("{id}", record.tokenId);
    remove.addEventListener("click", function () {
      if (!window.confirm(labels.confirmRemove)) return;
      tx("readwrite", function (store) { return store.delete(record.tokenId); }).then(function () {
        card.remove();
        item.remove();
        showEmptyIfNone(container);
      });
    });
    item.appendChild(remove);
    list.appendChild(item);
  }

  function showEmptyIfNone(container) {
    var none = container.querySelector(".desktop-token") === null;
    document.getElementById("desktop-empty").hidden = !none;
    var removal = document.getElementById("desktop-remove");
    if (removal) removal.hidden = none;
  }

  function showTokens(container) {
    var labels = {
      title: container.getAttribute("data-title"),
      statusUrl: container.getAttribute("data-status-url"),
      copy: container.getAttribute("data-label-copy"),
      copied: container.getAttribute("data-label-copied"),
      tokenId: container.getAttribute("data-label-token-id"),
      code: container.getAttribute("data-label-code"),
      remaining: container.getAttribute("data-label-remaining"),
      remove: container.getAttribute("data-label-remove"),
      confirmRemove: container.getAttribute("data-confirm-remove"),
      void: container.getAttribute("data-label-void"),
      unregistered: container.getAttribute("data-label-unregistered"),
      authorizing: container.getAttribute("data-label-authorizing"),
      authorizingWarning: container.getAttribute("data-label-authorizing-warning"),
      payee: container.getAttribute("data-label-payee"),
      amount: container.getAttribute("data-label-amount"),
      yen: container.getAttribute("data-label-yen"),
    };
    var list = document.getElementById("desktop-remove-list");
    return tx("readonly", function (store) { return store.getAll(); }).then(function (records) {
      records.sort(function (a, b) { return b.addedAt - a.addedAt; });
      records.forEach(function (r) {
        var card = renderToken(container, labels, r);
        if (list) addRemoveButton(list, labels, r, card, container);
      });
      showEmptyIfNone(container);
    });
  }

  function unsupported() {
    var el = document.getElementById("desktop-unsupported");
    if (el) el.hidden = false;
    var status = document.getElementById("provision-status");
    if (status) status.textContent = "";
  }

  if (!window.crypto || !window.crypto.subtle || !window.indexedDB) {
    unsupported();
    return;
  }
  var provisionEl = document.getElementById("desktop-provision");
  if (provisionEl) {
    provision(provisionEl).catch(unsupported);
  }
  var container = document.getElementById("desktop-tokens");
  if (container) {
    showTokens(container).catch(unsupported);
  }
})();
