// WebAuthn against the FIDO2 API with a real browser and an independent verifier: headless
// Chromium (playwright-core) with a CDP virtual authenticator registers credentials and
// signs in through /jans-fido2/restv1/{attestation,assertion}/{options,result}, on a page of
// the issuer's origin, with the browser's own WebAuthn JSON (parse*OptionsFromJSON,
// PublicKeyCredential.toJSON()). @simplewebauthn/server verifies the very same ceremonies
// as an oracle: what jans accepts, it accepts too, with the same credential.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test, before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { verifyRegistrationResponse, verifyAuthenticationResponse } from '@simplewebauthn/server';
import { ISSUER, registered, client } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const ORIGIN = ISSUER.origin;
const RP_ID = ISSUER.hostname;
const FIDO = `${ORIGIN}/jans-fido2/restv1`;
// A page of the issuer's origin for the ceremonies to run on (served by the test through
// request interception: WebAuthn needs a document of the relying party's origin).
const PAGE = `${ORIGIN}/interop-fido2-page`;

// The code client's redirect URI, answered with a plain page (Playwright's request
// interception does not see the targets of redirects). Another test file may already serve
// it when files run in parallel; then that server answers.
let callbackServer;
before(async () => {
  const port = Number(new URL(registered('code').redirect_uris[0]).port);
  callbackServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('callback');
  });
  await new Promise((resolve) => {
    callbackServer.once('error', () => { callbackServer = null; resolve(); });
    callbackServer.listen(port, 'localhost', resolve);
  });
});
after(() => callbackServer?.close());

let browser;
async function launch() {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return browser;
}
after(async () => { await browser?.close(); });

/** A browser context signed in as USER (through the login page), on PAGE, with a virtual
 * authenticator of OPTIONS attached. */
async function signedInPage(authenticator) {
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const c = registered('code');
  const config = await client.discovery(ISSUER, c.client_id, {}, client.ClientSecretBasic(c.client_secret), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: c.redirect_uris[0],
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: client.randomState(),
  });
  await page.goto(url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  // Signed in once the session cookie exists (consent may follow; it is not needed here).
  for (let i = 0; ; i++) {
    const cookies = await context.cookies(ORIGIN);
    if (cookies.some((k) => k.name === 'session_id')) break;
    assert.ok(i < 100, 'no session cookie after signing in');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.route(PAGE, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html',
    body: '<!doctype html><title>fido2 interop</title><p>fido2 interop</p>',
  }));
  await page.goto(PAGE);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { automaticPresenceSimulation: true, ...authenticator },
  });
  return { context, page, cdp, authenticatorId };
}

