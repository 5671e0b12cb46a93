//! A whole SAML sign-on through the engine, the browser's part played by the flow tests'
//! `Browser`: the request, the auth-server's login, the response posted to the SP; what
//! the relationship's settings change (signed responses, encryption, IdP-initiated
//! sign-on), and the IdP's metadata.

use std::sync::Arc;

use jans_core::auth::authn::interaction::LoginResult;
use jans_core::crypto::{DecryptionKeyType, SigningKey};
use jans_core::jose::{Algorithm, Jwk};
use jans_core::repo::saml::{MetadataSource, TrustRelationship};
use jans_core::response::{Body, Response};
use jans_core::testing::{SeededRandom, block_on};
use jans_core::xml::dsig::{DSIG_NS, sign_enveloped, verify_enveloped};
use jans_core::xml::enc::{XENC_NS, decrypt};
use jans_core::xml::{Element, Limits, Scope, parse};
use jans_core::{Method, Request};

use super::authorize::{harness, location, q};
use super::casa::Browser;
use super::harness::Harness;

pub(super) const P: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(super) const A: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// An SP: its entity id, its RSA key (signing its requests, and the key assertions are
/// encrypted to), its relationship.
pub(super) struct Sp {
    pub(super) entity: String,
    pub(super) key: Arc<dyn SigningKey>,
    pub(super) tr: TrustRelationship,
}

