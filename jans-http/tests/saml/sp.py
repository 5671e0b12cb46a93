"""A real SAML service provider, pysaml2, against `jans serve`'s SAML IdP.

    python3 sp.py metadata DIR       the SP's key, certificate and metadata in DIR
    python3 sp.py web-metadata DIR PORT   the same for the web SP below, on PORT
    python3 sp.py test DIR           the scenarios (unittest), against $JANS_ISSUER
    python3 sp.py serve DIR PORT     a web SP on localhost:PORT for a real browser
                                     (browser.mjs): /login, /acs, /logout, /slo

The browser-less HTTP flow: pysaml2 writes the AuthnRequest (HTTP-Redirect with the query
signature, HTTP-POST with an enveloped signature), `requests` plays the browser through the
IdP and the auth-server's login page, and pysaml2 reads the IdP's answer (signature checked
by xmlsec1 against the IdP's metadata, audience, recipient, InResponseTo, times).
"""

import base64
import datetime
import html
import json
import os
import re
import sys
import types
import unittest
import urllib.parse
import zlib

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import StatusInvalidNameidPolicy, StatusNoAuthnContext, StatusRequestDenied
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.sigver import SignatureError
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

SP_ENTITY = "https://sp.interop.test/metadata"
ACS = "https://sp.interop.test/acs"
OTHER_ACS = "https://sp.interop.test/elsewhere"


def config(d, idp_metadata=None, **sp):
    service = {
        "endpoints": {
            "assertion_consumer_service": [(ACS, BINDING_HTTP_POST)],
            "single_logout_service": [
                ("https://sp.interop.test/slo", BINDING_HTTP_REDIRECT),
                ("https://sp.interop.test/slo", BINDING_HTTP_POST),
            ],
        },
        "authn_requests_signed": True,
        "logout_requests_signed": True,
        "want_assertions_signed": True,
        "want_response_signed": False,
        "allow_unsolicited": False,
        # Listed in the metadata: the IdP issues a format an SP asks for only when its
        # relationship or its metadata allows it (email and username are personal data).
        "name_id_format": [
            NAMEID_FORMAT_PERSISTENT,
            NAMEID_FORMAT_TRANSIENT,
            NAMEID_FORMAT_EMAILADDRESS,
        ],
        # pysaml2 reads these per role (its defaults are SHA-1, which the IdP refuses).
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }
    service.update(sp)
    conf = {
        "entityid": SP_ENTITY,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": os.path.join(d, "sp.key"),
        "cert_file": os.path.join(d, "sp.crt"),
        "encryption_keypairs": [
            {"key_file": os.path.join(d, "sp.key"), "cert_file": os.path.join(d, "sp.crt")}
        ],
        "accepted_time_diff": 30,
        "service": {"sp": service},
    }
    if idp_metadata:
        conf["metadata"] = {"inline": [idp_metadata]}
    c = SPConfig()
    c.load(conf)
    return c


def web_config(d, port, idp_metadata=None):
    """The web SP's settings: its own entity and endpoints on localhost:PORT."""
    base = f"http://localhost:{port}"
    c = config(
        d,
        idp_metadata,
        endpoints={
            "assertion_consumer_service": [(base + "/acs", BINDING_HTTP_POST)],
            "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)],
        },
    )
    c.entityid = base + "/metadata"
    return c


def make_web_metadata(d, port):
    make_keys(d)
    with open(os.path.join(d, "web-metadata.xml"), "w") as f:
        f.write(str(entity_descriptor(web_config(d, port))))


