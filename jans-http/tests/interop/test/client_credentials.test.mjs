// openid-client (v6, on oauth4webapi) and jose against a running `jans serve`:
// discovery, client_credentials with every secret/key auth method, RFC 9068 JWT access tokens
// verified against the published JWKS, RFC 7662 introspection, RFC 7009 revocation, and the
// OAuth errors a client library must be able to recognise.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import {
  ISSUER,
  client,
  configFor,
  expectOAuthError,
  it,
  jose,
  looksLikeJwt,
  nowSecs,
  registered,
} from './helpers.mjs';

const issuer = ISSUER.href.replace(/\/$/, '');

describe('discovery', () => {
  it('openid-client discovers the Janssen endpoints', async () => {
    const config = await configFor('basic');
    const meta = config.serverMetadata();
    assert.equal(new URL(meta.issuer).href, ISSUER.href, 'issuer');
    assert.equal(meta.token_endpoint, `${issuer}/jans-auth/restv1/token`);
    assert.equal(meta.jwks_uri, `${issuer}/jans-auth/restv1/jwks`);
    assert.equal(meta.introspection_endpoint, `${issuer}/jans-auth/restv1/introspection`);
    assert.equal(meta.revocation_endpoint, `${issuer}/jans-auth/restv1/revoke`);
    for (const m of [
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
    ]) {
      assert.ok(
        meta.token_endpoint_auth_methods_supported?.includes(m),
        `token_endpoint_auth_methods_supported lacks ${m}: ${meta.token_endpoint_auth_methods_supported}`,
      );
    }
    assert.ok(
      meta.grant_types_supported?.includes('client_credentials'),
      `grant_types_supported lacks client_credentials: ${meta.grant_types_supported}`,
    );
  });

  it('the JWKS holds public keys only (signing and encryption)', async () => {
    const meta = (await configFor('basic')).serverMetadata();
    const res = await fetch(meta.jwks_uri);
    assert.equal(res.status, 200);
    const { keys } = await res.json();
    assert.ok(Array.isArray(keys) && keys.length > 0, 'jwks has keys');
    for (const k of keys) {
      assert.ok(k.kid, `key without kid: ${JSON.stringify(k)}`);
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        assert.equal(k[priv], undefined, `JWKS leaks private member "${priv}" of ${k.kid}`);
      }
    }
    assert.ok(
      keys.some((k) => k.kty === 'EC' && k.crv === 'P-256'),
      'an ES256 (P-256) key is published',
    );
  });
});

/** Checks a token endpoint response for a reference (opaque) token. */
function assertReferenceToken(tokens, requested) {
  assert.equal(typeof tokens.access_token, 'string');
  assert.ok(tokens.access_token.length >= 16, 'access_token is long enough to be unguessable');
  assert.ok(!looksLikeJwt(tokens.access_token), 'default clients get reference (opaque) tokens');
  assert.equal(tokens.token_type, 'bearer'); // openid-client lowercases it
  assert.ok(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0, `expires_in ${tokens.expires_in}`);
  // openid-client's helper counts down from the response time
  assert.ok(tokens.expires_in - tokens.expiresIn() <= 2, `expiresIn() ${tokens.expiresIn()}`);
  if (requested) assert.equal(tokens.scope, requested);
}

/** Verifies an RFC 9068 access token with jose against the server's JWKS. */
async function verifyJwtAccessToken(config, tokens, clientId, scope) {
  const meta = config.serverMetadata();
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
    issuer: meta.issuer,
    typ: 'at+jwt',
    algorithms: ['ES256'],
    // RFC 9068 §2.2: required claims
    requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.ok(protectedHeader.kid, 'header has kid');
  assert.equal(payload.client_id, clientId, 'client_id claim');
  const aud = [].concat(payload.aud);
  assert.ok(aud.length > 0 && aud.every((a) => typeof a === 'string' && a), `aud ${payload.aud}`);
  // Janssen: a client_credentials token's audience is the client itself
  assert.ok(aud.includes(clientId), `aud ${JSON.stringify(payload.aud)} includes the client_id`);
  assert.ok(payload.exp > nowSecs(), 'not expired');
  assert.ok(payload.iat <= nowSecs() + 5, 'iat not in the future');
  assert.ok(
    Math.abs(payload.exp - payload.iat - tokens.expires_in) <= 5,
    `exp - iat (${payload.exp - payload.iat}) matches expires_in (${tokens.expires_in})`,
  );
  if (scope) assert.equal(payload.scope, scope, 'scope claim (RFC 9068 §2.2.3)');
  return payload;
}