/** In the page: `kind` options → navigator.credentials.create or .get → toJSON → result. */
async function ceremony(page, kind, body) {
  return page.evaluate(async ({ FIDO, kind, body }) => {
    const post = async (path, b) => {
      const r = await fetch(`${FIDO}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      return { status: r.status, json: await r.json() };
    };
    const options = await post(`/${kind}/options`, body);
    if (options.status !== 200) return { options };
    const cred = kind === 'attestation'
      ? await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.json),
      })
      : await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.json),
      });
    const credential = cred.toJSON();
    const result = await post(`/${kind}/result`, credential);
    return { options, credential, result };
  }, { FIDO, kind, body });
}

const register = (page, body) => ceremony(page, 'attestation', body);
const authenticate = (page, body) => ceremony(page, 'assertion', body);

async function postJson(path, body) {
  const r = await fetch(`${FIDO}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

/** Register through jans, check @simplewebauthn/server verifies the same response, and
 * return the oracle's view of the credential. */
async function registerAndCheck(page, body, { fmt, requireUV }) {
  const { options, credential, result } = await register(page, { username: USER, ...body });
  assert.equal(options.status, 200, JSON.stringify(options.json));
  assert.equal(result.status, 200, JSON.stringify(result.json));
  assert.equal(result.json.status, 'ok');
  assert.equal(result.json.username, USER);
  assert.equal(result.json.credential.id, credential.id);
  assert.equal(result.json.attestationFormat, fmt);
  const oracle = await verifyRegistrationResponse({
    response: credential,
    expectedChallenge: options.json.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: requireUV,
  });
  assert.equal(oracle.verified, true, 'the oracle verifies what jans accepted');
  assert.equal(oracle.registrationInfo.fmt, fmt);
  assert.equal(oracle.registrationInfo.credential.id, credential.id);
  return oracle.registrationInfo.credential;
}

async function authenticateAndCheck(page, body, credential, { requireUV }) {
  const { options, credential: assertion, result } = await authenticate(page, body);
  assert.equal(options.status, 200, JSON.stringify(options.json));
  assert.equal(result.status, 200, JSON.stringify(result.json));
  assert.equal(result.json.status, 'ok');
  assert.equal(result.json.username, USER);
  assert.equal(assertion.id, credential.id);
  const oracle = await verifyAuthenticationResponse({
    response: assertion,
    expectedChallenge: options.json.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential,
    requireUserVerification: requireUV,
  });
  assert.equal(oracle.verified, true, 'the oracle verifies what jans accepted');
  return { options, assertion, result, oracle };
}

test('discovery: /.well-known/fido2-configuration nests the endpoints as Janssen does', async () => {
  const r = await fetch(`${ORIGIN}/.well-known/fido2-configuration`);
  assert.equal(r.status, 200);
  const d = await r.json();
  assert.equal(d.issuer, ISSUER.href.replace(/\/$/, ''));
  assert.equal(d.attestation.options_endpoint, `${FIDO}/attestation/options`);
  assert.equal(d.assertion.result_endpoint, `${FIDO}/assertion/result`);
});

test('ctap2 passkey (resident key, UV): packed attestation, then usernameless and named sign-in', async () => {
  const { context, page } = await signedInPage({
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
    hasUserVerification: true, isUserVerified: true,
  });
  try {
    const credential = await registerAndCheck(page, {
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    }, { fmt: 'packed', requireUV: true });

    // Usernameless: no allowCredentials, the user handle names the user.
    const first = await authenticateAndCheck(page, { userVerification: 'required' }, credential, { requireUV: true });
    assert.deepEqual(first.options.json.allowCredentials, []);
    assert.equal(first.result.json.userVerification, true);
    // With the username.
    const second = await authenticateAndCheck(page, { username: USER }, credential, { requireUV: false });
    assert.equal(second.options.json.allowCredentials[0].id, credential.id);
    assert.ok(second.oracle.authenticationInfo.newCounter > first.oracle.authenticationInfo.newCounter);

    // The same assertion again: its challenge was used.
    const replay = await postJson('/assertion/result', second.assertion);
    assert.equal(replay.status, 400);
    assert.equal(replay.json.status, 'failed');
    assert.equal(replay.json.error, 'invalid_challenge');
  } finally {
    await context.close();
  }
});

test('ctap2 without user verification: attestation none, UV required is refused', async () => {
  const { context, page } = await signedInPage({
    protocol: 'ctap2', transport: 'usb', hasResidentKey: false,
    hasUserVerification: false,
  });
  try {
    const credential = await registerAndCheck(page, {
      attestation: 'none',
      authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' },
    }, { fmt: 'none', requireUV: false });
    const ok = await authenticateAndCheck(page, { username: USER, userVerification: 'discouraged' }, credential, { requireUV: false });
    assert.equal(ok.result.json.userVerification, false);

    // A sign-in that requires UV: the browser still answers (the authenticator cannot
    // verify, so the get() is refused or the result lacks UV); jans must not accept it.
    const strict = await page.evaluate(async ({ FIDO, USER }) => {
      const r = await fetch(`${FIDO}/assertion/options`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: USER, userVerification: 'required' }),
      });
      const options = await r.json();
      try {
        const cred = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        const res = await fetch(`${FIDO}/assertion/result`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(cred.toJSON()),
        });
        return { status: res.status, json: await res.json() };
      } catch (e) {
        return { browserRefused: e.name };
      }
    }, { FIDO, USER });
    if (!strict.browserRefused) {
      assert.equal(strict.status, 400, JSON.stringify(strict));
      assert.equal(strict.json.error, 'user_verification_required');
    }
  } finally {
    await context.close();
  }
});

test('u2f security key: fido-u2f attestation, then sign-in', async () => {
  const { context, page } = await signedInPage({
    protocol: 'u2f', transport: 'usb', hasResidentKey: false, hasUserVerification: false,
  });
  try {
    const credential = await registerAndCheck(page, {
      attestation: 'direct',
      authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' },
    }, { fmt: 'fido-u2f', requireUV: false });
    await authenticateAndCheck(page, { username: USER, userVerification: 'discouraged' }, credential, { requireUV: false });
  } finally {
    await context.close();
  }
});

test('a registration needs the user\'s session; a wrong origin is refused', async () => {
  const anonymous = await postJson('/attestation/options', { username: USER });
  assert.equal(anonymous.status, 403);
  assert.equal(anonymous.json.status, 'failed');
  assert.ok(anonymous.json.errorMessage.length > 0);
  const evil = await postJson('/assertion/options', { username: USER, documentDomain: 'https://evil.example' });
  assert.equal(evil.status, 400);
  assert.equal(evil.json.error, 'invalid_origin');
});

/** Start an authorization request of the code client with ACR; what the callback needs. */
async function authorizationRequest(acr) {
  const c = registered('code');
  const config = await client.discovery(ISSUER, c.client_id, {}, client.ClientSecretBasic(c.client_secret), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: c.redirect_uris[0],
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    acr_values: acr,
  });
  return { c, config, url, verifier, state, nonce };
}

