// Dynamic client registration (RFC 7591) through openid-client, then RFC 7592 management of
// the registered client with its registration access token, and a client_credentials grant
// with the fresh credentials.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { ISSUER, expectOAuthError } from './helpers.mjs';

test('openid-client registers a client; RFC 7592 read, update, delete', async () => {
  const metadata = {
    client_name: 'interop dynamic',
    redirect_uris: ['http://localhost:59998/cb'],
    grant_types: ['authorization_code', 'client_credentials'],
    scope: 'openid profile',
    token_endpoint_auth_method: 'client_secret_basic',
  };
  const config = await client.dynamicClientRegistration(ISSUER, metadata, undefined, {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  const registered = config.clientMetadata();
  assert.ok(registered.client_id && registered.client_secret);
  assert.deepEqual(registered.redirect_uris, metadata.redirect_uris);
  const { registration_access_token: rat, registration_client_uri: uri } = registered;
  assert.ok(rat && uri, 'RFC 7591 §3.2.1 + RFC 7592 §3 members');

  // The new credentials work at the token endpoint.
  const authd = await client.discovery(ISSUER, registered.client_id, {}, client.ClientSecretBasic(registered.client_secret), {
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.clientCredentialsGrant(authd, { scope: 'openid' });
  assert.ok(tokens.access_token);

  const auth = { authorization: `Bearer ${rat}` };
  let r = await fetch(uri, { headers: auth });
  assert.equal(r.status, 200);
  const read = await r.json();
  assert.equal(read.client_id, registered.client_id);

  r = await fetch(uri, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ ...read, client_name: 'renamed' }),
  });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).client_name, 'renamed');

  r = await fetch(uri, { headers: { authorization: 'Bearer wrong' } });
  assert.equal(r.status, 401);

  r = await fetch(uri, { method: 'DELETE', headers: auth });
  assert.equal(r.status, 204);
  await expectOAuthError(client.clientCredentialsGrant(authd), 'invalid_client');
});

test('registration errors come back as RFC 7591 errors', async () => {
  await expectOAuthError(
    client.dynamicClientRegistration(ISSUER, { redirect_uris: ['http://rp.example.com/cb'] }, undefined, {
      execute: [client.allowInsecureRequests],
    }),
    'invalid_redirect_uri',
  );
});