describe('client_credentials', () => {
  it('client_secret_basic, reference token', async () => {
    const config = await configFor('basic');
    assertReferenceToken(await client.clientCredentialsGrant(config, { scope: 'read' }), 'read');
  });

  it('client_secret_basic, no scope parameter', async () => {
    const config = await configFor('basic');
    const tokens = await client.clientCredentialsGrant(config);
    assertReferenceToken(tokens);
    for (const s of (tokens.scope ?? '').split(' ').filter(Boolean)) {
      assert.ok(['read', 'write'].includes(s), `granted scope ${s} was never registered`);
    }
  });

  it('client_secret_post, reference token', async () => {
    const config = await configFor('post');
    assertReferenceToken(
      await client.clientCredentialsGrant(config, { scope: 'read write' }),
      'read write',
    );
  });

  it('client_secret_basic, ES256 JWT access token', async () => {
    const config = await configFor('basic_jwt');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
    await verifyJwtAccessToken(config, tokens, registered('basic_jwt').client_id, 'read');
  });

  it('private_key_jwt (ES256), ES256 JWT access token', async () => {
    const config = await configFor('private_key_jwt');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'read write' });
    assert.equal(tokens.token_type, 'bearer');
    await verifyJwtAccessToken(
      config,
      tokens,
      registered('private_key_jwt').client_id,
      'read write',
    );
  });

  it('private_key_jwt: a fresh assertion per request is accepted (no false replay)', async () => {
    const config = await configFor('private_key_jwt');
    for (let i = 0; i < 3; i += 1) {
      await client.clientCredentialsGrant(config, { scope: 'read' });
    }
  });

  it('client_secret_jwt (HS256), reference token', async () => {
    const config = await configFor('secret_jwt');
    assertReferenceToken(await client.clientCredentialsGrant(config, { scope: 'read' }), 'read');
  });
});

