// Casa in Chromium (issue 17 item 9), on the real pages of `jans serve`: a person signs in
// to /jans-casa/ through the auth-server, enrols an authenticator app (the test computes
// its codes, RFC 6238) and a counter-based token (RFC 4226), makes recovery codes, adds a
// passkey with a CDP virtual authenticator, turns two-factor authentication on, and then
// signs in with each second factor in turn (an app's code, the token's, "try another way"
// with the passkey, a recovery code). Asked only on an untrusted device, the browser is
// trusted after its code and then skips the second factor until the person revokes it.
// The last credential cannot be removed while 2FA is on. An administrator (the CasaAdmin
// role) changes the default policy in the admin console and resets a locked-out person to
// password-only. Every page passes axe-core with no serious or critical violation.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { test, before, after } from 'node:test';
import { ISSUER, chromiumBrowser, client, registered } from './helpers.mjs';

const USER = process.env.JANS_CASA_USER ?? 'carol';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
const CASA = `${ISSUER.origin}/jans-casa/`;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = process.env.JANS_SCREENSHOTS;

let context;
after(async () => { await context?.close(); });

// The code client's redirect URI, answered with a plain page; another test file may serve it
// already (files run in parallel), then that server answers.
let callbackServer;
before(async () => {
  const port = Number(new URL(registered('code').redirect_uris[0]).port);
  callbackServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('callback');
  });
  await new Promise((resolve) => {
    callbackServer.once('error', () => { callbackServer = null; resolve(); });
    callbackServer.listen(port, 'localhost', resolve);
  });
});
after(() => callbackServer?.close());

/** base32 (RFC 4648) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let value = 0; const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The TOTP code (RFC 6238, SHA-1, 6 digits, 30 s) of SECRET for the time step STEP. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 30000);

/** A code of a step after USED (waiting for the next step when needed: each is good once). */
async function freshCode(secret, used) {
  while (stepNow() <= used) await new Promise((r) => setTimeout(r, 500));
  return { code: totp(secret, stepNow()), step: stepNow() };
}

/** axe-core on the page: no serious or critical violation. */
async function accessible(page, what) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), [], what);
}