/** Follow the page to the client's redirect URI (approving consent if asked); the ID
 * token's claims after openid-client redeems the code. */
async function finishAtCallback(page, r) {
  const redirect = r.c.redirect_uris[0];
  const landed = page.waitForURL(`${redirect}**`, { timeout: 20000 });
  try {
    await Promise.race([
      landed,
      page.waitForSelector('text=Allow access?', { timeout: 20000 }).then(() => page.click('button[value=allow]')),
    ]);
    await landed;
  } catch (e) {
    const body = (await page.textContent('body')).replace(/\s+/g, ' ');
    throw new Error(`${e.message}\nat ${page.url()}: ${body.slice(0, 900)}`);
  }
  const tokens = await client.authorizationCodeGrant(r.config, new URL(page.url()), {
    pkceCodeVerifier: r.verifier,
    expectedState: r.state,
    expectedNonce: r.nonce,
    idTokenExpected: true,
  });
  return tokens.claims();
}

test('account page adds a passkey; the login page signs in with it (acr passkey), then as a second factor (acr fido2)', async () => {
  const { context, page } = await signedInPage({
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
    hasUserVerification: true, isUserVerified: true,
  });
  try {
    // The account page, with our script: add a passkey.
    await page.goto(`${ORIGIN}/jans-auth/account`);
    assert.match(await page.textContent('h1'), /Your passkeys/);
    const before = await page.locator('ul.keys li').count();
    await Promise.all([page.waitForEvent('load'), page.click('#webauthn-add')]);
    await page.waitForSelector('ul.keys li');
    assert.equal(await page.locator('ul.keys li').count(), before + 1);

    // Signed out, a request asking for a passkey: only the passkey button, no password.
    await context.clearCookies();
    const r = await authorizationRequest('passkey');
    await page.goto(r.url.href);
    assert.equal(await page.locator('#password').count(), 0, 'passkey only');
    const csp = (await page.evaluate(async () => (await fetch(location.href)).headers.get('content-security-policy')));
    assert.match(csp, /script-src 'self'/);
    await page.click('#webauthn-button');
    const claims = await finishAtCallback(page, r);
    assert.equal(claims.acr, 'passkey');
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);

    // Signed out, a plain request: the password form offers passkey autofill
    // (conditional UI) beside a passkey button...
    await context.clearCookies();
    const r1 = await authorizationRequest('simple_password_auth');
    const html = await (await fetch(r1.url)).text();
    assert.match(html, /autocomplete="username webauthn"/);
    assert.match(html, /id="webauthn-button"/);
    // ... which the browser answers with the passkey (a virtual authenticator picks it at
    // once, where a person would pick it from the username field's suggestions).
    await page.goto(r1.url.href);
    const claims1 = await finishAtCallback(page, r1);
    assert.equal(claims1.acr, 'passkey');

    // A request asking for fido2: the password (no passkey offered: it is not enough
    // alone), then the key.
    await context.clearCookies();
    const r2 = await authorizationRequest('fido2');
    await page.goto(r2.url.href);
    assert.equal(await page.locator('#webauthn-button').count(), 0);
    // The second-factor page starts the key ceremony as it loads.
    const secondPage = page.waitForResponse((resp) => resp.request().method() === 'GET'
      && resp.url().includes('/jans-auth/interaction?'));
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('form:not([hidden]) button[type=submit]');
    // The page runs the ceremony as it loads and may navigate away before its body can be
    // read; when it can be, it is the second-factor page. (The amr below proves the key.)
    const second = await (await secondPage).text().catch(() => null);
    if (second !== null) assert.match(second, /Confirm it/);
    const claims2 = await finishAtCallback(page, r2);
    assert.equal(claims2.acr, 'fido2');
    assert.deepEqual(claims2.amr, ['pwd', 'hwk', 'user', 'mfa']);
  } finally {
    await context.close();
  }
});
