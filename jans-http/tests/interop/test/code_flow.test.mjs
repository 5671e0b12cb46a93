// The authorization code flow as a relying party and a person do it: openid-client builds the
// request (PKCE S256, state, nonce), headless Chromium (playwright-core) signs in on the jans
// login page and approves on the consent page, and openid-client redeems the code and
// validates the ID token (signature against the JWKS, iss, aud, nonce, exp, RFC 9207 iss).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test, before, after } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { chromium } from 'playwright-core';
import { ISSUER, registered } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// A stand-in relying party: the redirect URI answers with a plain page; the back-channel
// logout URI keeps the logout tokens it receives.
let rpServer;
const logoutTokens = [];
const frontchannelHits = [];
const formPosts = [];
before(async () => {
  const port = Number(new URL(registered('code').redirect_uris[0]).port);
  rpServer = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/backchannel') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        logoutTokens.push(new URLSearchParams(body).get('logout_token'));
        res.writeHead(200);
        res.end();
      });
      return;
    }
    if (req.method === 'POST' && req.url.startsWith('/cb')) {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        formPosts.push(body);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('form_post received');
      });
      return;
    }
    if (req.url.startsWith('/frontchannel')) {
      frontchannelHits.push(new URL(req.url, 'http://rp').searchParams);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('callback');
  });
  await new Promise((resolve) => rpServer.listen(port, 'localhost', resolve));
});
after(() => rpServer?.close());

let browser;
async function launch() {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return browser;
}
after(async () => { await browser?.close(); });

