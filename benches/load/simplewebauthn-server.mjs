// Baseline for benches/load/fido2.sh: a WebAuthn relying party on Node with
// @simplewebauthn/server, at the same paths and with the same JSON as jans-fido2, so one
// load tool drives both. Challenges are kept in memory and taken once (as jans takes
// them); credentials in memory. It does what a minimal RP must per ceremony, no more: no
// store writes to disk, no session checks.
//
//   node simplewebauthn-server.mjs PORT ORIGIN RP_ID
import http from 'node:http';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

const [port, origin, rpID] = process.argv.slice(2);
if (!port || !origin || !rpID) {
  console.error('usage: simplewebauthn-server.mjs PORT ORIGIN RP_ID');
  process.exit(2);
}

const challenges = new Map(); // challenge -> { kind, username }
const credentials = new Map(); // credential id -> { username, publicKey, counter }
const byUser = new Map(); // username -> [credential id]

const challengeOf = (response) =>
  JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url')).challenge;

function take(challenge, kind) {
  const c = challenges.get(challenge);
  challenges.delete(challenge);
  if (!c || c.kind !== kind) throw new Error('unknown challenge');
  return c;
}

const routes = {
  async '/jans-fido2/restv1/attestation/options'(body) {
    const options = await generateRegistrationOptions({
      rpName: rpID,
      rpID,
      userName: body.username,
      attestationType: 'none',
    });
    challenges.set(options.challenge, { kind: 'registration', username: body.username });
    return { ...options, status: 'ok' };
  },
  async '/jans-fido2/restv1/attestation/result'(body) {
    const c = take(challengeOf(body), 'registration');
    const v = await verifyRegistrationResponse({
      response: body,
      expectedChallenge: challengeOf(body),
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
    });
    if (!v.verified) throw new Error('not verified');
    const { credential } = v.registrationInfo;
    credentials.set(credential.id, {
      username: c.username,
      publicKey: credential.publicKey,
      counter: credential.counter,
    });
    byUser.set(c.username, [...(byUser.get(c.username) ?? []), credential.id]);
    return { status: 'ok', username: c.username };
  },
  async '/jans-fido2/restv1/assertion/options'(body) {
    const options = await generateAuthenticationOptions({
      rpID,
      allowCredentials: (byUser.get(body.username) ?? []).map((id) => ({ id })),
      userVerification: 'preferred',
    });
    challenges.set(options.challenge, { kind: 'assertion', username: body.username });
    return { ...options, status: 'ok' };
  },
  async '/jans-fido2/restv1/assertion/result'(body) {
    const c = take(challengeOf(body), 'assertion');
    const stored = credentials.get(body.id);
    if (!stored || stored.username !== c.username) throw new Error('unknown credential');
    const v = await verifyAuthenticationResponse({
      response: body,
      expectedChallenge: challengeOf(body), // taken above: this ceremony's, once
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: body.id, publicKey: stored.publicKey, counter: stored.counter },
      requireUserVerification: false,
    });
    if (!v.verified) throw new Error('not verified');
    stored.counter = v.authenticationInfo.newCounter;
    return { status: 'ok', username: stored.username };
  },
};

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const route = routes[req.url];
      const reply = (status, value) => {
        const text = JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.url === '/health') return reply(200, { status: 'ok' });
      if (!route || req.method !== 'POST') return reply(404, { status: 'failed', errorMessage: 'not found' });
      try {
        reply(200, await route(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      } catch (e) {
        reply(400, { status: 'failed', errorMessage: String(e.message ?? e) });
      }
    });
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`listening on ${port}`));
