// WebAuthn on the sign-in and account pages (served by jans; no third-party script).
// Sign-in: the page carries request options (data-options); the assertion goes back in a
// form post. Account page: a passkey is registered through the FIDO2 API.
(function () {
  'use strict';
  var status = document.getElementById('webauthn-status');
  function say(text) { if (status) status.textContent = text; }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    var box = document.getElementById('webauthn') || document.getElementById('webauthn-register');
    if (box) box.hidden = true;
    return;
  }

  // base64url <-> ArrayBuffer, for browsers without parse*OptionsFromJSON / toJSON.
  function fromB64(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return { type: d.type, id: fromB64(d.id), transports: d.transports }; });
  }
  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    var o = Object.assign({}, json, { challenge: fromB64(json.challenge) });
    o.allowCredentials = descriptors(json.allowCredentials);
    return o;
  }
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var o = Object.assign({}, json, { challenge: fromB64(json.challenge) });
    o.user = Object.assign({}, json.user, { id: fromB64(json.user.id) });
    o.excludeCredentials = descriptors(json.excludeCredentials);
    return o;
  }
  function asJson(cred) {
    if (cred.toJSON) return cred.toJSON();
    var r = cred.response, out = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: toB64(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) out.response.userHandle = toB64(r.userHandle);
    }
    return out;
  }

  // Sign-in.
  var box = document.getElementById('webauthn');
  var form = document.getElementById('webauthn-form');
  if (box && form) {
    var options = JSON.parse(box.getAttribute('data-options'));
    var pending = null;
    var run = function (mediation) {
      if (pending) pending.abort();
      var controller = new AbortController();
      pending = controller;
      var request = { publicKey: requestOptions(options), signal: controller.signal };
      if (mediation) request.mediation = mediation;
      if (!mediation) say('Follow the instructions of your browser.');
      navigator.credentials.get(request).then(function (cred) {
        form.elements.response.value = JSON.stringify(asJson(cred));
        form.submit();
      }, function (e) {
        if (e.name !== 'AbortError' && mediation !== 'conditional') {
          say('No passkey was used. Try again' + (document.getElementById('password') ? ' or use your password.' : '.'));
        }
      });
    };
    var button = document.getElementById('webauthn-button');
    if (button) button.addEventListener('click', function () { run(null); });
    var auto = box.getAttribute('data-auto');
    if (auto === 'now') run(null);
    if (auto === 'conditional' && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) { if (ok) run('conditional'); });
    }
  }

  // Account page: add a passkey.
  var reg = document.getElementById('webauthn-register');
  var add = document.getElementById('webauthn-add');
  if (reg && add) {
    var post = function (path, body) {
      return fetch('/jans-fido2/restv1/' + path, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok || j.status !== 'ok') throw new Error(j.errorMessage || ('HTTP ' + r.status));
          return j;
        });
      });
    };
    add.addEventListener('click', function () {
      add.disabled = true;
      say('Follow the instructions of your browser.');
      post('attestation/options', {
        username: reg.getAttribute('data-username'),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' }
      }).then(function (opts) {
        return navigator.credentials.create({ publicKey: creationOptions(opts) });
      }).then(function (cred) {
        return post('attestation/result', asJson(cred));
      }).then(function () {
        say('Passkey added.');
        window.location.reload();
      }, function (e) {
        add.disabled = false;
        say(e && e.name === 'NotAllowedError' ? 'No passkey was added.' : 'The passkey was not added: ' + e.message);
      });
    });
  }
})();
