// Mutual TLS (RFC 8705) against a third `jans serve` over TLS with a mutual-TLS listener:
// openid-client registers `tls_client_auth` and `self_signed_tls_client_auth` clients
// (dynamic registration), authenticates with TlsClientAuth() over the server's
// `mtls_endpoint_aliases` (use_mtls_endpoint_aliases), gets certificate-bound tokens
// (cnf.x5t#S256 at introspection) and revokes them; a certificate of no trusted CA is
// refused. TLS goes through node:https with the test CA trusted and the client's
// certificate, as openid-client's customFetch.
import assert from 'node:assert/strict';
import { createHash, X509Certificate, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import * as client from 'openid-client';
import { clients, expectOAuthError } from './helpers.mjs';

const server = clients.mtls;
assert.ok(server?.issuer, 'the driver started no mTLS server');
const file = (name) => readFileSync(join(server.certs, name), 'utf8');
const ca = file('ca.pem');

/** A fetch over node:https trusting the test CA and presenting `identity` (NAME), if any. */
function mtlsFetch(identity) {
  const tls = identity ? { cert: file(`${identity}.pem`), key: file(`${identity}.key`) } : {};
  return (url, options) =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(options.headers));
      const req = https.request(url, { method: options.method, headers, ca, ...tls }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            for (const one of [v].flat()) if (one !== undefined) h.append(k, one);
          }
          const body = [204, 304].includes(res.statusCode) ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status: res.statusCode, headers: h }));
        });
      });
      req.on('error', reject);
      if (options.body !== undefined && options.body !== null) req.write(String(options.body));
      req.end();
    });
}

/** openid-client options for `identity`'s connections. */
function options(identity) {
  return { [client.customFetch]: mtlsFetch(identity), timeout: 10 };
}

function thumbprint(name) {
  return createHash('sha256').update(new X509Certificate(file(`${name}.pem`)).raw).digest('base64url');
}

/** Register `metadata` over plain TLS and configure the client for `identity`'s certificate. */
async function registerFor(metadata, identity) {
  const issuer = new URL(server.issuer);
  const registeredConfig = await client.dynamicClientRegistration(
    issuer,
    { grant_types: ['client_credentials'], ...metadata },
    client.TlsClientAuth(),
    options(null),
  );
  const id = registeredConfig.clientMetadata().client_id;
  const config = await client.discovery(
    issuer,
    id,
    { use_mtls_endpoint_aliases: true },
    client.TlsClientAuth(),
    options(identity),
  );
  return { id, config };
}

test('discovery publishes the mutual-TLS aliases and methods', async () => {
  const config = await client.discovery(new URL(server.issuer), 'x', {}, client.None(), options(null));
  const meta = config.serverMetadata();
  assert.ok(meta.token_endpoint_auth_methods_supported.includes('tls_client_auth'));
  assert.ok(meta.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));
  assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
  assert.match(meta.mtls_endpoint_aliases.token_endpoint, /^https:\/\/localhost:\d+\/jans-auth\/restv1\/token$/);
  assert.notEqual(meta.mtls_endpoint_aliases.token_endpoint, meta.token_endpoint);
});

test('tls_client_auth: a certificate of the trusted CA with the registered subject', async () => {
  const { config } = await registerFor(
    {
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=client one,O=Example,C=US',
      tls_client_certificate_bound_access_tokens: true,
    },
    'client',
  );
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(tokens.token_type, 'bearer');
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.active, true);
  assert.equal(info.cnf['x5t#S256'], thumbprint('client'));
  await client.tokenRevocation(config, tokens.access_token);
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);

  // The same client with a certificate of no trusted CA (same subject): refused.
  const stranger = await client.discovery(
    new URL(server.issuer),
    config.clientMetadata().client_id,
    { use_mtls_endpoint_aliases: true },
    client.TlsClientAuth(),
    options('stranger'),
  );
  await expectOAuthError(client.clientCredentialsGrant(stranger), 'invalid_client');
});

test('self_signed_tls_client_auth: the certificate registered in the client jwks', async () => {
  const pem = file('stranger.pem');
  const jwk = createPublicKey(pem).export({ format: 'jwk' });
  const x5c = [new X509Certificate(pem).raw.toString('base64')];
  const { config } = await registerFor(
    {
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [{ ...jwk, x5c }] },
      tls_client_certificate_bound_access_tokens: true,
    },
    'stranger',
  );
  const tokens = await client.clientCredentialsGrant(config);
  const info = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(info.cnf['x5t#S256'], thumbprint('stranger'));

  // The CA's certificate is not the one this client registered.
  const other = await client.discovery(
    new URL(server.issuer),
    config.clientMetadata().client_id,
    { use_mtls_endpoint_aliases: true },
    client.TlsClientAuth(),
    options('client'),
  );
  await expectOAuthError(client.clientCredentialsGrant(other), 'invalid_client');
});
