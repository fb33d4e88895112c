// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // A second click while the first submit is on its way would only be refused.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // The phone menu.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var shell = document.querySelector(".shell");
      if (shell) {
        var open = shell.classList.toggle("menu-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
    });
  }
  // Review images: <button data-rotate> turns the image of its <figure> a quarter turn,
  // <button data-zoom> doubles it (and back), so that a scan lying sideways can be read.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-rotate], [data-zoom]");
    if (!button) return;
    var img = button.closest("figure") && button.closest("figure").querySelector("img");
    if (!img) return;
    if (button.hasAttribute("data-rotate")) {
      var turn = ((parseInt(img.getAttribute("data-turn") || "0", 10) + 90) % 360);
      img.setAttribute("data-turn", String(turn));
    } else {
      img.classList.toggle("zoomed");
      button.setAttribute("aria-pressed", img.classList.contains("zoomed") ? "true" : "false");
    }
  });
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (button && navigator.clipboard) {
      navigator.clipboard.writeText(button.getAttribute("data-copy"));
    }
  });
  // Controls that work only with this script: <… hidden data-needs-script>.
  document.querySelectorAll("[data-needs-script]").forEach(function (el) { el.hidden = false; });
  // "Select all on this page": <input type="checkbox" data-select-all="NAME"> ticks every
  // checkbox named NAME and follows them (partly ticked when some are).
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var name = all.getAttribute("data-select-all");
    var boxes = function () {
      return Array.prototype.slice.call(
        document.querySelectorAll("input[type=checkbox][name=" + name + "]"));
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    document.addEventListener("change", function (event) {
      if (event.target.name !== name) { return; }
      var ticked = boxes().filter(function (box) { return box.checked; }).length;
      document.querySelectorAll("[data-select-all=" + name + "]").forEach(function (each) {
        each.checked = ticked > 0 && ticked === boxes().length;
        each.indeterminate = ticked > 0 && ticked < boxes().length;
      });
    });
  });
  // Passkeys (WebAuthn). The server sends options with binary members in base64url and
  // reads the answer from hidden fields of the form the button is in.
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = window.atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return { type: d.type, id: fromB64url(d.id) }; });
  }
  function setField(form, name, value) {
    var input = form.querySelector("input[name=" + name + "]");
    if (input) { input.value = value; }
  }
  function passkeyFailed(button, message) {
    var box = document.querySelector("[data-passkey-error]");
    if (box) {
      if (message) { box.textContent = message; }
      box.hidden = false;
      box.focus && box.focus();
    }
    button.disabled = false;
  }
  var passkeys = !!(window.PublicKeyCredential && navigator.credentials);
  document.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = !passkeys; });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = passkeys; });
  document.addEventListener("click", function (event) {
    var login = event.target.closest && event.target.closest("[data-passkey-login]");
    if (login && passkeys) {
      event.preventDefault();
      login.disabled = true;
      var options = JSON.parse(login.getAttribute("data-passkey-login"));
      options.challenge = fromB64url(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      navigator.credentials.get({ publicKey: options }).then(function (credential) {
        var form = login.form;
        setField(form, "passkey_credential", toB64url(credential.rawId));
        setField(form, "passkey_client_data", toB64url(credential.response.clientDataJSON));
        setField(form, "passkey_authenticator_data", toB64url(credential.response.authenticatorData));
        setField(form, "passkey_signature", toB64url(credential.response.signature));
        form.submit();
      }).catch(function () { passkeyFailed(login); });
      return;
    }
    var register = event.target.closest && event.target.closest("[data-passkey-register]");
    if (register && passkeys) {
      event.preventDefault();
      register.disabled = true;
      var form = register.form;
      var body = new URLSearchParams();
      body.set("csrf_token", form.querySelector("input[name=csrf_token]").value);
      window.fetch("/console/security/passkeys/options", {
        method: "POST", body: body, credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { throw new Error(answer.error || ""); }
          return answer;
        });
      }).then(function (answer) {
        var options = answer.options;
        options.challenge = fromB64url(options.challenge);
        options.user.id = fromB64url(options.user.id);
        options.excludeCredentials = descriptors(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options }).then(function (credential) {
          setField(form, "challenge_id", answer.challenge_id);
          setField(form, "client_data_json", toB64url(credential.response.clientDataJSON));
          setField(form, "attestation_object", toB64url(credential.response.attestationObject));
          form.submit();
        });
      }).catch(function (error) {
        passkeyFailed(register, error && error.message && error.name === "Error" ? error.message : "");
      });
    }
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
})();
// The abuse form's proof of work: find a nonce whose SHA-256 with the challenge starts with
// the asked number of zero bits, then send the form (see yuming_core::pow).
(function () {
  var form = document.querySelector("form[data-pow]");
  if (!form || !window.crypto || !window.crypto.subtle) { return; }
  var encoder = new TextEncoder();
  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      for (var mask = 0x80; mask > 0 && (bytes[i] & mask) === 0; mask >>= 1) { bits++; }
      break;
    }
    return bits;
  }
  form.addEventListener("submit", function (event) {
    var nonceField = form.querySelector("input[name=nonce]");
    if (nonceField.value) { return; }
    event.preventDefault();
    var challenge = form.querySelector("input[name=challenge]").value;
    var bits = parseInt(form.getAttribute("data-pow"), 10);
    var status = form.querySelector("[data-pow-status]");
    if (status) { status.hidden = false; }
    var n = 0;
    function step() {
      var batch = [];
      for (var i = 0; i < 256; i++, n++) {
        batch.push(window.crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      }
      var start = n - 256;
      Promise.all(batch).then(function (hashes) {
        for (var j = 0; j < hashes.length; j++) {
          if (zeroBits(new Uint8Array(hashes[j])) >= bits) {
            nonceField.value = String(start + j);
            form.submit();
            return;
          }
        }
        step();
      });
    }
    step();
  });
})();
