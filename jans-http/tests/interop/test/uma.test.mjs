// UMA 2.0 and AuthZEN against a running `jans serve`, with openid-client (on oauth4webapi)
// making every token request: the resource server gets its PAT with client_credentials,
// registers a resource and asks a permission ticket; the client asks the UMA grant
// (genericGrantRequest) and gets need_info with redirect_user; headless Chromium takes the
// person through the claims interaction endpoint and the real login page and back to the
// client's claims_redirect_uri; the client gets an RPT and a PCT; the resource server
// introspects the RPT at rpt/status; the client upgrades it, then revokes it
// (tokenRevocation). AuthZEN evaluations are decided by the same Cedar policies
// (jans-http/tests/interop.rs writes them and turns UMA on).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe } from 'node:test';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { ISSUER, expectOAuthError, it, registered } from './helpers.mjs';

const UMA_GRANT = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const USER = process.env.JANS_USER ?? 'alice';
const PASSWORD = process.env.JANS_PASSWORD ?? '';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function configFor(role) {
  const c = registered(role);
  return client.discovery(ISSUER, c.client_id, {}, client.ClientSecretBasic(c.client_secret), {
    execute: [client.allowInsecureRequests],
    timeout: 10,
  });
}

async function call(url, token, method, body, contentType = 'application/json') {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}

// The client's claims_redirect_uri: a plain page on the port the driver chose.
let cbServer;
before(async () => {
  const port = Number(new URL(registered('uma_rqp').claims_redirect_uri[0]).port);
  cbServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('claims gathered');
  });
  await new Promise((resolve) => cbServer.listen(port, 'localhost', resolve));
});
let browser;
after(async () => {
  cbServer?.close();
  await browser?.close();
});

