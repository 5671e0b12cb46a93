// The FAPI 2.0 Security Profile against a second `jans serve` with fapi2SecurityProfile on:
// openid-client (on oauth4webapi) as a FAPI 2.0 client — private_key_jwt, PAR, PKCE S256,
// DPoP, the code through the real pages in Chromium, the ID token and iss checked — and
// what such a server refuses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { registered, chromiumBrowser } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
async function fapiClient() {
  const c = registered('fapi');
  const jwk = JSON.parse(readFileSync(c.private_jwk_file, 'utf8'));
  const key = await jose.importJWK(jwk, 'ES256');
  const config = await client.discovery(
    new URL(c.issuer), c.client_id, {}, client.PrivateKeyJwt({ key, kid: jwk.kid }),
    { execute: [client.allowInsecureRequests], timeout: 10 },
  );
  return { c, config, redirectUri: c.redirect_uris[0] };
}

test('FAPI 2.0: private_key_jwt, PAR, PKCE and DPoP through the pages', async () => {
  const { config, redirectUri } = await fapiClient();
  const meta = config.serverMetadata();
  assert.equal(meta.require_pushed_authorization_requests, true);
  assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);
  assert.deepEqual(meta.response_types_supported, ['code']);
  assert.ok(meta.id_token_signing_alg_values_supported.every((a) => ['PS256', 'ES256', 'EdDSA'].includes(a)));

  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  const url = await client.buildAuthorizationUrlWithPAR(config, params, { DPoP });
  const context = await (await chromiumBrowser()).newContext();
  const page = await context.newPage();
  const callback = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 20000 });
  await page.goto(url.href);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  await page.click('button[value=allow]');
  const cb = new URL((await callback).url());
  await context.close();
  assert.equal(cb.searchParams.get('iss'), meta.issuer, 'RFC 9207 iss in the response');
  const tokens = await client.authorizationCodeGrant(
    config, cb, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce },
    undefined, { DPoP },
  );
  assert.equal(tokens.token_type, 'dpop');
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
  assert.equal(info.given_name, 'Alice');

  // A request that was not pushed is refused (back at the redirect URI).
  const plain = client.buildAuthorizationUrl(config, params);
  const r = await fetch(plain, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(new URL(r.headers.get('location')).searchParams.get('error'), 'invalid_request');
  // A pushed request without PKCE is refused.
  const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = params;
  await assert.rejects(
    client.buildAuthorizationUrlWithPAR(config, noPkce),
    (e) => e.error === 'invalid_request',
  );
});
