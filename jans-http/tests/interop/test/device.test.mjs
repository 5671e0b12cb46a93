// The device authorization grant (RFC 8628) as openid-client does it: the device asks for
// codes and polls the token endpoint (honouring interval and slow_down) while headless
// Chromium opens verification_uri_complete, confirms the code, signs in and approves on
// the real pages; openid-client then validates the ID token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { ISSUER, registered, chromiumBrowser } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
async function deviceConfig() {
  const c = registered('device');
  return client.discovery(ISSUER, c.client_id, {}, client.None(), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
}

/** The person at a browser: opens URL, confirms the code, signs in, answers `action`. */
async function approve(url, action) {
  const context = await (await chromiumBrowser()).newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('text=Connect a device');
  await page.click('button[type=submit]');
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Allow access?');
  await page.click(`button[value=${action}]`);
  await page.waitForFunction(() => document.querySelector('h1')?.textContent !== 'Allow access?');
  const heading = await page.textContent('h1');
  await context.close();
  return heading;
}

test('device flow: the device polls while the person approves in a browser', async () => {
  const config = await deviceConfig();
  assert.ok(config.serverMetadata().device_authorization_endpoint);
  const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
  assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(new URL(started.verification_uri).pathname, '/jans-auth/device-code');
  const polling = client.pollDeviceAuthorizationGrant(config, started);
  assert.equal(await approve(started.verification_uri_complete, 'allow'), 'Device connected');
  const tokens = await polling;
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.claims().aud, registered('device').client_id);
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  assert.equal(info.given_name, 'Alice');
});

test('device flow: a denial reaches the device as access_denied', async () => {
  const config = await deviceConfig();
  const started = await client.initiateDeviceAuthorization(config, { scope: 'profile' });
  const polling = client.pollDeviceAuthorizationGrant(config, started);
  assert.equal(await approve(started.verification_uri_complete, 'deny'), 'Request denied');
  await assert.rejects(polling, (e) => e.error === 'access_denied');
});
