// prompt=create (OpenID Connect Prompt Create 1.0) through the real pages: openid-client
// builds the request, Chromium fills the sign-up form (a mismatched password first, then a
// taken username), the new person approves and openid-client redeems the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as client from 'openid-client';
import { ISSUER, registered, chromiumBrowser } from './helpers.mjs';

const USER = process.env.JANS_USER ?? 'alice';
test('prompt=create: a person signs up on the page and the client gets their tokens', async () => {
  const c = registered('code');
  const config = await client.discovery(ISSUER, c.client_id, {}, client.ClientSecretBasic(c.client_secret), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  assert.ok(config.serverMetadata().prompt_values_supported.includes('create'));
  const redirectUri = c.redirect_uris[0];
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'create',
  });
  const context = await (await chromiumBrowser()).newContext();
  const page = await context.newPage();
  const callback = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 20000 });
  await page.goto(url.href);
  await page.waitForSelector('text=Create an account');
  const fill = async (username, password2) => {
    await page.fill('#username', username);
    await page.fill('#email', 'erin@example.com');
    await page.fill('#given_name', 'Erin');
    await page.fill('#family_name', 'Lee');
    await page.fill('#password', 'correct horse battery staple');
    await page.fill('#password2', password2);
    await page.click('button[type=submit]');
  };
  await fill('erin', 'something else entirely');
  await page.waitForSelector('text=The two passwords differ.');
  await fill(USER, 'correct horse battery staple');
  await page.waitForSelector('text=That username is taken');
  await fill('erin', 'correct horse battery staple');
  await page.waitForSelector('text=Allow access?');
  await page.click('button[value=allow]');
  const cb = new URL((await callback).url());
  await context.close();
  const tokens = await client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  assert.equal(info.given_name, 'Erin');
  assert.equal(info.family_name, 'Lee');
});
