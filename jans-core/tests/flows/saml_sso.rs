//! The SAML IdP's Web Browser SSO endpoint through the engine: a request replayed while
//! the first is in flight is answered once, on every backend; every kind of bad request
//! gets an error page or a SAML error status and stores nothing. (pysaml2 drives the whole
//! sign-on, logout and encryption in `jans-http/tests/saml.rs`.)

use std::sync::Arc;

use jans_core::crypto::SigningKey;
use jans_core::jose::Algorithm;
use jans_core::params::Params;
use jans_core::repo::saml::MetadataSource;
use jans_core::request::{Method, Request, SamlEndpoint};
use jans_core::response::{Body, Response};
use jans_core::store::GrantKind;
use jans_core::testing::{SeededRandom, block_on};
use jans_core::xml::dsig::sign_enveloped;
use jans_core::xml::{Element, Scope};

use super::authorize::harness_on;
use super::harness::Harness;

const SP: &str = "https://sp.example.test/metadata";
const ACS: &str = "https://sp.example.test/acs";
const P: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const A: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const PPT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

/// The SP's key and metadata (it signs its requests).
fn sp_key(h: &Harness) -> (Arc<dyn SigningKey>, String) {
    let key = h
        .provider()
        .generate(Algorithm::RS256, &SeededRandom::new(5))
        .unwrap();
    let cert = jans_core::x509::build::self_signed(
        key.as_ref(),
        "sp.example.test",
        &[1],
        0,
        4_000_000_000,
        &SeededRandom::new(6),
    )
    .unwrap();
    let b64 = jans_core::b64::encode_std(&cert);
    let metadata = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP}">
  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="{P}">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ACS}" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#
    );
    (key, metadata)
}

/// A harness over `stores` trusting the SP; the SP's key.
fn setup(stores: jans_core::repo::Stores) -> (Harness, Arc<dyn SigningKey>) {
    let h = harness_on(stores);
    let (key, metadata) = sp_key(&h);
    block_on(
        h.engine
            .saml()
            .add_sp(&metadata, Some("sp"), MetadataSource::File, None, &h.ctx()),
    )
    .unwrap();
    (h, key)
}

/// An `AuthnRequest` issued at `instant` to `destination`, answered at `acs`, signed by
/// `key` when given.
fn request(
    h: &Harness,
    id: &str,
    key: Option<&dyn SigningKey>,
    edit: impl Fn(Element) -> Element,
) -> String {
    let issuer = h.engine.config().issuer.clone();
    let now = jans_core::ctx::format_datetime(h.clock.now());
    let mut e = edit(
        Element::new("samlp", "AuthnRequest", P)
            .declare("samlp", P)
            .declare("saml", A)
            .attr("ID", id)
            .attr("Version", "2.0")
            .attr("IssueInstant", &now)
            .attr("Destination", &format!("{issuer}/jans-saml/idp/sso"))
            .attr("AssertionConsumerServiceURL", ACS)
            .child(Element::new("saml", "Issuer", A).text(SP)),
    );
    e.rescope(&Scope::default());
    if let Some(k) = key {
        sign_enveloped(&mut e, id, 1, k, None, &SeededRandom::new(8)).unwrap();
    }
    e.to_xml()
}

fn post(h: &Harness, xml: &str) -> Response {
    let form = Params::from_pairs([("SAMLRequest", jans_core::b64::encode_std(xml.as_bytes()))]);
    h.call(Request::new(SamlEndpoint::Sso, Method::Post).with_form(form))
}

/// The SAML status codes of a response posted to the SP.
fn status_of(r: &Response) -> Option<String> {
    let Body::FormPost { action, params } = &r.body else {
        return None;
    };
    assert_eq!(action, ACS);
    let b64 = &params.iter().find(|(k, _)| k == "SAMLResponse")?.1;
    let xml = String::from_utf8(jans_core::b64::decode_std_wrapped(b64).unwrap()).unwrap();
    let doc = jans_core::xml::parse(&xml, &Default::default()).unwrap();
    let status = doc.first(P, "Status")?.first(P, "StatusCode")?;
    let mut codes = vec![status.get("Value")?.to_owned()];
    if let Some(second) = status.first(P, "StatusCode") {
        codes.push(second.get("Value")?.to_owned());
    }
    Some(codes.join(" "))
}