// With JANS_SCREENSHOTS=DIR the pages are photographed at desktop and phone widths (the
// images in docs/screenshots come from here: JANS_UPDATE_SCREENSHOTS=1 cargo test ...).
const SHOTS = process.env.JANS_SCREENSHOTS;
async function shoot(page, name) {
  if (!SHOTS) return;
  for (const [suffix, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${SHOTS}/${name}-${suffix}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function rp(role) {
  const c = registered(role);
  const auth = c.client_secret ? client.ClientSecretBasic(c.client_secret) : client.None();
  const config = await client.discovery(ISSUER, c.client_id, {}, auth, {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  return { c, config, redirectUri: c.redirect_uris[0] };
}

/**
 * Start a request (built by BUILD: the authorization URL itself, or pushed first with
 * buildAuthorizationUrlWithPAR); returns what the callback must be checked against.
 */
async function request(config, redirectUri, extra = {}, build = client.buildAuthorizationUrl) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await build(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Follow the browser back to the RP's redirect URI; returns the URL it landed on. */
async function callbackOf(page, redirectUri, action) {
  await Promise.all([page.waitForURL(`${redirectUri}**`, { timeout: 15000 }), action()]);
  return new URL(page.url());
}

test('code + PKCE through the pages; openid-client validates the ID token', async () => {
  const { c, config, redirectUri } = await rp('code');
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const r = await request(config, redirectUri);
  await page.goto(r.url.href);
  await shoot(page, 'login');
  await page.fill('#username', USER);
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /Wrong username or password/);
  await shoot(page, 'login-error');
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  await shoot(page, 'consent');
  const cb = await callbackOf(page, redirectUri, () => page.click('button[value=allow]'));
  const tokens = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: r.verifier,
    expectedState: r.state,
    expectedNonce: r.nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  const claims = tokens.claims();
  assert.equal(claims.aud, c.client_id);
  assert.equal(claims.nonce, r.nonce);
  assert.equal(claims.amr?.[0], 'pwd');
  assert.ok(claims.sid && claims.auth_time && claims.at_hash);
  // Userinfo through openid-client, which checks that sub matches the ID token's.
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.given_name, 'Alice');
  const session = (await context.cookies()).find((k) => k.name === 'session_id');
  assert.ok(session?.httpOnly, 'session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Lax');

  // The same browser again, prompt=none: the session and the remembered consent suffice.
  const again = await request(config, redirectUri, { prompt: 'none' });
  const cb2 = await callbackOf(page, redirectUri, () => page.goto(again.url.href));
  const tokens2 = await client.authorizationCodeGrant(config, cb2, {
    pkceCodeVerifier: again.verifier,
    expectedState: again.state,
    expectedNonce: again.nonce,
  });
  assert.equal(tokens2.claims().sub, claims.sub);
  assert.equal(tokens2.claims().sid, claims.sid, 'same session');

  // max_age=0 forces a new login.
  const fresh = await request(config, redirectUri, { max_age: '0' });
  await page.goto(fresh.url.href);
  await page.waitForSelector('#password');

  // Account selection lists the signed-in account; choosing it continues the request.
  const chooser = await request(config, redirectUri, { prompt: 'select_account' });
  await page.goto(chooser.url.href);
  await page.waitForSelector('text=Choose an account');
  await shoot(page, 'select-account');
  const chosen = await callbackOf(page, redirectUri, () => page.click('button[name=account][value="0"]'));
  assert.ok(chosen.searchParams.get('code'), 'the chosen account gets a code');

  // Errors that cannot go back to a client are a page.
  await page.goto(new URL('/jans-auth/restv1/authorize?client_id=nope', ISSUER).href);
  await page.waitForSelector('text=Something went wrong');
  await shoot(page, 'error');

  // Session management: the RP frames the OP's check-session iframe and asks about the
  // session_state it got with the code.
  const sessionState = cb.searchParams.get('session_state');
  assert.ok(sessionState, 'session_state in the authorization response');
  const checkSession = async () => {
    await page.goto(new URL('/', redirectUri).href);
    return page.evaluate(async ({ iframeUrl, message }) => {
      const frame = document.createElement('iframe');
      frame.src = iframeUrl;
      document.body.appendChild(frame);
      await new Promise((resolve) => { frame.onload = resolve; });
      return new Promise((resolve) => {
        window.addEventListener('message', (e) => resolve(e.data), { once: true });
        frame.contentWindow.postMessage(message, new URL(iframeUrl).origin);
      });
    }, { iframeUrl: config.serverMetadata().check_session_iframe, message: `${c.client_id} ${sessionState}` });
  };
  assert.equal(await checkSession(), 'unchanged');

  // RP-initiated logout with the ID token as hint ends the session at once.
  const afterLogout = c.post_logout_redirect_uris[0];
  const endUrl = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: afterLogout,
    state: 'bye',
  });
  const landed = await callbackOf(page, afterLogout, () => page.goto(endUrl.href));
  assert.equal(landed.searchParams.get('state'), 'bye');
  assert.equal((await context.cookies()).find((k) => k.name === 'session_id'), undefined, 'cookie cleared');
  assert.equal(await checkSession(), 'changed', 'the iframe sees the logout');
  // Back-channel logout reached the RP with a logout token it can verify: sent in the
  // background, right after the logout answered (within seconds, never inside it).
  for (let waited = 0; logoutTokens.length === 0 && waited < 10000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(logoutTokens.length, 1, 'one logout token');
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(logoutTokens[0], jwks, {
    issuer: config.serverMetadata().issuer,
    audience: c.client_id,
    typ: 'logout+jwt',
  });
  assert.equal(protectedHeader.typ, 'logout+jwt');
  assert.equal(payload.sid, claims.sid);
  assert.ok(payload.events['http://schemas.openid.net/event/backchannel-logout']);
  // Front-channel logout: the browser loaded the RP's logout URI in an iframe with iss and sid.
  assert.equal(frontchannelHits.length, 1, 'front-channel iframe loaded');
  assert.equal(frontchannelHits[0].get('sid'), claims.sid);
  assert.equal(frontchannelHits[0].get('iss'), config.serverMetadata().issuer);
  const after = await request(config, redirectUri, { prompt: 'none' });
  const cb3 = await callbackOf(page, redirectUri, () => page.goto(after.url.href));
  assert.equal(cb3.searchParams.get('error'), 'login_required');
  await context.close();
});

test('PAR (RFC 9126): openid-client pushes the request, the browser carries only its request_uri', async () => {
  const { config, redirectUri } = await rp('code');
  const meta = config.serverMetadata();
  assert.equal(meta.pushed_authorization_request_endpoint, `${ISSUER.href.replace(/\/$/, '')}/jans-auth/restv1/par`);
  // Consent asked every time, whatever an earlier test approved.
  const { url, verifier, state, nonce } = await request(
    config, redirectUri, { prompt: 'consent' }, client.buildAuthorizationUrlWithPAR,
  );
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  await page.goto(url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  const cb = await callbackOf(page, redirectUri, () => page.click('button[value=allow]'));
  const tokens = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.ok(tokens.access_token);
  // The request_uri is spent: used again, the server shows an error page.
  await page.goto(url.href);
  await page.waitForSelector('text=request_uri is unknown, used or expired');
  await context.close();
});

test('prompt=none without a session returns login_required to the client', async () => {
  const { config, redirectUri } = await rp('code');
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const r = await request(config, redirectUri, { prompt: 'none' });
  const cb = await callbackOf(page, redirectUri, () => page.goto(r.url.href));
  await assert.rejects(
    client.authorizationCodeGrant(config, cb, { pkceCodeVerifier: r.verifier, expectedState: r.state }),
    (e) => e.error === 'login_required',
  );
  await context.close();
});

test('a public client redeems its code with PKCE and no secret', async () => {
  const { config, redirectUri } = await rp('code_public');
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const r = await request(config, redirectUri);
  await page.goto(r.url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  const cb = await callbackOf(page, redirectUri, () => page.click('button[value=allow]'));
  const tokens = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: r.verifier,
    expectedState: r.state,
    expectedNonce: r.nonce,
  });
  assert.ok(tokens.id_token);
  // Denying consent sends access_denied back.
  const denied = await request(config, redirectUri, { prompt: 'consent' });
  await page.goto(denied.url.href);
  await page.waitForSelector('text=Allow access?');
  const cb2 = await callbackOf(page, redirectUri, () => page.click('button[value=deny]'));
  await assert.rejects(
    client.authorizationCodeGrant(config, cb2, { pkceCodeVerifier: denied.verifier, expectedState: denied.state }),
    (e) => e.error === 'access_denied',
  );
  // Logout without an id_token_hint asks first.
  await page.goto(config.serverMetadata().end_session_endpoint);
  await page.waitForSelector('text=Sign out?');
  await shoot(page, 'logout');
  await page.click('button[value=logout]');
  await page.waitForSelector('text=You are signed out');
  await context.close();
});

test('refresh tokens rotate; a reused one is refused and ends the grant', async () => {
  const { config, redirectUri } = await rp('code');
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const r = await request(config, redirectUri, { scope: 'openid profile offline_access' });
  await page.goto(r.url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  const cb = await callbackOf(page, redirectUri, () => page.click('button[value=allow]'));
  const first = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: r.verifier,
    expectedState: r.state,
    expectedNonce: r.nonce,
  });
  assert.ok(first.refresh_token, 'offline_access gives a refresh token');
  const second = await client.refreshTokenGrant(config, first.refresh_token);
  assert.ok(second.access_token && second.refresh_token);
  assert.notEqual(second.refresh_token, first.refresh_token, 'rotated');
  await assert.rejects(client.refreshTokenGrant(config, first.refresh_token), (e) => e.error === 'invalid_grant');
  await assert.rejects(client.refreshTokenGrant(config, second.refresh_token), (e) => e.error === 'invalid_grant',
    'the family was revoked after the reuse');
  await context.close();
});

async function signIn(page) {
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
}

test('implicit id_token in the fragment, validated by openid-client', async () => {
  const { c, config, redirectUri } = await rp('code');
  client.useIdTokenResponseType(config);
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile', response_type: 'id_token', nonce, state,
    prompt: 'login consent',
  });
  await page.goto(url.href);
  await signIn(page);
  await page.waitForSelector('text=Allow access?');
  const cb = await callbackOf(page, redirectUri, () => page.click('button[value=allow]'));
  assert.ok(cb.hash.includes('id_token='), 'fragment response');
  const claims = await client.implicitAuthentication(config, cb, nonce, { expectedState: state });
  assert.equal(claims.aud, c.client_id);
  assert.equal(claims.given_name, 'Alice', 'no access token: profile claims ride in the ID token');
  await context.close();
});

test('hybrid code id_token as a form_post, validated and redeemed by openid-client', async () => {
  const { config, redirectUri } = await rp('code');
  client.useCodeIdTokenResponseType(config);
  const b = await launch();
  const context = await b.newContext();
  const page = await context.newPage();
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    response_type: 'code id_token',
    response_mode: 'form_post',
    prompt: 'login consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  await page.goto(url.href);
  await signIn(page);
  await page.waitForSelector('text=Allow access?');
  const before = formPosts.length;
  await Promise.all([page.waitForURL(`${redirectUri}**`, { timeout: 15000 }), page.click('button[value=allow]')]);
  await page.waitForSelector('text=form_post received');
  assert.equal(formPosts.length, before + 1, 'the browser POSTed the response');
  const request = new Request(redirectUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formPosts[before],
  });
  const tokens = await client.authorizationCodeGrant(config, request, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
  });
  assert.ok(tokens.access_token && tokens.id_token);
  await context.close();
});
