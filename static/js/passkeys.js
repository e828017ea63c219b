// Passkeys (WebAuthn): registration from ご利用環境・パスキー, and the authorization of a transaction whose
// challenge the server derived from what is authorized (payee, amount). No inline script: the options come
// in data attributes, the CSRF token from the page's form.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return { type: c.type, id: toBytes(c.id), transports: c.transports }; });
  }

  function credentialJson(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || null,
    });
  }

  function fail(box) {
    if (box) box.hidden = false;
  }

  // 認証: the challenge is the server's (bound to the transaction); the assertion goes back in the form.
  // The buttons come disabled (they do nothing without this script) and are enabled once it listens.
  var authorize = document.getElementById("passkey-authorize");
  if (authorize) {
    authorize.disabled = false;
    authorize.addEventListener("click", function () {
      var form = authorize.form;
      var error = form.querySelector(".passkey-error");
      var options = JSON.parse(authorize.getAttribute("data-options"));
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      authorize.disabled = true;
      navigator.credentials.get({ publicKey: options }).then(function (credential) {
        form.querySelector('input[name="passkey_assertion"]').value = credentialJson(credential);
        form.submit();
      }).catch(function () {
        authorize.disabled = false;
        fail(error);
      });
    });
  }

  // 登録: begin (the server's options) → the authenticator → complete.
  var register = document.getElementById("passkey-register");
  if (register) {
    register.disabled = false;
    register.addEventListener("click", function () {
      var csrf = register.form.querySelector('input[name="csrfmiddlewaretoken"]').value;
      var error = document.querySelector(".passkey-error");
      var post = function (url, body) {
        return fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: body,
        }).then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
      };
      register.disabled = true;
      post(register.getAttribute("data-begin-url"), "{}").then(function (options) {
        options.challenge = toBytes(options.challenge);
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = descriptors(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options });
      }).then(function (credential) {
        return post(register.getAttribute("data-complete-url"), credentialJson(credential));
      }).then(function () {
        window.location.assign(register.getAttribute("data-done-url"));
      }).catch(function () {
        register.disabled = false;
        fail(error);
      });
    });
  }
})();