async function shoot(page, name) {
  if (!SHOTS) return;
  for (const [suffix, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${SHOTS}/${name}-${suffix}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** From Casa's address (or the login page it leads to), through the password, to the
 * second factor or the dashboard. */
async function password(page, who = USER, secret = PASSWORD) {
  if (!(await page.$('#username'))) await page.goto(CASA);
  await page.waitForSelector('#username', { timeout: 10000 });
  await page.fill('#username', who);
  await page.fill('#password', secret);
  await page.click('button[type=submit]');
}

/** Sign out of Casa (and the auth-server): back at the login page Casa leads to. */
async function signOut(page) {
  await page.click('text=Sign out');
  await page.waitForSelector('#username', { timeout: 10000 });
}

async function dashboard(page) {
  await page.waitForSelector('h1:has-text("Hello")', { timeout: 15000 });
  assert.equal(new URL(page.url()).pathname, '/jans-casa/');
}

test('Casa: enrol each method, turn 2FA on, sign in with each, keep the last credential', async () => {
  context = await (await chromiumBrowser()).newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });

  // Signed in with the password alone: 2FA is off.
  await password(page);
  await dashboard(page);
  assert.match(await page.textContent('#tfa + p'), /is off/);
  await accessible(page, 'the dashboard');

  // An authenticator app: a wrong code first, then the app's.
  await page.click('text=Add an authenticator app');
  await page.waitForSelector('#otp-secret');
  await accessible(page, 'the enrolment page');
  await shoot(page, 'casa-otp');
  const secret = (await page.textContent('#otp-secret')).trim();
  await page.fill('#nickname', 'Work phone');
  await page.fill('#code', '000000');
  await page.click('form[action="/jans-casa/otp"] button[type=submit]');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /not right/);
  assert.equal((await page.textContent('#otp-secret')).trim(), secret, 'the same enrolment again');
  let used = stepNow();
  await page.fill('#nickname', 'Work phone');
  await page.fill('#code', totp(secret, used));
  await page.click('form[action="/jans-casa/otp"] button[type=submit]');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /authenticator app was added/);
  assert.match(await page.textContent('section[aria-labelledby=apps]'), /Work phone/);

  // A counter-based (HOTP) token: its first code is the one of counter 0.
  await page.click('text=Add a counter-based (HOTP) token');
  await page.waitForSelector('#otp-secret');
  assert.match(await page.textContent('h1'), /counter-based token/);
  await accessible(page, 'the token enrolment page');
  const tokenSecret = (await page.textContent('#otp-secret')).trim();
  await page.fill('#code', totp(tokenSecret, 0)); // HOTP is TOTP's HMAC of a counter
  await page.click('form[action="/jans-casa/otp"] button[type=submit]');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /token was added/);
  assert.match(await page.textContent('section[aria-labelledby=apps]'), /Hardware token \(counter-based\)/);

  // Recovery codes, shown once.
  await page.click('text=Make recovery codes');
  await page.waitForSelector('ul.codes');
  const codes = await page.$$eval('ul.codes code', (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 10);
  await accessible(page, 'the recovery codes');
  await page.click('text=I saved them');
  await dashboard(page);
  assert.match(await page.textContent('section[aria-labelledby=codes]'), /10<\/strong>|10 unused/);

  // A passkey, registered in the page with the virtual authenticator. From then on the
  // authenticator answers only when a step below wants it: the login page offers passkeys
  // (conditional mediation), and a passkey alone — verified by the device — signs in.
  await page.click('#webauthn-add');
  await page.waitForSelector('section[aria-labelledby=keys] .item', { timeout: 15000 });
  await dashboard(page);
  const presence = (enabled) => cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
  await presence(false);

  // 2FA on, the app preferred.
  await page.click('text=Turn on two-factor authentication');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /is on/);
  await page.selectOption('#preferred', 'otp');
  await page.click('form[action="/jans-casa/2fa"] >> text=Save');
  await dashboard(page);
  await accessible(page, 'the dashboard with credentials');
  await shoot(page, 'casa-dashboard');

  // Sign out; signing in again asks for the app's code after the password.
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  assert.match(await page.textContent('h1'), /Confirm it's you/);
  await accessible(page, 'the second factor');
  await shoot(page, 'second-factor-otp');
  await page.fill('#code', '123456');
  await page.click('form:has(#code) button[type=submit]');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /not right/);
  const fresh = await freshCode(secret, used);
  used = fresh.step;
  await page.fill('#code', fresh.code);
  await page.click('form:has(#code) button[type=submit]');
  await dashboard(page);

  // Again with the token's next press (counter 1), in the same field.
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  await page.fill('#code', totp(tokenSecret, 1));
  await page.click('form:has(#code) button[type=submit]');
  await dashboard(page);

  // Again, another way: the passkey.
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  await presence(true);
  await page.click('text=Use a security key or passkey');
  await dashboard(page);
  await presence(false);

  // And a recovery code, once.
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  await page.click('text=Use a recovery code');
  await page.waitForSelector('text=One of your recovery codes');
  await page.fill('#code', codes[0]);
  await page.click('form:has(#code) button[type=submit]');
  await dashboard(page);
  assert.match(await page.textContent('section[aria-labelledby=codes]'), /9/);

  // Asked only on an untrusted device: the browser is trusted once the code confirms it,
  // then the password alone signs in there, until the device is revoked.
  await page.check('input[name=when][value=device]');
  await page.click('form:has(input[name=when]) button[type=submit]');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /as you chose/);
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  let next = await freshCode(secret, used);
  used = next.step;
  await page.fill('#code', next.code);
  await page.click('form:has(#code) button[type=submit]');
  await dashboard(page);
  assert.match(await page.textContent('section[aria-labelledby=devices-heading]'), /Chrom(e|ium) \d+ on Linux/);
  assert.ok(await page.isChecked('input[name=when][value=device]'));
  await accessible(page, 'the dashboard with a trusted device');
  await signOut(page);
  await password(page);
  await dashboard(page);
  await page.click('text=Stop trusting');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /no longer trusted/);
  assert.equal(await page.$('section[aria-labelledby=devices-heading]'), null);
  await signOut(page);
  await password(page);
  await page.waitForSelector('#code');
  next = await freshCode(secret, used);
  used = next.step;
  await page.fill('#code', next.code);
  await page.click('form:has(#code) button[type=submit]');
  await dashboard(page);

  // With 2FA on, the token and the app may go (the passkey stays), the passkey then may not.
  await page.click('button[aria-label="Remove Hardware token"]');
  await dashboard(page);
  assert.doesNotMatch(await page.textContent('section[aria-labelledby=apps]'), /Hardware token/);
  await page.click('section[aria-labelledby=apps] >> text=Remove');
  await dashboard(page);
  assert.match(await page.textContent('.notice'), /removed/);
  await page.click('section[aria-labelledby=keys] button:has-text("Remove")');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /at least 1 credential/);
  assert.equal(await page.locator('section[aria-labelledby=keys] .item').count(), 1);

  // Off again: the password alone signs in.
  await page.click('text=Turn off two-factor authentication');
  await dashboard(page);
  await signOut(page);
  await password(page);
  await dashboard(page);
});

