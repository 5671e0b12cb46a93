// DPoP (RFC 9449) as openid-client does it, against `jans serve` with dpopUseNonce on:
// every first proof is refused with use_dpop_nonce and openid-client retries with the
// server's nonce. A confidential client's client_credentials token and a public client's
// code flow (through the real pages in Chromium; the code bound with dpop_jkt, or by a
// pushed request's proof), userinfo with the DPoP scheme, and the bound refresh token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { ISSUER, configFor, registered, chromiumBrowser } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
/** The error an openid-client call was refused with (`error` of the JSON body or challenge). */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return e.error ?? e.cause?.[0]?.parameters?.error ?? e.code;
  }
  assert.fail('expected a refusal');
}

test('client_credentials with DPoP: a bound token; introspection names its key', async () => {
  const config = await configFor('basic');
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const tokens = await client.clientCredentialsGrant(config, { scope: 'read' }, { DPoP });
  assert.equal(tokens.token_type, 'dpop');
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.token_type, 'DPoP');
  assert.equal(info.cnf.jkt, await DPoP.calculateThumbprint());
  // Another key pair (EdDSA): another binding.
  const other = client.getDPoPHandle(config, await client.randomDPoPKeyPair('EdDSA'));
  const second = await client.clientCredentialsGrant(config, { scope: 'read' }, { DPoP: other })
    .catch((e) => assert.fail(`${e.error}: ${e.error_description}`));
  const info2 = await client.tokenIntrospection(config, second.access_token);
  assert.equal(info2.cnf.jkt, await other.calculateThumbprint());
  assert.notEqual(info2.cnf.jkt, info.cnf.jkt);
});

/**
 * Sign in (and consent, unless remembered) in a fresh browser; returns the callback URL the
 * browser was sent to (whether anything answers there does not matter).
 */
async function signIn(url, redirectUri) {
  const context = await (await chromiumBrowser()).newContext();
  const page = await context.newPage();
  const callback = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 15000 });
  await page.goto(url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  const consent = page.waitForSelector('text=Allow access?', { timeout: 15000 })
    .then(() => page.click('button[value=allow]'), () => {});
  const cb = new URL((await callback).url());
  await context.close();
  return cb;
}

async function dpopClient() {
  const c = registered('dpop');
  const config = await client.discovery(ISSUER, c.client_id, {}, client.None(), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  return { config, redirectUri: c.redirect_uris[0] };
}

test('a public DPoP client: dpop_jkt binds the code, userinfo and refresh need the key', async () => {
  const { config, redirectUri } = await dpopClient();
  assert.ok(config.serverMetadata().dpop_signing_alg_values_supported.includes('ES256'));
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    dpop_jkt: await DPoP.calculateThumbprint(),
  });
  const cb = await signIn(url, redirectUri);
  const checks = { pkceCodeVerifier: verifier, expectedState: state };
  // dpop_bound_access_tokens: without a proof the request is refused, before the code is
  // spent; another key's proof is refused by the code's binding (and spends it, as a wrong
  // PKCE verifier does), so that attempt comes last.
  assert.equal(await refusal(client.authorizationCodeGrant(config, cb, checks)), 'invalid_dpop_proof');
  const tokens = await client.authorizationCodeGrant(config, cb, checks, undefined, { DPoP });
  assert.equal(tokens.token_type, 'dpop');
  assert.ok(tokens.refresh_token);
  const sub = tokens.claims().sub;

  // Userinfo with the DPoP scheme and a proof carrying ath; as a bearer token it is refused.
  const info = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
  assert.equal(info.given_name, 'Alice');
  assert.equal(
    await refusal(client.fetchUserInfo(config, tokens.access_token, sub)),
    'invalid_token',
  );

  // The public client's refresh token is bound: another key is refused, its key refreshes.
  const thief = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  assert.equal(
    await refusal(client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP: thief })),
    'invalid_dpop_proof',
  );
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  assert.equal(refreshed.token_type, 'dpop');
  const again = await client.fetchUserInfo(config, refreshed.access_token, sub, { DPoP });
  assert.equal(again.sub, sub);
});

test('a request pushed with a proof binds its code to that key', async () => {
  const { config, redirectUri } = await dpopClient();
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  }, { DPoP });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const cb = await signIn(url, redirectUri);
  const checks = { pkceCodeVerifier: verifier, expectedState: state };
  const other = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  assert.equal(
    await refusal(client.authorizationCodeGrant(config, cb, checks, undefined, { DPoP: other })),
    'invalid_dpop_proof',
  );
});