describe('introspection and revocation', () => {
  it('reference token: active, then inactive after revocation', async () => {
    const config = await configFor('basic');
    const { access_token: token } = await client.clientCredentialsGrant(config, { scope: 'read' });

    const info = await client.tokenIntrospection(config, token);
    assert.equal(info.active, true, JSON.stringify(info));
    assert.equal(info.client_id, registered('basic').client_id);
    assert.equal(info.scope, 'read');
    assert.ok(Number.isInteger(info.exp) && info.exp > nowSecs(), `exp ${info.exp}`);

    await client.tokenRevocation(config, token);
    const after = await client.tokenIntrospection(config, token);
    assert.equal(after.active, false, JSON.stringify(after));
  });

  it('client_secret_post client introspects and revokes its own token', async () => {
    const config = await configFor('post');
    const { access_token: token } = await client.clientCredentialsGrant(config, { scope: 'write' });
    const info = await client.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
    assert.equal(info.active, true, JSON.stringify(info));
    assert.equal(info.client_id, registered('post').client_id);
    assert.equal(info.scope, 'write');
    await client.tokenRevocation(config, token, { token_type_hint: 'access_token' });
    assert.equal((await client.tokenIntrospection(config, token)).active, false);
  });

  it('JWT access token (private_key_jwt): introspection and revocation', async () => {
    const config = await configFor('private_key_jwt');
    const { access_token: token } = await client.clientCredentialsGrant(config, { scope: 'read' });
    const info = await client.tokenIntrospection(config, token);
    assert.equal(info.active, true, JSON.stringify(info));
    assert.equal(info.client_id, registered('private_key_jwt').client_id);
    assert.equal(info.scope, 'read');
    assert.ok(Number.isInteger(info.exp) && info.exp > nowSecs(), `exp ${info.exp}`);

    await client.tokenRevocation(config, token);
    const after = await client.tokenIntrospection(config, token);
    assert.equal(after.active, false, `a revoked JWT access token must introspect inactive: ${JSON.stringify(after)}`);
  });

  it('unknown token introspects inactive; revoking it succeeds (RFC 7009 §2.2)', async () => {
    const config = await configFor('basic');
    const info = await client.tokenIntrospection(config, 'not-a-token-that-jans-issued');
    assert.equal(info.active, false, JSON.stringify(info));
    await client.tokenRevocation(config, 'not-a-token-that-jans-issued');
  });

  it('another client cannot revoke a token that is not its own', async () => {
    const owner = await configFor('basic');
    const other = await configFor('post');
    const { access_token: token } = await client.clientCredentialsGrant(owner, { scope: 'read' });
    try {
      await client.tokenRevocation(other, token);
    } catch (err) {
      // an error answer is fine too (RFC 7009 §2.1 lets the server refuse)
      assert.ok(err instanceof client.ResponseBodyError, `unexpected failure: ${err}`);
    }
    const info = await client.tokenIntrospection(owner, token);
    assert.equal(info.active, true, `the other client's revocation must not take effect: ${JSON.stringify(info)}`);
  });

  it('introspection authenticated with Authorization: Bearer <access token>', async () => {
    const config = await configFor('basic');
    const meta = config.serverMetadata();
    const { access_token: caller } = await client.clientCredentialsGrant(config, { scope: 'read' });
    const { access_token: token } = await client.clientCredentialsGrant(await configFor('post'), {
      scope: 'write',
    });
    const res = await fetch(meta.introspection_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${caller}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const info = JSON.parse(text);
    assert.equal(info.active, true, text);
    assert.equal(info.client_id, registered('post').client_id, text);
  });
});

describe('errors through the client library', () => {
  let meta;
  before(async () => {
    meta = (await configFor('basic')).serverMetadata();
  });

  it('wrong secret with client_secret_basic: 401 invalid_client', async () => {
    const config = await configFor('basic', client.ClientSecretBasic('wrong-secret'));
    const err = await expectOAuthError(client.clientCredentialsGrant(config), 'invalid_client');
    assert.equal(err.status, 401, 'RFC 6749 §5.2: 401 when the client used the Authorization header');
    assert.ok(
      err.response.headers.get('www-authenticate'),
      'RFC 6749 §5.2: WWW-Authenticate on a 401',
    );
  });

  it('wrong secret with client_secret_post: invalid_client', async () => {
    const config = await configFor('post', client.ClientSecretPost('wrong-secret'));
    const err = await expectOAuthError(client.clientCredentialsGrant(config), 'invalid_client');
    assert.ok([400, 401].includes(err.status), `status ${err.status}`);
  });

  it('unknown client_id: invalid_client', async () => {
    const config = new client.Configuration(meta, 'no-such-client', {}, client.ClientSecretBasic('x'));
    client.allowInsecureRequests(config);
    await expectOAuthError(client.clientCredentialsGrant(config), 'invalid_client');
  });

  it('private_key_jwt signed with an unregistered key: invalid_client', async () => {
    const { privateKey } = await jose.generateKeyPair('ES256');
    const config = await configFor('private_key_jwt', client.PrivateKeyJwt(privateKey));
    await expectOAuthError(client.clientCredentialsGrant(config), 'invalid_client');
  });

  it('client_secret_jwt with the wrong secret: invalid_client', async () => {
    const config = await configFor('secret_jwt', client.ClientSecretJwt('wrong-secret-wrong-secret-wrong-secret'));
    await expectOAuthError(client.clientCredentialsGrant(config), 'invalid_client');
  });

  it('unknown grant type: unsupported_grant_type', async () => {
    const config = await configFor('basic');
    await expectOAuthError(
      client.genericGrantRequest(config, 'urn:example:params:oauth:grant-type:unknown', {}),
      'unsupported_grant_type',
    );
  });

  it('revocation with a wrong secret: invalid_client', async () => {
    const good = await configFor('basic');
    const { access_token: token } = await client.clientCredentialsGrant(good, { scope: 'read' });
    const bad = await configFor('basic', client.ClientSecretBasic('wrong-secret'));
    await expectOAuthError(client.tokenRevocation(bad, token), 'invalid_client');
    assert.equal((await client.tokenIntrospection(good, token)).active, true);
  });

  it('introspection with a wrong secret: invalid_client', async () => {
    const bad = await configFor('post', client.ClientSecretPost('wrong-secret'));
    await expectOAuthError(client.tokenIntrospection(bad, 'whatever'), 'invalid_client');
  });
});
