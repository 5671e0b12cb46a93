// CIBA (OpenID CIBA Core 1.0) as openid-client drives it: a poll client registered through
// RFC 7591 starts a backchannel authentication for the person by login_hint with a binding
// message (initiateBackchannelAuthentication), the person signs in on the approval page in
// Chromium, sees that binding message and approves, and pollBackchannelAuthenticationGrant
// gets the tokens (checking the ID token); a denial ends the polling with access_denied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { ISSUER, chromiumBrowser } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD;
const insecure = { execute: [client.allowInsecureRequests], timeout: 10 };
const GRANT = 'urn:openid:params:grant-type:ciba';

async function cibaClient() {
  const registered = await client.dynamicClientRegistration(
    ISSUER,
    {
      client_name: 'interop CIBA',
      grant_types: [GRANT],
      response_types: [],
      scope: 'openid profile',
      backchannel_token_delivery_mode: 'poll',
    },
    undefined,
    insecure,
  );
  const meta = registered.clientMetadata();
  return client.discovery(ISSUER, meta.client_id, meta, client.ClientSecretBasic(meta.client_secret), insecure);
}

/** Sign in on the approval page and answer the request showing `binding`. */
async function answer(binding, action) {
  const context = await (await chromiumBrowser()).newContext();
  try {
    const page = await context.newPage();
    await page.goto(new URL('/jans-auth/ciba', ISSUER).href);
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Sign-in requests');
    const item = page.locator('li', { hasText: binding });
    assert.equal(await item.count(), 1, `the request with binding message ${binding} is listed`);
    assert.match(await item.textContent(), /interop CIBA/);
    await item.locator(`button[value=${action}]`).click();
    await page.waitForSelector(action === 'approve' ? 'text=Approved' : 'text=Denied');
  } finally {
    await context.close();
  }
}

test('CIBA poll: approved on the page, tokens by polling', async () => {
  const config = await cibaClient();
  const meta = config.serverMetadata();
  assert.ok(meta.backchannel_authentication_endpoint.endsWith('/jans-auth/restv1/bc-authorize'));
  assert.ok(meta.backchannel_token_delivery_modes_supported.includes('poll'));
  const binding = `B${Math.floor(Math.random() * 1e6)}`;
  const started = await client.initiateBackchannelAuthentication(config, {
    scope: 'openid profile',
    login_hint: USER,
    binding_message: binding,
  });
  assert.ok(started.auth_req_id && started.expires_in > 0);
  const polled = client.pollBackchannelAuthenticationGrant(config, started);
  await answer(binding, 'approve');
  const tokens = await polled;
  assert.ok(tokens.access_token);
  assert.equal(tokens.claims().aud, config.clientMetadata().client_id);
});

test('CIBA poll: denied on the page, access_denied', async () => {
  const config = await cibaClient();
  const binding = `D${Math.floor(Math.random() * 1e6)}`;
  const started = await client.initiateBackchannelAuthentication(config, {
    scope: 'openid',
    login_hint: USER,
    binding_message: binding,
  });
  const polled = client.pollBackchannelAuthenticationGrant(config, started);
  await answer(binding, 'deny');
  await assert.rejects(polled, (e) => e.error === 'access_denied');
  await assert.rejects(
    client.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'nobody-here' }),
    (e) => e.error === 'unknown_user_id',
  );
});