pub(super) fn sp(h: &Harness, name: &str, seed: u64) -> Sp {
    let entity = format!("https://{name}.example.test/metadata");
    let key = h
        .provider()
        .generate(Algorithm::RS256, &SeededRandom::new(seed))
        .unwrap();
    let cert = jans_core::x509::build::self_signed(
        key.as_ref(),
        name,
        &[2],
        0,
        4_000_000_000,
        &SeededRandom::new(seed),
    )
    .unwrap();
    let b64 = jans_core::b64::encode_std(&cert);
    // One KeyDescriptor without `use`: the key signs and is encrypted to; logout over POST.
    let metadata = format!(
        r#"<md:EntityDescriptor xmlns:md="{MD}" entityID="{entity}"><md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="{P}"><md:KeyDescriptor><ds:KeyInfo xmlns:ds="{DSIG_NS}"><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://{name}.example.test/slo"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://{name}.example.test/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    );
    let tr = block_on(h.engine.saml().add_sp(
        &metadata,
        Some(name),
        MetadataSource::File,
        None,
        &h.ctx(),
    ))
    .unwrap();
    Sp { entity, key, tr }
}

/// The IdP's SSO URL (a signed request names it, Bindings §3.5.5.2).
pub(super) fn sso(h: &Harness) -> String {
    format!("{}/jans-saml/idp/sso", h.engine.config().issuer)
}

/// A protocol message `name` of `sp` to `destination`: its id, version, instant and issuer
/// (Core §3.2.1).
pub(super) fn message(h: &Harness, sp: &Sp, name: &str, id: &str, destination: &str) -> Element {
    Element::new("samlp", name, P)
        .declare("samlp", P)
        .declare("saml", A)
        .attr("ID", id)
        .attr("Version", "2.0")
        .attr(
            "IssueInstant",
            &jans_core::ctx::format_datetime(h.clock.now()),
        )
        .attr("Destination", destination)
        .child(Element::new("saml", "Issuer", A).text(&sp.entity))
}

/// `b` posts a signed `AuthnRequest` of `sp` (HTTP-POST binding).
pub(super) fn ask(h: &Harness, b: &mut Browser, sp: &Sp, id: &str) -> Response {
    ask_for(h, b, sp, id, None)
}

/// [`ask`], with a `RequestedAuthnContext` of `classes` compared by `comparison`.
fn ask_for(
    h: &Harness,
    b: &mut Browser,
    sp: &Sp,
    id: &str,
    context: Option<(&str, &[&str])>,
) -> Response {
    let mut e = message(h, sp, "AuthnRequest", id, &sso(h));
    if let Some((comparison, classes)) = context {
        let mut requested =
            Element::new("samlp", "RequestedAuthnContext", P).attr("Comparison", comparison);
        for c in classes {
            requested = requested.child(Element::new("saml", "AuthnContextClassRef", A).text(c));
        }
        e = e.child(requested);
    }
    e.rescope(&Scope::default());
    sign_enveloped(&mut e, id, 1, sp.key.as_ref(), None, &SeededRandom::new(1)).unwrap();
    let saml_request = jans_core::b64::encode_std(e.to_xml().as_bytes());
    b.post(
        h,
        "/jans-saml/idp/sso",
        &[("SAMLRequest", &saml_request), ("RelayState", "rs")],
    )
}

/// Follow the IdP to the auth-server, sign in as alice when the login page comes, and
/// back: the IdP's answer.
fn through_login(h: &Harness, b: &mut Browser, r: Response) -> Response {
    let callback = signed_in(h, b, r);
    b.get(h, &callback)
}

/// Follow the IdP to the auth-server and sign in as alice when the login page comes: the
/// IdP's callback URL the auth-server sends the browser to.
pub(super) fn signed_in(h: &Harness, b: &mut Browser, r: Response) -> String {
    let authorize = location(&r);
    let r = b.get(h, &authorize);
    let r = match q(&location(&r), "interaction") {
        Some(id) => {
            let view = block_on(h.engine.interaction(&id, &h.ctx()))
                .unwrap()
                .unwrap();
            let LoginResult::Done(r) = block_on(h.engine.interaction_login(
                &id,
                &view.csrf,
                "alice",
                "correct horse battery",
                &h.ctx(),
            ))
            .unwrap() else {
                panic!("the password was refused")
            };
            b.keep(&r);
            r
        }
        None => r,
    };
    location(&r)
}

/// The document posted to the SP, with where and the relay state.
pub(super) fn posted(r: &Response) -> (String, Element, Option<String>) {
    let Body::FormPost { action, params } = &r.body else {
        panic!("not posted to the SP: {:?}", r.body)
    };
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let xml = jans_core::b64::decode_std_wrapped(&get("SAMLResponse").unwrap()).unwrap();
    let doc = parse(&String::from_utf8(xml).unwrap(), &Limits::default()).unwrap();
    (action.clone(), doc, get("RelayState"))
}

/// The assertion of a response posted to `sp`, encrypted to its key, opened with it.
pub(super) fn decrypted(h: &Harness, sp: &Sp, doc: &Element) -> Element {
    let encrypted = doc
        .first(A, "EncryptedAssertion")
        .and_then(|e| e.first(XENC_NS, "EncryptedData"))
        .expect("an encrypted assertion");
    let own = h
        .provider()
        .decryption_key_from_pkcs8(DecryptionKeyType::Rsa, &sp.key.to_pkcs8_der().unwrap())
        .unwrap();
    decrypt(encrypted, own.as_ref(), &SeededRandom::new(2)).unwrap()
}

/// The IdP's signing keys, from its metadata's certificates.
fn idp_keys(h: &Harness) -> Vec<Jwk> {
    let r = h.call(Request::new(
        jans_core::request::SamlEndpoint::Metadata,
        Method::Get,
    ));
    let Body::Xml { xml, content_type } = &r.body else {
        panic!("{:?}", r.body)
    };
    assert_eq!(*content_type, "application/samlmetadata+xml");
    let doc = parse(xml, &Limits::default()).unwrap();
    doc.descendants()
        .into_iter()
        .filter(|e| e.is(DSIG_NS, "X509Certificate"))
        .map(|c| {
            let der = jans_core::b64::decode_std_wrapped(&c.text_content()).unwrap();
            let cert = jans_core::x509::Certificate::parse(&der).unwrap();
            cert.public_jwk().unwrap().0
        })
        .collect()
}

fn text(e: &Element, path: &[&str]) -> String {
    let mut at = e;
    for name in path {
        at = at.first(A, name).unwrap_or_else(|| panic!("no {name}"));
    }
    at.text_content()
}

#[test]
fn a_person_signs_on_and_the_sp_gets_a_signed_encrypted_assertion() {
    let h = harness();
    let one = sp(&h, "one", 11);
    let mut b = Browser::default();
    let first = ask(&h, &mut b, &one, "_req1");
    let (acs, doc, relay) = posted(&through_login(&h, &mut b, first));
    assert_eq!(acs, "https://one.example.test/acs");
    assert_eq!(relay.as_deref(), Some("rs"));
    assert!(doc.is(P, "Response"));
    assert_eq!(doc.get("InResponseTo"), Some("_req1"));
    assert_eq!(doc.get("Destination"), Some(acs.as_str()));
    // The SP published a key: the assertion is encrypted to it, and only it opens it.
    let assertion = decrypted(&h, &one, &doc);
    // Signed by a key the IdP's metadata publishes, before it was encrypted.
    let keys = idp_keys(&h);
    assert!(
        verify_enveloped(&assertion, &assertion, &keys, h.provider().as_ref())
            .unwrap()
            .is_some()
    );
    assert_eq!(
        text(
            &assertion,
            &["Conditions", "AudienceRestriction", "Audience"]
        ),
        one.entity
    );
    let name_id = assertion
        .first(A, "Subject")
        .unwrap()
        .first(A, "NameID")
        .unwrap();
    assert_eq!(
        name_id.get("Format"),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    let statement = assertion.first(A, "AttributeStatement").unwrap();
    let uid = statement
        .elements()
        .find(|a| a.get("FriendlyName") == Some("uid"))
        .unwrap();
    assert_eq!(uid.get("Name"), Some("urn:oid:0.9.2342.19200300.100.1.1"));
    assert_eq!(text(uid, &["AttributeValue"]), "alice");

    // A second SP in the same browser session: no login page, another persistent id.
    let two = sp(&h, "two", 12);
    let again = ask(&h, &mut b, &two, "_req2");
    let authorize = b.get(&h, &location(&again));
    assert!(
        q(&location(&authorize), "interaction").is_none(),
        "asked again"
    );
    let (_, doc2, _) = posted(&b.get(&h, &location(&authorize)));
    let assertion2 = decrypted(&h, &two, &doc2);
    let id2 = text(&assertion2, &["Subject", "NameID"]);
    assert_ne!(id2, name_id.text_content());
    // The same SP again: the same persistent id.
    let third = ask(&h, &mut b, &one, "_req3");
    let authorize = b.get(&h, &location(&third));
    let (_, doc3, _) = posted(&b.get(&h, &location(&authorize)));
    let assertion3 = decrypted(&h, &one, &doc3);
    assert_eq!(
        text(&assertion3, &["Subject", "NameID"]),
        name_id.text_content()
    );
    // One session, a SessionIndex of its own for each SP (Core §2.7.2), stable for an SP.
    let index = |a: &Element| {
        a.first(A, "AuthnStatement")
            .and_then(|s| s.get("SessionIndex"))
            .unwrap()
            .to_owned()
    };
    assert_ne!(index(&assertion2), index(&assertion));
    assert_eq!(index(&assertion3), index(&assertion));
}

/// `IsPassive` with no session: the auth-server is asked with `prompt=none` and the SP
/// is told `NoPassive`, without a login page.
#[test]
fn a_passive_request_without_a_session_is_answered_no_passive() {
    let h = harness();
    let one = sp(&h, "one", 31);
    let mut b = Browser::default();
    let mut e = Element::new("samlp", "AuthnRequest", P)
        .declare("samlp", P)
        .declare("saml", A)
        .attr("ID", "_passive")
        .attr("IsPassive", "true")
        .attr("Version", "2.0")
        .attr(
            "IssueInstant",
            &jans_core::ctx::format_datetime(h.clock.now()),
        )
        .attr("Destination", &sso(&h))
        .child(Element::new("saml", "Issuer", A).text(&one.entity));
    e.rescope(&Scope::default());
    sign_enveloped(
        &mut e,
        "_passive",
        1,
        one.key.as_ref(),
        None,
        &SeededRandom::new(1),
    )
    .unwrap();
    let saml_request = jans_core::b64::encode_std(e.to_xml().as_bytes());
    let r = b.post(&h, "/jans-saml/idp/sso", &[("SAMLRequest", &saml_request)]);
    let authorize = location(&r);
    assert_eq!(q(&authorize, "prompt").as_deref(), Some("none"));
    let back = b.get(&h, &authorize);
    assert!(q(&location(&back), "interaction").is_none());
    let (_, doc, _) = posted(&b.get(&h, &location(&back)));
    assert_eq!(doc.get("InResponseTo"), Some("_passive"));
    let status = doc
        .first(P, "Status")
        .unwrap()
        .first(P, "StatusCode")
        .unwrap();
    assert_eq!(
        status.first(P, "StatusCode").unwrap().get("Value"),
        Some("urn:oasis:names:tc:SAML:2.0:status:NoPassive")
    );
    assert!(doc.first(A, "Assertion").is_none());
}

/// The second-level status code of a failure posted to the SP.
fn second_status(doc: &Element) -> Option<String> {
    let top = doc.first(P, "Status")?.first(P, "StatusCode")?;
    Some(top.first(P, "StatusCode")?.get("Value")?.to_owned())
}

/// The `AuthnContextClassRef` an assertion states (decrypted with the SP's key).
fn stated_class(h: &Harness, sp: &Sp, doc: &Element) -> String {
    let encrypted = doc.first(A, "EncryptedAssertion").expect("an assertion");
    let data = encrypted.first(XENC_NS, "EncryptedData").unwrap();
    let own = h
        .provider()
        .decryption_key_from_pkcs8(DecryptionKeyType::Rsa, &sp.key.to_pkcs8_der().unwrap())
        .unwrap();
    let assertion = decrypt(data, own.as_ref(), &SeededRandom::new(5)).unwrap();
    text(
        &assertion,
        &["AuthnStatement", "AuthnContext", "AuthnContextClassRef"],
    )
}

/// `RequestedAuthnContext` (Core §3.3.2.2.1) against a session of the auth-server: Casa's
/// method asked for exactly is stated as such; a password over TLS is met by it (it asked
/// for the password); at most a password is not (NoAuthnContext, and nothing else is
/// said); a class this IdP cannot state is refused before anyone signs in.
#[test]
fn the_requested_authentication_context_is_met_or_refused() {
    const PPT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
    let h = harness();
    let one = sp(&h, "one", 43);
    let mut b = Browser::default();
    let r = ask_for(&h, &mut b, &one, "_casa", Some(("exact", &["casa"])));
    assert_eq!(q(&location(&r), "acr_values").as_deref(), Some("casa"));
    let (_, doc, _) = posted(&through_login(&h, &mut b, r));
    assert_eq!(second_status(&doc), None, "a success");
    assert_eq!(stated_class(&h, &one, &doc), "casa");

    let r = ask_for(&h, &mut b, &one, "_ppt", Some(("exact", &[PPT])));
    let (_, doc, _) = posted(&through_login(&h, &mut b, r));
    assert_eq!(stated_class(&h, &one, &doc), PPT);

    let r = ask_for(&h, &mut b, &one, "_max", Some(("maximum", &[PPT])));
    let (_, doc, _) = posted(&through_login(&h, &mut b, r));
    assert_eq!(doc.get("InResponseTo"), Some("_max"));
    assert_eq!(
        second_status(&doc).as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext")
    );
    assert!(doc.first(A, "EncryptedAssertion").is_none());
    assert!(doc.first(A, "Assertion").is_none());

    let smartcard = "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard";
    let r = ask_for(&h, &mut b, &one, "_card", Some(("exact", &[smartcard])));
    let (_, doc, _) = posted(&r);
    assert_eq!(
        second_status(&doc).as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext")
    );
}

#[test]
fn the_callback_belongs_to_the_browser_that_started_the_sign_on() {
    let h = harness();
    let one = sp(&h, "one", 37);
    let mut victim = Browser::default();
    let r = ask(&h, &mut victim, &one, "_bound");
    let callback = signed_in(&h, &mut victim, r);
    assert!(callback.contains("/jans-saml/idp/callback?"), "{callback}");
    // Another browser with the victim's code and state (RFC 6749 §10.12): an error page,
    // and the sign-on is still the victim's.
    let mut attacker = Browser::default();
    let r = attacker.get(&h, &callback);
    assert_eq!(r.status(), 400);
    assert!(
        matches!(r.body, Body::Page(_)),
        "an error page: {:?}",
        r.body
    );
    // A state that is not the cookie's, in the victim's own browser: the same.
    let state = q(&callback, "state").unwrap();
    let forged = callback.replace(&format!("state={state}"), "state=forged");
    assert_eq!(victim.get(&h, &forged).status(), 400);
    // The victim's browser: the assertion; then the state is spent.
    let (action, doc, relay) = posted(&victim.get(&h, &callback));
    assert_eq!(action, "https://one.example.test/acs");
    assert_eq!(doc.get("InResponseTo"), Some("_bound"));
    assert_eq!(relay.as_deref(), Some("rs"));
    assert_eq!(victim.get(&h, &callback).status(), 400);
}

#[test]
fn signed_responses_and_idp_initiated_sign_on_follow_the_relationship() {
    let h = harness();
    let one = sp(&h, "one", 21);
    let mut b = Browser::default();
    // Not allowed yet.
    let refused = b.get(&h, &format!("/jans-saml/idp/initiate?sp={}", one.tr.inum));
    assert_eq!(refused.status(), 403);
    let mut tr = one.tr.clone();
    tr.idp_initiated = true;
    tr.sign_responses = true;
    tr.sign_assertions = false;
    tr.encrypt_assertions = false;
    block_on(h.engine.saml().update_sp(&tr)).unwrap();
    let start = b.get(
        &h,
        &format!(
            "/jans-saml/idp/initiate?sp={}&RelayState=deep-link",
            one.tr.inum
        ),
    );
    let (_, doc, relay) = posted(&through_login(&h, &mut b, start));
    assert_eq!(relay.as_deref(), Some("deep-link"));
    // Unsolicited (Profiles §4.1.5): no InResponseTo, anywhere.
    assert_eq!(doc.get("InResponseTo"), None);
    let keys = idp_keys(&h);
    assert!(
        verify_enveloped(&doc, &doc, &keys, h.provider().as_ref())
            .unwrap()
            .is_some()
    );
    let assertion = doc.first(A, "Assertion").expect("a plain assertion");
    assert!(assertion.first(DSIG_NS, "Signature").is_none());
    let confirmation = assertion
        .first(A, "Subject")
        .and_then(|s| s.first(A, "SubjectConfirmation"))
        .and_then(|c| c.first(A, "SubjectConfirmationData"))
        .unwrap();
    assert_eq!(confirmation.get("InResponseTo"), None);
    assert_eq!(
        confirmation.get("Recipient"),
        Some("https://one.example.test/acs")
    );
}

#[test]
fn the_metadata_publishes_a_certificate_for_each_signing_key_in_use_or_next() {
    use jans_core::jose::KeyAlgorithm;
    use jans_core::repo::key::KeyStatus;
    let h = harness();
    let published = idp_keys(&h);
    let ring = h.engine.services().keys().ring();
    let xml_dsig =
        |a: Algorithm| a.to_string().starts_with("RS") || a.to_string().starts_with("ES");
    let due: Vec<_> = ring
        .keys()
        .iter()
        .filter(|k| matches!(k.status, KeyStatus::Active | KeyStatus::Next))
        .filter(|k| matches!(k.alg, KeyAlgorithm::Sig(a) if xml_dsig(a)))
        .collect();
    // The next key is published before it signs (rotation is on by default).
    assert!(due.iter().any(|k| k.status == KeyStatus::Next));
    assert_eq!(published.len(), due.len());
    for k in due {
        let j = &k.public_jwk;
        assert!(
            published
                .iter()
                .any(|p| p.n == j.n && p.x == j.x && p.y == j.y),
            "{} ({:?}) is not in the metadata",
            k.kid,
            k.status
        );
    }
}