fn to_authorize(r: &Response) -> bool {
    matches!(&r.body, Body::Redirect(u) if u.contains("/jans-auth/restv1/authorize?"))
}

fn saml_records(h: &Harness) -> usize {
    [GrantKind::SamlSignIn, GrantKind::SamlRequestId]
        .iter()
        .map(|k| {
            block_on(h.stores.grants.scan(*k, h.clock.now(), 100))
                .unwrap()
                .len()
        })
        .sum()
}

const DENIED: &str =
    "urn:oasis:names:tc:SAML:2.0:status:Requester urn:oasis:names:tc:SAML:2.0:status:RequestDenied";

/// One signed request sent eight times at once: one goes on to sign the person in, seven
/// are told `RequestDenied` (its id was seen), on every backend.
#[test]
fn a_request_replayed_in_flight_is_answered_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let (h, key) = setup(backend.stores);
        let xml = request(&h, "_race", Some(key.as_ref()), |e| e);
        let (h, xml) = (&h, &xml);
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8).map(|_| s.spawn(move || post(h, xml))).collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let through = answers.iter().filter(|r| to_authorize(r)).count();
        let denied = answers
            .iter()
            .filter(|r| status_of(r).as_deref() == Some(DENIED))
            .count();
        assert_eq!((through, denied), (1, 7), "{name}");
    }
}

