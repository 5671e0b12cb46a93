// Baseline token server for benches/load/token.sh: npm `oidc-provider`, configured like the
// jans run: client_credentials only, client_secret_basic, scopes "read write", 300 s access
// tokens, opaque (reference) tokens for one client and ES256 JWT access tokens (RFC 9068,
// through a resource indicator with accessTokenFormat 'jwt') for the other. No interactions.
//
// usage: node oidc-provider-server.mjs PORT CLIENTS_JSON_OUT
//   writes {"reference": {client_id, client_secret}, "jwt": {...}} to CLIENTS_JSON_OUT,
//   then prints "listening on http://127.0.0.1:PORT" when ready. Stops on SIGTERM/SIGINT.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const [port, clientsOut] = process.argv.slice(2);
if (!port || !clientsOut) {
  console.error('usage: node oidc-provider-server.mjs PORT CLIENTS_JSON_OUT');
  process.exit(2);
}

const issuer = `http://localhost:${port}`;
const RESOURCE = 'urn:jans-bench:api';
const TTL = 300;

async function signingKey(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}

const secret = () => randomBytes(32).toString('base64url');
const clients = {
  reference: { client_id: 'bench-reference', client_secret: secret() },
  jwt: { client_id: 'bench-jwt', client_secret: secret() },
};

const clientMetadata = (c) => ({
  client_id: c.client_id,
  client_secret: c.client_secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'read write',
});

const provider = new Provider(issuer, {
  clients: [clientMetadata(clients.reference), clientMetadata(clients.jwt)],
  // ES256 signs the JWT access tokens; RS256 is there because OIDC requires it for ID tokens.
  jwks: { keys: [await signingKey('ES256'), await signingKey('RS256')] },
  scopes: ['openid', 'offline_access', 'read', 'write'],
  cookies: { keys: [secret()] },
  ttl: { ClientCredentials: TTL, AccessToken: TTL },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The JWT client gets a resource server by default, so its tokens are JWTs; the reference
      // client gets none, so its tokens are opaque and stored (like jans reference tokens).
      defaultResource: (ctx, client) => (client?.clientId === clients.jwt.client_id ? RESOURCE : undefined),
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: 'read write',
          audience: RESOURCE,
          accessTokenTTL: TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
      useGrantedResource: () => true,
    },
  },
});
provider.proxy = false;

writeFileSync(clientsOut, JSON.stringify(clients), { mode: 0o600 });

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port} (issuer ${issuer})`);
});
server.keepAliveTimeout = 65_000;

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
