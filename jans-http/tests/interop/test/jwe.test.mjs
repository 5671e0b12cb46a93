// Responses encrypted to the client (OIDC Core §10.2, RFC 9701 §5), opened by openid-client:
// a client registered through RFC 7591 with its encryption keys (made by jose) asks for
// encrypted ID tokens, signed-then-encrypted userinfo and encrypted JWT introspection
// responses; after a code flow through the pages in Chromium, openid-client decrypts each
// with enableDecryptingResponses, then validates the inner JWS as usual.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { ISSUER, signInAndConsent } from './helpers.mjs';

const insecure = { execute: [client.allowInsecureRequests], timeout: 10 };
// Nothing listens here: the browser's request to it is where the code is read.
const REDIRECT = 'http://localhost:9/jwe-cb';

/** A code flow through the pages: the tokens, as openid-client processed them. */
async function codeFlow(config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const cb = await signInAndConsent(url, REDIRECT);
  return client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
}

/** A key pair for a JWE alg, with its public JWK as the client publishes it. */
async function encryptionKey(alg, kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), use: 'enc', alg, kid };
  // openid-client picks among its keys by the JWE header's kid and alg.
  return { jwk, privateKey: { key: privateKey, kid, alg } };
}

for (const [alg, enc] of [
  ['ECDH-ES+A256KW', 'A256GCM'],
  ['RSA-OAEP-256', 'A128CBC-HS256'],
  ['ECDH-ES', 'A256CBC-HS512'],
]) {
  test(`openid-client decrypts ${alg}/${enc} ID tokens, userinfo and introspection`, async () => {
    const key = await encryptionKey(alg, `enc-${alg}`);
    const registered = await client.dynamicClientRegistration(
      ISSUER,
      {
        client_name: `interop jwe ${alg}`,
        redirect_uris: [REDIRECT],
        scope: 'openid profile',
        token_endpoint_auth_method: 'client_secret_basic',
        jwks: { keys: [key.jwk] },
        id_token_encrypted_response_alg: alg,
        id_token_encrypted_response_enc: enc,
        userinfo_signed_response_alg: 'ES256',
        userinfo_encrypted_response_alg: alg,
        userinfo_encrypted_response_enc: enc,
        introspection_signed_response_alg: 'ES256',
        introspection_encrypted_response_alg: alg,
        introspection_encrypted_response_enc: enc,
      },
      undefined,
      insecure,
    );
    const meta = registered.clientMetadata();
    assert.equal(meta.id_token_encrypted_response_alg, alg);
    assert.equal(meta.id_token_encrypted_response_enc, enc);
    const config = await client.discovery(
      ISSUER,
      meta.client_id,
      meta,
      client.ClientSecretBasic(meta.client_secret),
      insecure,
    );
    for (const m of ['id_token', 'userinfo', 'introspection']) {
      assert.ok(config.serverMetadata()[`${m}_encryption_alg_values_supported`].includes(alg), m);
      assert.ok(config.serverMetadata()[`${m}_encryption_enc_values_supported`].includes(enc), m);
    }
    client.enableDecryptingResponses(config, [enc], key.privateKey);

    const tokens = await codeFlow(config);
    // The wire value was a JWE; openid-client validated the nested JWS's claims.
    assert.equal(tokens.id_token.split('.').length, 5, 'a compact JWE');
    const header = jose.decodeProtectedHeader(tokens.id_token);
    assert.equal(header.alg, alg);
    assert.equal(header.enc, enc);
    assert.equal(header.kid, key.jwk.kid);
    assert.equal(header.cty, 'JWT');
    const claims = tokens.claims();
    assert.equal(claims.iss, ISSUER.href.replace(/\/$/, ''));
    assert.equal(claims.aud, meta.client_id);
    const inner = client.getDecryptedResponses(tokens).id_token?.token_endpoint;
    assert.equal(typeof inner, 'string', 'the inner signed ID token');
    const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
    await jose.jwtVerify(inner, jwks, { issuer: claims.iss, audience: meta.client_id });

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.sub, claims.sub);
    assert.equal(typeof client.getDecryptedResponses(info), 'string', 'userinfo was a JWE');

    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.client_id, meta.client_id);
    assert.equal(typeof client.getDecryptedResponses(introspected), 'string', 'introspection was a JWE');
  });
}

test('a key that is not the registered one cannot open the ID token', async () => {
  const key = await encryptionKey('ECDH-ES', 'enc-a');
  const other = await encryptionKey('ECDH-ES', 'enc-b');
  const registered = await client.dynamicClientRegistration(
    ISSUER,
    {
      redirect_uris: [REDIRECT],
      scope: 'openid profile',
      jwks: { keys: [key.jwk] },
      id_token_encrypted_response_alg: 'ECDH-ES',
    },
    undefined,
    insecure,
  );
  const meta = registered.clientMetadata();
  assert.equal(meta.id_token_encrypted_response_enc, 'A128CBC-HS256', 'the OIDC DCR default');
  const config = await client.discovery(ISSUER, meta.client_id, meta, client.ClientSecretBasic(meta.client_secret), insecure);
  client.enableDecryptingResponses(config, ['A128CBC-HS256'], other.privateKey);
  await assert.rejects(codeFlow(config));
});