/// Requests the IdP must not answer at the SP get a page; those it can answer, a SAML
/// error status. Neither leaves a record behind.
#[test]
fn bad_requests_get_a_page_or_a_saml_error_and_store_nothing() {
    let (h, key) = setup(jans_core::repo::Stores::memory());
    let other = h
        .provider()
        .generate(Algorithm::RS256, &SeededRandom::new(99))
        .unwrap();
    let k = Some(key.as_ref());
    let pages: Vec<(&str, String, u16)> = vec![
        ("unsigned", request(&h, "_1", None, |e| e), 403),
        (
            "signed by another key",
            request(&h, "_2", Some(other.as_ref()), |e| e),
            403,
        ),
        (
            "an unlisted assertion consumer",
            request(&h, "_3", k, |e| {
                let mut e = e;
                e.attributes
                    .retain(|a| a.name != "AssertionConsumerServiceURL");
                e.attr("AssertionConsumerServiceURL", "https://evil.example/acs")
            }),
            400,
        ),
        (
            "an unknown SP",
            request(&h, "_4", k, |e| {
                let mut e = e;
                e.children.clear();
                e.child(Element::new("saml", "Issuer", A).text("https://unknown.example/"))
            }),
            403,
        ),
        (
            "a DTD",
            r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#.to_owned(),
            400,
        ),
        ("not XML", "<<<".to_owned(), 400),
        (
            "not SAML 2.0",
            request(&h, "_5", k, |e| {
                let mut e = e;
                e.attributes.retain(|a| a.name != "Version");
                e.attr("Version", "1.1")
            }),
            400,
        ),
        (
            "a Comparison Core §3.3.2.2.1 does not define",
            request(&h, "_12", k, |e| {
                e.child(
                    Element::new("samlp", "RequestedAuthnContext", P)
                        .attr("Comparison", "loose")
                        .child(Element::new("saml", "AuthnContextClassRef", A).text(PPT)),
                )
            }),
            400,
        ),
    ];
    for (what, xml, status) in pages {
        let r = post(&h, &xml);
        assert_eq!(r.status(), status, "{what}: {:?}", r.body);
        assert!(matches!(r.body, Body::Page(_)), "{what}");
        assert_eq!(saml_records(&h), 0, "{what}");
    }
    let errors: Vec<(&str, String)> = vec![
        (
            "stale",
            request(&h, "_6", k, |e| {
                let mut e = e;
                e.attributes.retain(|a| a.name != "IssueInstant");
                e.attr("IssueInstant", "2001-01-01T00:00:00Z")
            }),
        ),
        (
            "signed, naming no destination",
            request(&h, "_9", k, |e| {
                let mut e = e;
                e.attributes.retain(|a| a.name != "Destination");
                e
            }),
        ),
        (
            "to another IdP",
            request(&h, "_7", k, |e| {
                let mut e = e;
                e.attributes.retain(|a| a.name != "Destination");
                e.attr("Destination", "https://other-idp.example/sso")
            }),
        ),
    ];
    for (what, xml) in errors {
        let r = post(&h, &xml);
        assert_eq!(
            status_of(&r).as_deref(),
            Some(DENIED),
            "{what}: {:?}",
            r.body
        );
        assert_eq!(saml_records(&h), 0, "{what}");
    }
    // A NameID format the IdP does not issue: the SP is told so; nothing is kept.
    let kerberos = request(&h, "_8", k, |e| {
        e.child(Element::new("samlp", "NameIDPolicy", P).attr(
            "Format",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
        ))
    });
    let r = post(&h, &kerberos);
    assert_eq!(
        status_of(&r).as_deref(),
        Some(
            "urn:oasis:names:tc:SAML:2.0:status:Requester urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
        )
    );
    assert_eq!(saml_records(&h), 0);
    // An email NameID the relationship does not allow (its format is persistent and the
    // SP's metadata lists none): the same.
    let email = request(&h, "_10", k, |e| {
        e.child(Element::new("samlp", "NameIDPolicy", P).attr(
            "Format",
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        ))
    });
    assert_eq!(
        status_of(&post(&h, &email)).as_deref(),
        Some(
            "urn:oasis:names:tc:SAML:2.0:status:Requester urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
        )
    );
    assert_eq!(saml_records(&h), 0);
    // An authentication context this IdP cannot meet: NoAuthnContext before any sign-in.
    let smartcard = request(&h, "_11", k, |e| {
        e.child(
            Element::new("samlp", "RequestedAuthnContext", P).child(
                Element::new("saml", "AuthnContextClassRef", A)
                    .text("urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"),
            ),
        )
    });
    assert_eq!(
        status_of(&post(&h, &smartcard)).as_deref(),
        Some(
            "urn:oasis:names:tc:SAML:2.0:status:Responder urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
        )
    );
    assert_eq!(saml_records(&h), 0);
    // A good request goes on; its id is then remembered.
    let r = post(&h, &request(&h, "_ok", k, |e| e));
    assert!(to_authorize(&r), "{:?}", r.body);
    assert_eq!(saml_records(&h), 2);
}

/// An SP trusted from its metadata's URL: fetched through the outbound client; a URL
/// that is not http(s), or a document that is not metadata, adds nothing.
#[test]
fn an_sp_is_added_from_its_metadata_url() {
    let h = harness_on(jans_core::repo::Stores::memory());
    let (_, metadata) = sp_key(&h);
    let url = "https://sp.example.test/metadata";
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(url.to_owned(), metadata.into_bytes());
    h.http
        .docs
        .lock()
        .unwrap()
        .insert("https://sp.example.test/not".to_owned(), b"{}".to_vec());
    let saml = h.engine.saml();
    for bad in ["file:///etc/passwd", "https://sp.example.test/not"] {
        assert!(
            block_on(saml.add_sp_from_url(bad, None, &h.ctx())).is_err(),
            "{bad}"
        );
    }
    assert!(block_on(saml.list_sps()).unwrap().is_empty());
    let tr = block_on(saml.add_sp_from_url(url, Some("by-url"), &h.ctx())).unwrap();
    assert_eq!(tr.sp_metadata.entity_id, SP);
    assert_eq!(tr.metadata_url.as_deref(), Some(url));
    // The same SP again: refused, one relationship kept.
    assert!(block_on(saml.add_sp_from_url(url, Some("again"), &h.ctx())).is_err());
    assert_eq!(block_on(saml.list_sps()).unwrap().len(), 1);
}
