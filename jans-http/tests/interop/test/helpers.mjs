// Shared setup for the interop tests: where the server is and which clients were registered.
//
// The driver (jans-http/tests/interop.rs) starts `jans serve` and sets:
//   JANS_ISSUER   the issuer, e.g. http://localhost:PORT
//   JANS_CLIENTS  a JSON file: { ROLE: <the object `jans client add` printed>, ... } where
//                 ROLE is one of basic, post, basic_jwt, private_key_jwt, secret_jwt, code,
//                 code_public, dpop (a public client with dpop_bound_access_tokens), device, exchanger (JWT bearer and
//                 token exchange); the private_key_jwt entry also has "private_jwk_file" (an
//                 ES256 private JWK); the code clients' redirect URI is on a free port that
//                 code_flow.test.mjs listens on.
//   JANS_USER, JANS_PASSWORD   the person the browser tests sign in as
//   CHROMIUM      the Chromium executable (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import * as client from 'openid-client';
import * as jose from 'jose';

function mustEnv(name) {
  const v = process.env[name];
  assert.ok(v, `${name} must be set (run through jans-http/tests/interop.rs)`);
  return v;
}

export const ISSUER = new URL(mustEnv('JANS_ISSUER'));
export const clients = JSON.parse(readFileSync(mustEnv('JANS_CLIENTS'), 'utf8'));

export function registered(role) {
  const c = clients[role];
  assert.ok(c, `the driver registered no "${role}" client`);
  assert.equal(typeof c.client_id, 'string', `${role}: client add printed no client_id`);
  return c;
}

/** The ClientAuth that matches ROLE's registered token_endpoint_auth_method. */
export async function authFor(role) {
  const c = registered(role);
  switch (role) {
    case 'basic':
    case 'basic_jwt':
    case 'exchanger':
      return client.ClientSecretBasic(c.client_secret);
    case 'post':
      return client.ClientSecretPost(c.client_secret);
    case 'secret_jwt':
      return client.ClientSecretJwt(c.client_secret);
    case 'private_key_jwt': {
      const jwk = JSON.parse(readFileSync(c.private_jwk_file, 'utf8'));
      const key = await jose.importJWK(jwk, 'ES256');
      return client.PrivateKeyJwt({ key, kid: jwk.kid });
    }
    default:
      throw new Error(`unknown role ${role}`);
  }
}

/** openid-client discovery against the jans issuer, for ROLE (or an explicit ClientAuth). */
export async function configFor(role, auth) {
  const c = registered(role);
  return client.discovery(ISSUER, c.client_id, {}, auth ?? (await authFor(role)), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
}

/**
 * Awaits PROMISE and asserts it failed with the OAuth error CODE, as openid-client reports it:
 * a ResponseBodyError, or (RFC 6749 §5.2: 401 with WWW-Authenticate after a failed HTTP Basic
 * authentication) a WWWAuthenticateChallengeError whose challenge or body carries the code.
 * Returns the error so the caller can check more (status).
 */
export async function expectOAuthError(promise, code) {
  let err;
  try {
    const ok = await promise;
    assert.fail(`expected OAuth error "${code}", but the request succeeded: ${JSON.stringify(ok)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  if (err instanceof client.ResponseBodyError) {
    assert.equal(err.error, code, `OAuth error (HTTP ${err.status}): ${JSON.stringify(err.cause)}`);
    return err;
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const fromChallenge = err.cause.find((c) => c.parameters?.error)?.parameters.error;
    let body;
    try {
      body = await err.response.json();
    } catch {
      body = undefined;
    }
    assert.equal(
      body?.error ?? fromChallenge,
      code,
      `HTTP ${err.status} challenge ${JSON.stringify(err.cause)} body ${JSON.stringify(body)}`,
    );
    return err;
  }
  throw err;
}

export const nowSecs = () => Math.floor(Date.now() / 1000);

export function looksLikeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof header.alg === 'string';
  } catch {
    return false;
  }
}

export { client, jose };

/** Re-throws openid-client errors with what a failing test report needs: status, URL, body. */
export function detailed(e) {
  if (e instanceof assert.AssertionError) return e;
  const parts = [e?.message ?? String(e)];
  if (e?.code) parts.push(`code ${e.code}`);
  const res = e?.response ?? (e?.cause instanceof Response ? e.cause : undefined);
  if (res) parts.push(`HTTP ${res.status} from ${res.url}`);
  if (e instanceof client.ResponseBodyError || e instanceof client.WWWAuthenticateChallengeError) {
    parts.push(`cause ${JSON.stringify(e.cause)}`);
  } else if (e?.cause && !(e.cause instanceof Response)) {
    try {
      parts.push(`cause ${JSON.stringify(e.cause.cause ?? e.cause).slice(0, 2000)}`);
    } catch {
      parts.push(`cause ${e.cause}`);
    }
  }
  return new Error(parts.join('; '), { cause: e });
}

/** node:test `test` whose failures carry detailed() information. */
export function it(name, fn) {
  return test(name, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      throw detailed(e);
    }
  });
}

/**
 * The headless Chromium of this test file (launched on first use with the flags the
 * sandbox needs, closed after the file's tests).
 */
let sharedBrowser;
after(async () => { await sharedBrowser?.close(); });
export async function chromiumBrowser() {
  if (!sharedBrowser) {
    const { chromium } = await import('playwright-core');
    sharedBrowser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  }
  return sharedBrowser;
}

/**
 * Open URL in a fresh browser context, sign in as JANS_USER and allow access; returns the
 * URL the browser was sent to under REDIRECT (nothing needs to listen there).
 */
export async function signInAndConsent(url, redirect) {
  const context = await (await chromiumBrowser()).newContext();
  try {
    const page = await context.newPage();
    const callback = page.waitForRequest((r) => r.url().startsWith(redirect), { timeout: 20000 });
    await page.goto(url.href);
    await page.fill('#username', process.env.JANS_USER ?? 'alice');
    await page.fill('#password', process.env.JANS_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow access?');
    await page.click('button[value=allow]');
    return new URL((await callback).url());
  } finally {
    await context.close();
  }
}