test('Casa: an application\'s access withdrawn ends its tokens; the password changed', async () => {
  // carol allows the code client (openid-client) offline access.
  const c = registered('code');
  const redirectUri = c.redirect_uris[0];
  const config = await client.discovery(ISSUER, c.client_id, {}, client.ClientSecretBasic(c.client_secret), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const ctx = await (await chromiumBrowser()).newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await ctx.newPage();
    await page.goto(url.href);
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow access?');
    await Promise.all([page.waitForURL(`${redirectUri}**`, { timeout: 15000 }), page.click('button[value=allow]')]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.ok(tokens.refresh_token, 'offline access');

    // In Casa (Casa's method asks for the password again: the session's is weaker).
    await password(page);
    await dashboard(page);
    const allowed = page.locator('section[aria-labelledby=apps-consented]');
    assert.match(await allowed.textContent(), /offline_access/);
    await accessible(page, 'the dashboard with an application');
    await allowed.locator('button:has-text("Withdraw access")').click();
    await dashboard(page);
    assert.match(await page.textContent('.notice'), /access was withdrawn/);
    assert.match(await page.textContent('section[aria-labelledby=apps-consented]'), /not allowed any application/);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspected.active, false);

    // A new password: a wrong current one is refused, then it changes.
    const NEW = `${PASSWORD} and more`;
    await page.fill('#current', 'not my password');
    await page.fill('#new', NEW);
    await page.fill('#confirm', NEW);
    await page.click('text=Change password');
    await page.waitForSelector('.error');
    assert.match(await page.textContent('.error'), /current password is not right/);
    await page.fill('#current', PASSWORD);
    await page.fill('#new', NEW);
    await page.fill('#confirm', NEW);
    await page.check('input[name=sign_out_elsewhere]');
    await page.click('text=Change password');
    await dashboard(page);
    assert.match(await page.textContent('.notice'), /password was changed/);
    await signOut(page);
    await page.fill('#username', USER);
    await page.fill('#password', NEW);
    await page.click('button[type=submit]');
    await dashboard(page);
  } finally {
    await ctx.close();
  }
});

test('Casa: the admin console sets who is asked when, and resets a locked-out person', async () => {
  const ADMIN = process.env.JANS_CASA_ADMIN ?? 'dave';
  const CAROL = `${PASSWORD} and more`; // the previous test changed it
  const browser = await chromiumBrowser();
  const carolCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    // carol turns 2FA on; her passkey is in another browser: locked out here.
    const carol = await carolCtx.newPage();
    await password(carol, USER, CAROL);
    await dashboard(carol);
    assert.equal(await carol.$('text=Admin console'), null);
    await carol.click('text=Turn on two-factor authentication');
    await dashboard(carol);
    await carol.goto(`${CASA}admin`);
    assert.match(await carol.textContent('body'), /Only Casa's administrators/);
    await carol.goto(CASA);
    await carol.click('text=Sign out');
    await password(carol, USER, CAROL);
    await carol.waitForSelector('h1:has-text("Confirm it")');

    // dave, an administrator: asked when the device is unknown by default from now on,
    // every sign-in still allowed; then carol reset to password-only.
    const admin = await adminCtx.newPage();
    await password(admin, ADMIN, PASSWORD);
    await dashboard(admin);
    await admin.click('text=Admin console');
    await admin.waitForSelector('h1:has-text("Admin console")');
    await accessible(admin, 'the admin console');
    await shoot(admin, 'casa-admin');
    await admin.check('input[name=default_policy][value=DEVICE_UNKNOWN]');
    await admin.click('text=Save settings');
    await admin.waitForSelector('.notice');
    assert.match(await admin.textContent('.notice'), /settings were saved/);
    assert.ok(await admin.isChecked('input[name=default_policy][value=DEVICE_UNKNOWN]'));
    await admin.fill('#reset-username', USER);
    await admin.click('form:has(#reset-username) button[type=submit]');
    await admin.waitForSelector('.notice');
    assert.match(await admin.textContent('.notice'), new RegExp(`${USER} signs in with the password alone`));

    // carol: the password alone, 2FA off, the new default policy hers.
    await carol.goto(CASA);
    await password(carol, USER, CAROL);
    await dashboard(carol);
    assert.match(await carol.textContent('#tfa + p'), /is off/);
    assert.ok(await carol.isChecked('input[name=when][value=device]'));

    // Back to every sign-in by default.
    await admin.check('input[name=default_policy][value=EVERY_LOGIN]');
    await admin.click('text=Save settings');
    await admin.waitForSelector('.notice');
  } finally {
    await carolCtx.close();
    await adminCtx.close();
  }
});