describe('UMA 2.0', () => {
  it('discovery, registration, need_info, claims gathering in the browser, RPT, upgrade, revocation', async () => {
    const meta = await (await fetch(new URL('/.well-known/uma2-configuration', ISSUER))).json();
    const issuer = ISSUER.href.replace(/\/$/, '');
    assert.equal(meta.issuer, issuer);
    assert.equal(meta.token_endpoint, `${issuer}/jans-auth/restv1/token`);
    assert.equal(meta.permission_endpoint, `${issuer}/jans-auth/restv1/host/rsrc_pr`);
    assert.equal(meta.claims_interaction_endpoint, `${issuer}/jans-auth/restv1/uma/gather_claims`);
    assert.equal(meta.introspection_endpoint, `${issuer}/jans-auth/restv1/rpt/status`);
    assert.ok(meta.grant_types_supported.includes(UMA_GRANT), `${meta.grant_types_supported}`);

    // The resource server: a PAT, a resource, a ticket.
    const rs = await configFor('uma_rs');
    const pat = (await client.clientCredentialsGrant(rs, { scope: 'uma_protection' })).access_token;
    const created = await call(meta.resource_registration_endpoint, pat, 'POST',
      JSON.stringify({ name: 'photo album', resource_scopes: ['read', 'comment'] }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const rsid = created.body._id;
    const ticketFor = async (scopes) => {
      const r = await call(meta.permission_endpoint, pat, 'POST',
        JSON.stringify({ resource_id: rsid, resource_scopes: scopes }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.ticket;
    };

    // The client: need_info, with a new ticket and the claims the policy needs.
    const rqp = await configFor('uma_rqp');
    const needInfo = await expectOAuthError(
      client.genericGrantRequest(rqp, UMA_GRANT, { ticket: await ticketFor(['read']) }),
      'need_info',
    );
    assert.equal(needInfo.status, 403);
    assert.equal(needInfo.cause.redirect_user, true);
    assert.deepEqual(needInfo.cause.required_claims.map((c) => c.name), ['given_name']);
    const ticket = needInfo.cause.ticket;

    // The person's browser: the claims interaction endpoint, the login page, back.
    browser ??= await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
    const page = await (await browser.newContext()).newPage();
    const claimsCb = registered('uma_rqp').claims_redirect_uri[0];
    const gather = new URL(meta.claims_interaction_endpoint);
    gather.search = new URLSearchParams({
      client_id: registered('uma_rqp').client_id,
      ticket,
      claims_redirect_uri: claimsCb,
      state: 'uma-state-1',
    }).toString();
    await page.goto(gather.href);
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await Promise.all([
      page.waitForURL(`${claimsCb}**`, { timeout: 15000 }),
      page.click('button[type=submit]'),
    ]);
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('authorization_state'), 'claims_submitted');
    assert.equal(back.searchParams.get('state'), 'uma-state-1');
    const gathered = back.searchParams.get('ticket');
    assert.ok(gathered && gathered !== ticket);

    // The RPT, on the claims gathered, and a PCT.
    const granted = await client.genericGrantRequest(rqp, UMA_GRANT, { ticket: gathered });
    assert.equal(granted.token_type.toLowerCase(), 'bearer');
    assert.equal(granted.upgraded, false);
    assert.equal(typeof granted.pct, 'string');
    const status = async (rpt) => {
      const r = await call(meta.introspection_endpoint, pat, 'POST',
        new URLSearchParams({ token: rpt }).toString(), 'application/x-www-form-urlencoded');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    let s = await status(granted.access_token);
    assert.equal(s.active, true, JSON.stringify(s));
    assert.equal(s.permissions[0].resource_id, rsid);
    assert.deepEqual(s.permissions[0].resource_scopes, ['read']);
    assert.equal(s.pct_claims.given_name, 'Alice');

    // Upgrade: the PCT stands for the person; the new permission joins the old.
    const upgraded = await client.genericGrantRequest(rqp, UMA_GRANT, {
      ticket: await ticketFor(['comment']),
      pct: granted.pct,
      rpt: granted.access_token,
    });
    assert.equal(upgraded.upgraded, true);
    s = await status(upgraded.access_token);
    assert.deepEqual(s.permissions[0].resource_scopes.sort(), ['comment', 'read']);
    assert.equal((await status(granted.access_token)).active, false, 'the upgraded RPT is replaced');

    // A reused ticket is invalid_grant; the client revokes its RPT (RFC 7009).
    await expectOAuthError(client.genericGrantRequest(rqp, UMA_GRANT, { ticket: gathered }), 'invalid_grant');
    await client.tokenRevocation(rqp, upgraded.access_token);
    assert.equal((await status(upgraded.access_token)).active, false);
  });
});

describe('AuthZEN', () => {
  it('evaluations by the same policies, with a token of scope access_evaluation', async () => {
    const meta = await (await fetch(new URL('/.well-known/authzen-configuration', ISSUER))).json();
    const rs = await configFor('uma_rs');
    const token = (await client.clientCredentialsGrant(rs, { scope: 'access_evaluation' })).access_token;
    const ask = (body) => call(meta.access_evaluation_endpoint, token, 'POST', JSON.stringify(body));
    const resource = { type: 'document', id: 'doc-1' };
    let r = await ask({ subject: { type: 'user', id: 'ann', properties: { role: 'admin' } },
      action: { name: 'delete' }, resource });
    assert.deepEqual([r.status, r.body], [200, { decision: true }]);
    r = await ask({ subject: { type: 'user', id: 'bob', properties: { role: 'viewer' } },
      action: { name: 'delete' }, resource });
    assert.deepEqual(r.body, { decision: false });
    r = await call(meta.access_evaluations_endpoint, token, 'POST', JSON.stringify({
      action: { name: 'delete' },
      resource,
      evaluations: [
        { subject: { type: 'user', id: 'ann', properties: { role: 'admin' } } },
        { subject: { type: 'user', id: 'bob' } },
      ],
    }));
    assert.deepEqual(r.body, { evaluations: [{ decision: true }, { decision: false }] });
    r = await ask({ subject: { type: 'user' }, action: { name: 'delete' }, resource });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_request');
  });
});
