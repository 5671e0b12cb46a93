// Request objects (RFC 9101) and JARM responses as openid-client makes and checks them: a
// client registered through RFC 7591 with its signing key sends its authorization request
// as a signed request object (buildAuthorizationUrlWithJAR, only client_id and request in
// the URL) and asks for response_mode=jwt (useJwtResponseMode): openid-client validates the
// signed (then also encrypted) response JWT before it redeems the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { ISSUER, signInAndConsent } from './helpers.mjs';

const insecure = { execute: [client.allowInsecureRequests], timeout: 10 };
const REDIRECT = 'http://localhost:9/jar-cb';

async function register(extra) {
  const signing = await jose.generateKeyPair('ES256', { extractable: true });
  const kid = 'rp-sig-1';
  const sigJwk = { ...(await jose.exportJWK(signing.publicKey)), use: 'sig', alg: 'ES256', kid };
  const keys = [sigJwk, ...(extra.keys ?? [])];
  const registered = await client.dynamicClientRegistration(
    ISSUER,
    {
      redirect_uris: [REDIRECT],
      scope: 'openid profile',
      jwks: { keys },
      request_object_signing_alg: 'ES256',
      ...extra.metadata,
    },
    undefined,
    insecure,
  );
  const meta = registered.clientMetadata();
  const config = await client.discovery(ISSUER, meta.client_id, meta, client.ClientSecretBasic(meta.client_secret), insecure);
  return { config, meta, signingKey: { key: signing.privateKey, kid } };
}

async function flow(config, signingKey) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithJAR(
    config,
    {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    },
    signingKey,
  );
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request'], 'the request is in the object');
  const cb = await signInAndConsent(url, REDIRECT);
  assert.deepEqual([...cb.searchParams.keys()], ['response'], 'JARM: one response JWT');
  const tokens = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().nonce, nonce);
  return { cb, tokens };
}

test('a signed request object in, a signed JARM response out', async () => {
  const own = await register({ metadata: {} });
  const { config } = own;
  const meta = config.serverMetadata();
  assert.equal(meta.request_parameter_supported, true);
  assert.ok(meta.request_object_signing_alg_values_supported.includes('ES256'));
  assert.ok(meta.response_modes_supported.includes('jwt'));
  client.useJwtResponseMode(config);
  // Signed with another client's key: refused on the error page (the request's
  // redirect_uri is inside the object, so it cannot be trusted).
  const stranger = await register({ metadata: {} });
  const forged = await client.buildAuthorizationUrlWithJAR(
    config,
    { redirect_uri: REDIRECT, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' },
    stranger.signingKey,
  );
  const r = await fetch(forged, { redirect: 'manual' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /invalid_request_object/);
  const { cb: ok } = await flow(config, own.signingKey);
  const claims = jose.decodeJwt(ok.searchParams.get('response'));
  assert.equal(claims.aud, own.meta.client_id);
  assert.equal(claims.iss, meta.issuer);
});

test('an encrypted JARM response (ECDH-ES), opened by openid-client', async () => {
  const enc = await jose.generateKeyPair('ECDH-ES', { extractable: true });
  const encJwk = { ...(await jose.exportJWK(enc.publicKey)), use: 'enc', alg: 'ECDH-ES', kid: 'rp-enc-1' };
  const { config, signingKey } = await register({
    keys: [encJwk],
    metadata: { authorization_encrypted_response_alg: 'ECDH-ES', authorization_encrypted_response_enc: 'A256GCM' },
  });
  client.useJwtResponseMode(config);
  client.enableDecryptingResponses(config, ['A256GCM'], { key: enc.privateKey, kid: 'rp-enc-1', alg: 'ECDH-ES' });
  const { cb, tokens } = await flow(config, signingKey);
  assert.equal(cb.searchParams.get('response').split('.').length, 5, 'a JWE');
  assert.ok(tokens.access_token);
});
