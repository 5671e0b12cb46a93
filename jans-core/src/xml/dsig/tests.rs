#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use super::*;
use crate::crypto::default_provider;
use crate::testing::SeededRandom;
use crate::xml::{Limits, Scope, parse};

const P: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const A: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn key(alg: Algorithm) -> Arc<dyn SigningKey> {
    default_provider()
        .generate(alg, &SeededRandom::new(alg as u64))
        .unwrap()
}

/// A request signed by `key`, as text.
fn signed(key: &dyn SigningKey, id: &str) -> String {
    let mut e = Element::new("samlp", "AuthnRequest", P)
        .declare("samlp", P)
        .declare("saml", A)
        .attr("ID", id)
        .attr("Version", "2.0")
        .child(Element::new("saml", "Issuer", A).text("https://sp.example/"))
        .child(Element::new("samlp", "NameIDPolicy", P).attr("AllowCreate", "true"));
    e.rescope(&Scope::default());
    sign_enveloped(
        &mut e,
        id,
        1,
        key,
        Some(b"not really a certificate"),
        &SeededRandom::new(9),
    )
    .unwrap();
    e.to_xml()
}

fn verify(xml: &str, keys: &[Jwk]) -> Result<Option<Algorithm>, DsigError> {
    let doc = parse(xml, &Limits::default()).unwrap();
    verify_enveloped(&doc, &doc, keys, default_provider().as_ref())
}

#[test]
fn what_we_sign_verifies_with_the_key_and_no_other() {
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::ES384] {
        let k = key(alg);
        let xml = signed(k.as_ref(), "_r1");
        assert_eq!(verify(&xml, &[k.public_jwk()]), Ok(Some(alg)), "{alg}");
        let other = default_provider()
            .generate(alg, &SeededRandom::new(77))
            .unwrap();
        assert_eq!(verify(&xml, &[other.public_jwk()]), Err(DsigError::Invalid));
        // Either key of several will do.
        assert_eq!(
            verify(&xml, &[other.public_jwk(), k.public_jwk()]),
            Ok(Some(alg))
        );
    }
}

#[test]
fn unsigned_is_none_and_a_change_anywhere_breaks_it() {
    let k = key(Algorithm::RS256);
    let jwk = [k.public_jwk()];
    assert_eq!(
        verify(
            &format!("<samlp:AuthnRequest xmlns:samlp=\"{P}\" ID=\"_x\"/>"),
            &jwk
        ),
        Ok(None)
    );
    let xml = signed(k.as_ref(), "_r1");
    for (from, to) in [
        ("https://sp.example/", "https://evil.example/"),
        ("AllowCreate=\"true\"", "AllowCreate=\"false\""),
        ("Version=\"2.0\"", "Version=\"2.0\" Destination=\"x\""),
        ("<ds:DigestMethod", "<ds:DigestMethod Extra=\"1\""),
    ] {
        let changed = xml.replacen(from, to, 1);
        assert_ne!(changed, xml);
        assert_eq!(verify(&changed, &jwk), Err(DsigError::Invalid), "{from}");
    }
    // Whitespace and comments the canonical form leaves alone do not matter.
    let pretty = xml.replacen("<saml:Issuer>", "<!-- c --><saml:Issuer>", 1);
    assert_eq!(verify(&pretty, &jwk), Ok(Some(Algorithm::RS256)));
}

#[test]
fn signature_wrapping_is_refused() {
    let k = key(Algorithm::RS256);
    let jwk = [k.public_jwk()];
    let xml = signed(k.as_ref(), "_good");
    let good = parse(&xml, &Limits::default()).unwrap();
    let provider = default_provider();
    // The signed request moved inside an evil one with the signature copied to it: the
    // reference no longer names the element processed.
    let sig = crate::xml::c14n::canonicalize(signature_of(&good).unwrap().unwrap(), None, &[]);
    let wrapped = format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{P}\" ID=\"_evil\">{sig}<samlp:Extensions>{xml}</samlp:Extensions></samlp:AuthnRequest>"
    );
    assert_eq!(
        verify(&wrapped, &jwk),
        Err(DsigError::Shape(
            "the reference is not to the signed element"
        ))
    );
    // Same, with the evil element taking the signed one's id.
    let twin = wrapped.replacen("_evil", "_good", 1);
    assert_eq!(
        verify(&twin, &jwk),
        Err(DsigError::Shape("the signed ID is not unique"))
    );
    // ... or carrying it as `Id`, as other XML-DSig profiles name ids.
    let id_twin = wrapped.replacen("ID=\"_evil\"", "ID=\"_evil\" Id=\"_good\"", 1);
    let outer = parse(&id_twin, &Limits::default()).unwrap();
    let inner = outer.elements().nth(1).unwrap().elements().next().unwrap();
    assert_eq!(
        verify_enveloped(&outer, inner, &jwk, provider.as_ref()),
        Err(DsigError::Shape("the signed ID is not unique"))
    );
    // The signature of a descendant does not sign its parent.
    let outer = parse(&wrapped, &Limits::default()).unwrap();
    let inner = outer.elements().nth(1).unwrap().elements().next().unwrap();
    assert_eq!(
        verify_enveloped(&outer, inner, &jwk, provider.as_ref()),
        Ok(Some(Algorithm::RS256))
    );
    assert!(verify_enveloped(&outer, &outer, &jwk, provider.as_ref()).is_err());
    // Two signatures.
    let doubled = xml.replacen(
        "<samlp:NameIDPolicy",
        &format!("{sig}<samlp:NameIDPolicy"),
        1,
    );
    assert_eq!(
        verify(&doubled, &jwk),
        Err(DsigError::Shape("more than one signature"))
    );
}

#[test]
fn weak_or_unexpected_algorithms_are_refused() {
    let k = key(Algorithm::RS256);
    let jwk = [k.public_jwk()];
    let xml = signed(k.as_ref(), "_r1");
    let cases = [
        (
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        ),
        (
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"",
        ),
        (
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform>",
            "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"></ds:Transform>",
        ),
        // A Transform without its (required) Algorithm, or another element among them.
        (
            "<ds:Transforms>",
            "<ds:Transforms><ds:Transform></ds:Transform>",
        ),
        ("<ds:Transforms>", "<ds:Transforms><ds:Other></ds:Other>"),
    ];
    for (from, to) in cases {
        let changed = xml.replacen(from, to, 1);
        assert_ne!(changed, xml, "{from}");
        assert!(
            matches!(
                verify(&changed, &jwk),
                Err(DsigError::Algorithm(_) | DsigError::Shape(_))
            ),
            "{to}"
        );
    }
    // A PrefixList long enough to make canonicalization slow is refused before any digest.
    let many: Vec<String> = (0..17).map(|i| format!("p{i}")).collect();
    let long = xml.replacen(
        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:Transform>",
        &format!(
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"{}\"></ec:InclusiveNamespaces></ds:Transform>",
            many.join(" ")
        ),
        1,
    );
    assert_ne!(long, xml);
    assert_eq!(
        verify(&long, &jwk),
        Err(DsigError::Shape(
            "too long an InclusiveNamespaces PrefixList"
        ))
    );
    // An ECDSA method claimed over an RSA key verifies nothing.
    let ec = xml.replacen("rsa-sha256", "ecdsa-sha256", 1);
    assert_eq!(verify(&ec, &jwk), Err(DsigError::Invalid));
}
