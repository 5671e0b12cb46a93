// The assertion and exchange grants as openid-client sends them (genericGrantRequest):
// a JWT bearer assertion (RFC 7523) signed with jose by a trusted issuer, that token
// exchanged (RFC 8693) for one of another audience and for a transaction token (verified
// with jose against the JWKS), and client credentials with authorization details
// (RFC 9396) coming back in the token response.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';
import { ISSUER, configFor, registered } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const TXN = 'urn:ietf:params:oauth:token-type:txn_token';

/** An assertion of https://partner.example (the driver trusts this key) about the user. */
async function assertion(config) {
  const jwk = JSON.parse(readFileSync(registered('private_key_jwt').private_jwk_file, 'utf8'));
  const key = await jose.importJWK(jwk, 'ES256');
  return new jose.SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
    .setIssuer('https://partner.example')
    .setSubject(USER)
    .setAudience(config.serverMetadata().token_endpoint)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(crypto.randomUUID())
    .sign(key);
}

test('JWT bearer, then token exchange to another audience and to a transaction token', async () => {
  const config = await configFor('exchanger');
  assert.ok(config.serverMetadata().grant_types_supported.includes(JWT_BEARER));
  const a = await assertion(config);
  const tokens = await client.genericGrantRequest(config, JWT_BEARER, { assertion: a, scope: 'read' });
  assert.equal(tokens.scope, 'read');
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  assert.notEqual(info.sub, registered('exchanger').client_id, "the person's token");
  // Used once.
  await assert.rejects(
    client.genericGrantRequest(config, JWT_BEARER, { assertion: a }),
    (e) => e.error === 'invalid_grant',
  );

  const downstream = registered('basic').client_id;
  const exchanged = await client.genericGrantRequest(config, EXCHANGE, {
    subject_token: tokens.access_token,
    subject_token_type: AT,
    audience: downstream,
  });
  assert.equal(exchanged.issued_token_type, AT);
  const info2 = await client.tokenIntrospection(config, exchanged.access_token);
  assert.equal(info2.aud, downstream);
  assert.equal(info2.sub, info.sub);

  const txn = await client.genericGrantRequest(config, EXCHANGE, {
    subject_token: tokens.access_token,
    subject_token_type: AT,
    requested_token_type: TXN,
    request_context: JSON.stringify({ req_ip: '198.51.100.7' }),
  });
  assert.equal(txn.issued_token_type, TXN);
  assert.equal(txn.token_type, 'n_a');
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(txn.access_token, jwks, {
    issuer: ISSUER.href.replace(/\/$/, ''),
    typ: 'txntoken+jwt',
  });
  assert.equal(protectedHeader.typ, 'txntoken+jwt');
  assert.equal(payload.sub, info.sub);
  assert.equal(payload.rctx.req_ip, '198.51.100.7');
  assert.match(payload.txn, /^[0-9a-f-]{36}$/);
});

test('client credentials with authorization_details (RFC 9396)', async () => {
  const config = await configFor('exchanger');
  assert.deepEqual(config.serverMetadata().authorization_details_types_supported, ['payment_initiation']);
  const details = [{ type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '12.00' } }];
  const tokens = await client.clientCredentialsGrant(config, {
    scope: 'read',
    authorization_details: JSON.stringify(details),
  });
  assert.deepEqual(tokens.authorization_details, details);
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.deepEqual(info.authorization_details, details);
  await assert.rejects(
    client.clientCredentialsGrant(config, { authorization_details: '[{"type":"wire"}]' }),
    (e) => e.error === 'invalid_authorization_details',
  );
});
