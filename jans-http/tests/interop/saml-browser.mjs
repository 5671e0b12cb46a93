// The SAML IdP in a real browser: headless Chromium (playwright-core) signs on at a
// pysaml2 web SP (`jans-http/tests/saml/sp.py serve`) through jans serve's real login
// page, over HTTP-Redirect and HTTP-POST, then signs out from the SP (SP-initiated Single
// Logout through the auth-server's logout) and is asked for the password again.
//
// Run by jans-http/tests/saml.rs with SP (the web SP's base URL), JANS_USER, JANS_PASSWORD
// and CHROMIUM (default /usr/bin/chromium). Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const sp = process.env.SP;
const user = process.env.JANS_USER;
const password = process.env.JANS_PASSWORD;
assert.ok(sp && user && password, 'SP, JANS_USER and JANS_PASSWORD must be set');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await (await browser.newContext()).newPage();

  // HTTP-Redirect: the IdP sends the browser to the auth-server's login page.
  await page.goto(`${sp}/login?binding=redirect`);
  await page.waitForSelector('#username');
  assert.match(await page.locator('main').innerText(), /SAML identity provider/);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  // The IdP's self-submitting form posts the (signed, encrypted) response to the SP.
  await page.waitForSelector('#who, #error');
  assert.equal(await page.locator('h1').innerText(), `Signed in as ${user}`);

  // HTTP-POST (pysaml2's self-submitting form): the session answers, no login page.
  await page.goto(`${sp}/login?binding=post`);
  await page.waitForSelector('#who, #error, #username');
  assert.equal(await page.locator('h1').innerText(), `Signed in as ${user}`);

  // SP-initiated logout: through the auth-server's logout and back to the SP, signed out.
  await page.goto(`${sp}/logout`);
  await page.waitForSelector('#out', { timeout: 15000 });
  assert.equal(await page.locator('#out').innerText(), 'Signed out');

  // The IdP's session ended with it: the password is asked again.
  await page.goto(`${sp}/login?binding=redirect`);
  await page.waitForSelector('#username');
  console.log('saml-browser: signed on over both bindings, signed out, asked again');
} finally {
  await browser.close();
}