def serve(d, port):
    """A web SP for a browser: /login?binding=redirect|post signs on, /acs shows who,
    /logout signs out (SP-initiated), /slo takes the IdP's logout messages."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    issuer = os.environ["JANS_ISSUER"]
    idp_metadata = requests.get(issuer + "/jans-saml/idp/metadata", timeout=10).text
    idp = re.search(r'entityID="([^"]+)"', idp_metadata).group(1)
    client = Saml2Client(config=web_config(d, port, idp_metadata))
    state = {"outstanding": {}, "name_id": None}

    class Handler(BaseHTTPRequestHandler):
        def page(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/login":
                binding = BINDING_HTTP_POST if q.get("binding") == "post" else BINDING_HTTP_REDIRECT
                reqid, info = client.prepare_for_authenticate(
                    entityid=idp, relay_state="/", binding=binding
                )
                state["outstanding"][reqid] = "/"
                if binding == BINDING_HTTP_REDIRECT:
                    return self.page(303, "", info["headers"])
                return self.page(200, info["data"])
            if url.path == "/logout":
                out = client.do_logout(
                    state["name_id"], [idp], "", None, expected_binding=BINDING_HTTP_REDIRECT
                )
                _, info = out[idp]
                return self.page(303, "", info["headers"])
            if url.path == "/slo" and "SAMLResponse" in q:
                answer = client.parse_logout_request_response(
                    q["SAMLResponse"], BINDING_HTTP_REDIRECT
                )
                ok = answer.response.status.status_code.value.endswith(":Success")
                return self.page(200, f'<h1 id="out">{"Signed out" if ok else "Logout failed"}</h1>')
            if url.path == "/slo" and "SAMLRequest" in q:
                info = client.handle_logout_request(
                    q["SAMLRequest"], state["name_id"], BINDING_HTTP_REDIRECT,
                    relay_state=q.get("RelayState"), sigalg=q.get("SigAlg"),
                    signature=q.get("Signature"),
                )
                return self.page(303, "", info["headers"])
            return self.page(404, "not found")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/acs":
                return self.page(404, "not found")
            try:
                resp = client.parse_authn_request_response(
                    form["SAMLResponse"], BINDING_HTTP_POST, outstanding=state["outstanding"]
                )
            except Exception as e:  # shown to the test, which fails on it
                return self.page(400, f'<h1 id="error">{html.escape(repr(e))}</h1>')
            state["name_id"] = resp.name_id
            uid = resp.get_identity().get("uid", ["?"])[0]
            return self.page(200, f'<h1 id="who">Signed in as {html.escape(uid)}</h1>')

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def make_keys(d):
    """The SP's key and certificate in D (kept when there)."""
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "sp.key")):
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sp.interop.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    with open(os.path.join(d, "sp.key"), "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(d, "sp.crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def make_metadata(d):
    make_keys(d)
    ed = entity_descriptor(config(d))
    with open(os.path.join(d, "sp-metadata.xml"), "w") as f:
        f.write(str(ed))


def form_fields(text, holding=""):
    """The action and hidden inputs of the first form of an HTML page holding `holding`."""
    forms = re.findall(r"<form.*?</form>", text, re.S)
    text = next((f for f in forms if holding in f), text)
    action = re.search(r'<form[^>]*action="([^"]*)"', text)
    fields = dict(
        (html.unescape(n), html.unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', text)
    )
    return (html.unescape(action.group(1)) if action else None), fields


class Browser:
    """requests playing the browser: follows redirects, signs in on the login page."""

    def __init__(self, issuer, user, password):
        self.issuer, self.user, self.password = issuer, user, password
        self.s = requests.Session()
        self.logins = 0

    def go(self, method, url, data=None):
        r = self.s.request(method, url, data=data, allow_redirects=True, timeout=10)
        return self.settle(r)

    def settle(self, r):
        """Sign in when the login page shows; return the page that posts to the SP."""
        for _ in range(4):
            if 'name="action" value="login"' in r.text:
                self.logins += 1
                action, fields = form_fields(r.text, 'value="login"')
                fields.update({"username": self.user, "password": self.password})
                r = self.s.post(urllib.parse.urljoin(r.url, action), data=fields, timeout=10)
                continue
            break
        return r


SP_SLO = "https://sp.interop.test/slo"


def walk_to_sp(browser, url):
    """Follow the IdP's redirects and logout page (its Continue link) until the browser is
    sent to the SP's logout endpoint; that URL."""
    for _ in range(8):
        if url.startswith(SP_SLO):
            return url
        r = browser.s.get(url, allow_redirects=False, timeout=10)
        if r.status_code in (301, 302, 303, 307):
            url = urllib.parse.urljoin(url, r.headers["Location"])
            continue
        nxt = re.search(r'<a href="([^"]+)">Continue</a>', r.text)
        if r.status_code == 200 and nxt:
            url = urllib.parse.urljoin(url, html.unescape(nxt.group(1)))
            continue
        raise AssertionError(f"stuck at {url}: {r.status_code} {r.text[:300]}")
    raise AssertionError("too many hops")


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


class IdP(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = os.environ["SP_DIR"]
        cls.issuer = os.environ["JANS_ISSUER"]
        cls.idp_metadata = requests.get(cls.issuer + "/jans-saml/idp/metadata", timeout=10).text
        cls.idp_entity = re.search(r'entityID="([^"]+)"', cls.idp_metadata).group(1)

    def client(self, **sp):
        return Saml2Client(config=config(self.dir, self.idp_metadata, **sp))

    def browser(self):
        return Browser(self.issuer, os.environ["JANS_USER"], os.environ["JANS_PASSWORD"])

    def sign_on(self, client, browser, binding, relay="rs-1", **kw):
        reqid, info = client.prepare_for_authenticate(
            entityid=self.idp_entity, relay_state=relay, binding=binding, **kw
        )
        if binding == BINDING_HTTP_REDIRECT:
            page = browser.go("GET", dict(info["headers"])["Location"])
        else:
            action, fields = form_fields(info["data"])
            page = browser.go("POST", action, fields)
        return reqid, page

    def answer(self, page):
        self.assertEqual(page.status_code, 200, page.text[:500])
        action, fields = form_fields(page.text)
        self.assertEqual(action, ACS)
        return fields

    def test_redirect_then_post_within_one_session(self):
        client, browser = self.client(), self.browser()
        reqid, page = self.sign_on(client, browser, BINDING_HTTP_REDIRECT)
        fields = self.answer(page)
        self.assertEqual(fields["RelayState"], "rs-1")
        # The SP published an encryption key: the assertion comes encrypted (xmlsec1
        # decrypts it for pysaml2), the person's attributes never in the clear.
        raw = base64.b64decode(fields["SAMLResponse"]).decode()
        self.assertIn("<saml:EncryptedAssertion ", raw)
        self.assertIn("xmlenc11#aes256-gcm", raw)
        self.assertNotIn(os.environ["JANS_EMAIL"], raw)
        resp = client.parse_authn_request_response(
            fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
        )
        self.assertEqual(resp.name_id.format, NAMEID_FORMAT_PERSISTENT)
        persistent = resp.name_id.text
        self.assertTrue(len(persistent) >= 32)
        ava = resp.get_identity()
        self.assertEqual(ava.get("uid"), [os.environ["JANS_USER"]], ava)
        self.assertIn("PasswordProtectedTransport", str(resp.authn_info()))
        self.assertEqual(browser.logins, 1)
        # The same browser over HTTP-POST: signed in already, not asked again; the same
        # persistent id.
        reqid2, page2 = self.sign_on(client, browser, BINDING_HTTP_POST, relay="rs-2")
        fields2 = self.answer(page2)
        self.assertEqual(fields2["RelayState"], "rs-2")
        resp2 = client.parse_authn_request_response(
            fields2["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid2: "/"}
        )
        self.assertEqual(browser.logins, 1)
        self.assertEqual(resp2.name_id.text, persistent)

    def test_name_id_formats(self):
        client, browser = self.client(), self.browser()
        for fmt in (NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_EMAILADDRESS):
            reqid, page = self.sign_on(client, browser, BINDING_HTTP_REDIRECT, nameid_format=fmt)
            resp = client.parse_authn_request_response(
                self.answer(page)["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
            )
            self.assertEqual(resp.name_id.format, fmt)
            if fmt == NAMEID_FORMAT_EMAILADDRESS:
                self.assertEqual(resp.name_id.text, os.environ["JANS_EMAIL"])

    def test_requested_authn_context(self):
        client, browser = self.client(), self.browser()
        ppt = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        reqid, page = self.sign_on(
            client,
            browser,
            BINDING_HTTP_REDIRECT,
            requested_authn_context={"authn_context_class_ref": [ppt], "comparison": "exact"},
        )
        resp = client.parse_authn_request_response(
            self.answer(page)["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
        )
        self.assertEqual(resp.authn_info()[0][0], ppt)
        # A context this IdP cannot meet: NoAuthnContext, and no one is asked to sign in.
        logins = browser.logins
        smartcard = "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"
        reqid, page = self.sign_on(
            client,
            browser,
            BINDING_HTTP_POST,
            requested_authn_context={"authn_context_class_ref": [smartcard]},
        )
        with self.assertRaises(StatusNoAuthnContext):
            client.parse_authn_request_response(
                self.answer(page)["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
            )
        self.assertEqual(browser.logins, logins)

    def test_force_authn_asks_again(self):
        client, browser = self.client(), self.browser()
        self.sign_on(client, browser, BINDING_HTTP_REDIRECT)
        reqid, page = self.sign_on(client, browser, BINDING_HTTP_REDIRECT, force_authn="true")
        client.parse_authn_request_response(
            self.answer(page)["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
        )
        self.assertEqual(browser.logins, 2)

    def test_replayed_request_is_denied(self):
        client, browser = self.client(), self.browser()
        reqid, info = client.prepare_for_authenticate(
            entityid=self.idp_entity, relay_state="r", binding=BINDING_HTTP_POST
        )
        action, fields = form_fields(info["data"])
        first = self.answer(browser.go("POST", action, fields))
        client.parse_authn_request_response(
            first["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
        )
        again = self.answer(browser.go("POST", action, fields))
        with self.assertRaises(StatusRequestDenied):
            client.parse_authn_request_response(
                again["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
            )

    def test_unsigned_tampered_and_misdirected_requests_get_error_pages(self):
        browser = self.browser()
        unsigned = self.client(authn_requests_signed=False)
        _, page = self.sign_on(unsigned, browser, BINDING_HTTP_REDIRECT)
        self.assertEqual(page.status_code, 403)
        self.assertIn("must sign", page.text)
        # A signed POST request whose content changed after signing.
        client = self.client()
        _, info = client.prepare_for_authenticate(
            entityid=self.idp_entity, relay_state="r", binding=BINDING_HTTP_POST
        )
        action, fields = form_fields(info["data"])
        xml = base64.b64decode(fields["SAMLRequest"]).decode()
        fields["SAMLRequest"] = base64.b64encode(
            xml.replace(ACS, OTHER_ACS).encode()
        ).decode()
        page = browser.go("POST", action, fields)
        self.assertEqual(page.status_code, 403, page.text[:300])
        # A Redirect request whose query signature is of another query.
        _, info = client.prepare_for_authenticate(
            entityid=self.idp_entity, relay_state="r", binding=BINDING_HTTP_REDIRECT
        )
        url = dict(info["headers"])["Location"].replace("RelayState=r", "RelayState=x")
        self.assertEqual(browser.go("GET", url).status_code, 403)
        # An assertion consumer the SP's metadata does not list, signed by the SP.
        _, info = client.prepare_for_authenticate(
            entityid=self.idp_entity,
            relay_state="r",
            binding=BINDING_HTTP_REDIRECT,
            assertion_consumer_service_url=OTHER_ACS,
        )
        page = browser.go("GET", dict(info["headers"])["Location"])
        self.assertEqual(page.status_code, 400)
        self.assertNotIn("SAMLResponse", page.text)

    def signed_on(self, client, browser):
        reqid, page = self.sign_on(client, browser, BINDING_HTTP_REDIRECT)
        return client.parse_authn_request_response(
            self.answer(page)["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
        )

    def test_sp_initiated_logout_ends_the_idp_session(self):
        client, browser = self.client(), self.browser()
        resp = self.signed_on(client, browser)
        out = client.do_logout(
            resp.name_id, [self.idp_entity], "", None, expected_binding=BINDING_HTTP_REDIRECT
        )
        _, info = out[self.idp_entity]
        sent = dict(info["headers"])["Location"]
        back = walk_to_sp(browser, sent)
        # The same signed request again: refused, it was used.
        again = browser.s.get(sent, allow_redirects=False, timeout=10)
        self.assertEqual(again.status_code, 400)
        self.assertIn("used already", again.text)
        q = query_of(back)
        self.assertIn("Signature", q)
        answer = client.parse_logout_request_response(q["SAMLResponse"], BINDING_HTTP_REDIRECT)
        self.assertEqual(
            answer.response.status.status_code.value, "urn:oasis:names:tc:SAML:2.0:status:Success"
        )
        # The IdP's session is gone with it: the next sign-on asks for the password.
        self.signed_on(client, browser)
        self.assertEqual(browser.logins, 2)

    def test_logout_request_from_elsewhere_gets_no_id_token(self):
        client, browser = self.client(), self.browser()
        resp = self.signed_on(client, browser)
        out = client.do_logout(
            resp.name_id, [self.idp_entity], "", None, expected_binding=BINDING_HTTP_REDIRECT
        )
        _, info = out[self.idp_entity]
        # Sent by the SP's own server, not the person's browser: no session cookie.
        stranger = types.SimpleNamespace(s=requests.Session())
        r = stranger.s.get(dict(info["headers"])["Location"], allow_redirects=False, timeout=10)
        self.assertIn(r.status_code, (302, 303))
        self.assertNotIn("id_token_hint", r.headers["Location"])
        back = walk_to_sp(stranger, urllib.parse.urljoin(self.issuer, r.headers["Location"]))
        answer = client.parse_logout_request_response(
            query_of(back)["SAMLResponse"], BINDING_HTTP_REDIRECT
        )
        code = answer.response.status.status_code
        self.assertEqual(code.value, "urn:oasis:names:tc:SAML:2.0:status:Success")
        self.assertEqual(
            code.status_code.value, "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
        )
        # The person's session at the IdP is theirs to end: still signed in.
        self.signed_on(client, browser)
        self.assertEqual(browser.logins, 1)

    def test_unsigned_logout_request_is_refused_and_ends_nothing(self):
        client, browser = self.client(), self.browser()
        resp = self.signed_on(client, browser)
        unsigned = self.client(logout_requests_signed=False)
        unsigned.users = client.users
        out = unsigned.do_logout(
            resp.name_id, [self.idp_entity], "", None, expected_binding=BINDING_HTTP_REDIRECT
        )
        _, info = out[self.idp_entity]
        r = browser.s.get(dict(info["headers"])["Location"], allow_redirects=False, timeout=10)
        self.assertEqual(r.status_code, 403)
        self.assertIn("not signed", r.text)
        # Still signed in: the next sign-on asks nothing.
        self.signed_on(client, browser)
        self.assertEqual(browser.logins, 1)

    def test_oidc_logout_sends_the_sp_a_logout_request(self):
        client, browser = self.client(), self.browser()
        resp = self.signed_on(client, browser)
        # The person signs out at the auth-server (OpenID Connect RP-initiated logout).
        r = browser.go("GET", self.issuer + "/jans-auth/restv1/end_session")
        action, fields = form_fields(r.text, 'value="logout"')
        fields["action"] = "logout"
        page = browser.s.post(urllib.parse.urljoin(r.url, action), data=fields, timeout=10)
        frames = [
            html.unescape(u) for u in re.findall(r'<iframe src="([^"]+)"', page.text)
        ]
        to_sp = [u for u in frames if u.startswith(SP_SLO)]
        self.assertEqual(len(to_sp), 1, page.text[:1000])
        q = query_of(to_sp[0])
        self.assertIn("Signature", q)
        answer = client.handle_logout_request(
            q["SAMLRequest"],
            resp.name_id,
            BINDING_HTTP_REDIRECT,
            relay_state=q.get("RelayState"),
            sigalg=q["SigAlg"],
            signature=q["Signature"],
        )
        # pysaml2 found its session (the NameID matched) and answers Success, which the
        # frame takes back to the IdP.
        location = dict(answer["headers"])["Location"]
        reply = query_of(location)
        xml = zlib.decompress(base64.b64decode(reply["SAMLResponse"]), -15).decode()
        self.assertIn("status:Success", xml)
        idp_slo = self.issuer + "/jans-saml/idp/slo?" + urllib.parse.urlsplit(location).query
        self.assertEqual(browser.s.get(idp_slo, timeout=10).status_code, 200)

    def admin(self):
        """A config API token of the admin client `jans init` made."""
        with open(os.environ["JANS_ADMIN_CLIENT"]) as f:
            c = json.load(f)
        r = requests.post(
            self.issuer + "/jans-auth/restv1/token",
            auth=(c["client_id"], c["client_secret"]),
            data={
                "grant_type": "client_credentials",
                "scope": "https://jans.io/oauth/config/read-all "
                "https://jans.io/oauth/config/write-all",
            },
            timeout=10,
        )
        r.raise_for_status()
        return {"Authorization": "Bearer " + r.json()["access_token"]}

    def change_relationship(self, headers, **settings):
        """Change this SP's trust relationship through the config API (Janssen's
        multipart `upload`); the settings it had."""
        base = self.issuer + "/jans-config-api/kc/saml/trust-relationship"
        listed = requests.get(base, headers=headers, timeout=10).json()
        tr = next(t for t in listed if t["samlMetadata"]["entityId"] == SP_ENTITY)
        before = {k: tr[k] for k in settings}
        body = dict(tr, **settings)
        r = requests.put(
            base + "/upload",
            headers=headers,
            files={"trustRelationship": (None, json.dumps(body), "application/json")},
            timeout=10,
        )
        self.assertEqual(r.status_code, 200, r.text)
        return before

    def post_only_logout(self):
        """This SP's settings with HTTP-POST as its only logout binding, and its metadata
        saying so."""
        endpoints = {
            "assertion_consumer_service": [(ACS, BINDING_HTTP_POST)],
            "single_logout_service": [(SP_SLO, BINDING_HTTP_POST)],
        }
        return endpoints, str(entity_descriptor(config(self.dir, endpoints=endpoints)))

    def upload_metadata(self, headers, xml):
        base = self.issuer + "/jans-config-api/kc/saml/trust-relationship"
        listed = requests.get(base, headers=headers, timeout=10).json()
        tr = next(t for t in listed if t["samlMetadata"]["entityId"] == SP_ENTITY)
        r = requests.put(
            base + "/upload",
            headers=headers,
            files={
                "trustRelationship": (None, json.dumps(tr), "application/json"),
                "metaDataFile": ("sp.xml", xml, "application/xml"),
            },
            timeout=10,
        )
        self.assertEqual(r.status_code, 200, r.text)

    def test_logout_over_http_post_both_ways(self):
        headers = self.admin()
        endpoints, xml = self.post_only_logout()
        self.upload_metadata(headers, xml)
        try:
            client, browser = self.client(endpoints=endpoints), self.browser()
            # SP-initiated, over HTTP-POST (an enveloped signature), answered over HTTP-POST.
            resp = self.signed_on(client, browser)
            out = client.do_logout(
                resp.name_id, [self.idp_entity], "", None, expected_binding=BINDING_HTTP_POST
            )
            _, info = out[self.idp_entity]
            action, fields = form_fields(info["data"])
            r = browser.s.post(action, data=fields, allow_redirects=False, timeout=10)
            url = urllib.parse.urljoin(action, r.headers["Location"])
            for _ in range(6):
                r = browser.s.get(url, allow_redirects=False, timeout=10)
                if r.status_code in (301, 302, 303):
                    url = urllib.parse.urljoin(url, r.headers["Location"])
                    continue
                break
            to_sp, back = form_fields(r.text)
            self.assertEqual(to_sp, SP_SLO, r.text[:500])
            answer = client.parse_logout_request_response(back["SAMLResponse"], BINDING_HTTP_POST)
            self.assertEqual(
                answer.response.status.status_code.value,
                "urn:oasis:names:tc:SAML:2.0:status:Success",
            )
            # IdP-initiated, over HTTP-POST: the logout page's frame is the IdP's own page
            # posting the signed request to the SP.
            resp = self.signed_on(client, browser)
            r = browser.go("GET", self.issuer + "/jans-auth/restv1/end_session")
            action, fields = form_fields(r.text, 'value="logout"')
            fields["action"] = "logout"
            page = browser.s.post(urllib.parse.urljoin(r.url, action), data=fields, timeout=10)
            frames = [html.unescape(u) for u in re.findall(r'<iframe src="([^"]+)"', page.text)]
            ours = [u for u in frames if "/jans-saml/idp/slo?frame=" in u]
            self.assertEqual(len(ours), 1, page.text[:800])
            framed = browser.s.get(ours[0], timeout=10)
            self.assertIn("frame-ancestors 'self'", framed.headers["Content-Security-Policy"])
            to_sp, sent = form_fields(framed.text)
            self.assertEqual(to_sp, SP_SLO)
            reply = client.handle_logout_request(sent["SAMLRequest"], resp.name_id, BINDING_HTTP_POST)
            self.assertIn("SAMLResponse", reply["data"])
            # The frame's token is used once.
            self.assertNotIn("SAMLRequest", browser.s.get(ours[0], timeout=10).text)
        finally:
            with open(os.path.join(self.dir, "sp-metadata.xml")) as f:
                self.upload_metadata(headers, f.read())

    def test_ecdsa_signed_response_when_the_relationship_says_so(self):
        headers = self.admin()
        before = self.change_relationship(
            headers,
            signatureAlgorithm="ES256",
            signResponses=True,
            signAssertions=False,
            encryptAssertions=False,
        )
        try:
            client, browser = self.client(want_response_signed=True, want_assertions_signed=False), self.browser()
            reqid, page = self.sign_on(client, browser, BINDING_HTTP_REDIRECT)
            fields = self.answer(page)
            raw = base64.b64decode(fields["SAMLResponse"]).decode()
            self.assertIn("xmldsig-more#ecdsa-sha256", raw)
            self.assertNotIn("EncryptedAssertion", raw)
            # The response's signature (xmlsec1 checks it for pysaml2), and the assertion's
            # still: the SP's metadata says WantAssertionsSigned.
            self.assertEqual(raw.count("<ds:Signature "), 2)
            self.assertTrue(raw.index("<ds:Signature ") < raw.index("<saml:Assertion "))
            self.assertEqual(raw.count("xmldsig-more#ecdsa-sha256"), 2)
            resp = client.parse_authn_request_response(
                fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"}
            )
            self.assertEqual(resp.get_identity().get("uid"), [os.environ["JANS_USER"]])
        finally:
            self.change_relationship(headers, **before)

    def test_hostile_documents_are_refused(self):
        browser = self.browser()
        sso = self.issuer + "/jans-saml/idp/sso"
        xxe = (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'ID="_x" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">&x;</samlp:AuthnRequest>'
        )
        page = browser.go("POST", sso, {"SAMLRequest": base64.b64encode(xxe.encode()).decode()})
        self.assertEqual(page.status_code, 400)
        self.assertIn("document type declaration", page.text)
        self.assertNotIn("root:", page.text)
        bomb = zlib.compress(b"<a>" + b" " * 10_000_000 + b"</a>")[2:-4]
        q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(bomb).decode()})
        self.assertEqual(browser.go("GET", sso + "?" + q).status_code, 400)
        self.assertEqual(browser.go("GET", sso + "?SAMLRequest=%%%").status_code, 400)


if __name__ == "__main__":
    if sys.argv[1] == "metadata":
        make_metadata(sys.argv[2])
    elif sys.argv[1] == "web-metadata":
        make_web_metadata(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        os.environ.setdefault("SP_DIR", sys.argv[2])
        unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[3:])
