// Writes an ES256 key pair for the private_key_jwt client as two JWK files:
//   node keygen.mjs PRIVATE_JWK_OUT PUBLIC_JWK_OUT
// Both carry kid (RFC 7638 thumbprint), alg ES256 and use sig. The private file is mode 0600.
import { writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const [privOut, pubOut] = process.argv.slice(2);
if (!privOut || !pubOut) {
  console.error('usage: node keygen.mjs PRIVATE_JWK_OUT PUBLIC_JWK_OUT');
  process.exit(2);
}
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const pub = await exportJWK(publicKey);
const meta = { kid: await calculateJwkThumbprint(pub), alg: 'ES256', use: 'sig' };
writeFileSync(privOut, JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }), { mode: 0o600 });
writeFileSync(pubOut, JSON.stringify({ ...pub, ...meta }));
