//! SAML 2.0 metadata (OASIS saml-metadata-2.0-os): the IdP's own `EntityDescriptor`, and
//! what an SP's says — its entity id, assertion consumer and logout endpoints, keys and
//! wishes — read into [`SpMetadata`].

use super::{BINDING_POST, BINDING_REDIRECT, NAMEID_FORMATS, PROTOCOL_NS};
use crate::jose::Jwk;
use crate::repo::saml::{SpEndpoint, SpMetadata};
use crate::x509::Certificate;
use crate::xml::dsig::DSIG_NS;
use crate::xml::{Element, Limits, Scope, XmlError, parse};

/// The metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Most endpoints or keys of one kind read from an SP's metadata.
const MAX_ENTRIES: usize = 32;

/// Why an SP's metadata was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not XML we read.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// XML, but not usable SP metadata.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(s: impl Into<String>) -> MetadataError {
    MetadataError::Invalid(s.into())
}

/// Read an SP's metadata: an `EntityDescriptor` with one `SPSSODescriptor` supporting
/// SAML 2.0, or an `EntitiesDescriptor` holding exactly one such.
pub fn read_sp(xml: &str) -> Result<SpMetadata, MetadataError> {
    let root = parse(xml, &Limits::default())?;
    let entity = if root.is(MD_NS, "EntitiesDescriptor") {
        let mut sps = root
            .all(MD_NS, "EntityDescriptor")
            .filter(|e| e.first(MD_NS, "SPSSODescriptor").is_some());
        let one = sps
            .next()
            .ok_or_else(|| invalid("no SP among the entities"))?;
        if sps.next().is_some() {
            return Err(invalid(
                "more than one SP in the metadata: add them one by one",
            ));
        }
        one
    } else if root.is(MD_NS, "EntityDescriptor") {
        &root
    } else {
        return Err(invalid("not an EntityDescriptor"));
    };
    let entity_id = entity
        .get("entityID")
        .filter(|id| !id.is_empty() && id.len() <= 1024)
        .ok_or_else(|| invalid("no entityID"))?
        .to_owned();
    let sp = entity
        .all(MD_NS, "SPSSODescriptor")
        .find(|d| {
            d.get("protocolSupportEnumeration")
                .is_some_and(|p| p.split_whitespace().any(|p| p == PROTOCOL_NS))
        })
        .ok_or_else(|| invalid("no SPSSODescriptor supporting SAML 2.0"))?;
    let flag = |n: &str| matches!(sp.get(n), Some("true" | "1"));
    let mut md = SpMetadata {
        entity_id,
        assertion_consumer_services: endpoints(sp, "AssertionConsumerService")?,
        single_logout_services: endpoints(sp, "SingleLogoutService")?,
        authn_requests_signed: flag("AuthnRequestsSigned"),
        want_assertions_signed: flag("WantAssertionsSigned"),
        ..SpMetadata::default()
    };
    if md.assertion_consumer_services.is_empty() {
        return Err(invalid("no AssertionConsumerService"));
    }
    for kd in sp.all(MD_NS, "KeyDescriptor").take(MAX_ENTRIES) {
        let cert = kd
            .first(DSIG_NS, "KeyInfo")
            .and_then(|k| k.first(DSIG_NS, "X509Data"))
            .and_then(|d| d.first(DSIG_NS, "X509Certificate"))
            .map(|c| c.text_content())
            .ok_or_else(|| invalid("a KeyDescriptor without an X509Certificate"))?;
        let der = crate::b64::decode_std_wrapped(&cert)
            .map_err(|_| invalid("an X509Certificate is not base64"))?;
        key_of(&der)?;
        let b64 = crate::b64::encode_std(&der);
        let use_ = kd.get("use");
        if use_ != Some("encryption") {
            md.signing_certificates.push(b64.clone());
        }
        if use_ != Some("signing") {
            md.encryption_certificates.push(b64);
        }
    }
    md.name_id_formats = sp
        .all(MD_NS, "NameIDFormat")
        .take(MAX_ENTRIES)
        .map(|f| f.text_content().trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    if md.authn_requests_signed && md.signing_certificates.is_empty() {
        return Err(invalid("AuthnRequestsSigned without a signing key"));
    }
    Ok(md)
}

/// The SP's signing keys, for verifying its requests.
pub fn signing_keys(md: &SpMetadata) -> Vec<Jwk> {
    keys(&md.signing_certificates)
}

/// The SP's first RSA encryption key: assertions are encrypted with RSA-OAEP key
/// transport only, so an SP publishing EC keys alone gets them signed, not encrypted.
pub fn encryption_key(md: &SpMetadata) -> Option<Jwk> {
    keys(&md.encryption_certificates)
        .into_iter()
        .find(|k| k.kty == "RSA")
}

fn keys(certs: &[String]) -> Vec<Jwk> {
    certs
        .iter()
        .filter_map(|c| crate::b64::decode_std_wrapped(c).ok())
        .filter_map(|der| key_of(&der).ok())
        .collect()
}

/// The public key of a certificate an SP publishes: only a key container here (SAML
/// metadata is the trust, not a chain), so its dates and issuer are not checked.
fn key_of(der: &[u8]) -> Result<Jwk, MetadataError> {
    Certificate::parse(der)
        .and_then(|c| c.public_jwk())
        .map(|(jwk, _)| jwk)
        .map_err(|e| invalid(format!("a certificate was refused: {e}")))
}

fn endpoints(sp: &Element, name: &str) -> Result<Vec<SpEndpoint>, MetadataError> {
    let mut out = Vec::new();
    for e in sp.all(MD_NS, name).take(MAX_ENTRIES) {
        let binding = e.get("Binding").unwrap_or_default().to_owned();
        let location = e.get("Location").unwrap_or_default().to_owned();
        let url_ok = |u: &str| {
            url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
                && u.len() <= 2048
        };
        if !url_ok(&location) {
            return Err(invalid(format!("{name} has no usable Location")));
        }
        // Only the bindings this IdP speaks are kept.
        if binding != BINDING_POST && binding != BINDING_REDIRECT {
            continue;
        }
        let index = match e.get("index") {
            Some(i) => Some(
                i.parse::<u16>()
                    .map_err(|_| invalid(format!("{name} has a bad index")))?,
            ),
            None => None,
        };
        out.push(SpEndpoint {
            binding,
            location,
            response_location: e
                .get("ResponseLocation")
                .filter(|u| url_ok(u))
                .map(str::to_owned),
            index,
            is_default: matches!(e.get("isDefault"), Some("true" | "1")),
        });
    }
    Ok(out)
}

/// The IdP's metadata (§2.3.1, §2.4.3): its entity id, single sign-on and logout
/// endpoints for both bindings, the name id formats, and a `KeyDescriptor` for each
/// signing certificate given (the next key's too, so SPs know it before it signs).
pub fn idp_metadata(entity_id: &str, base: &str, certificates: &[Vec<u8>]) -> String {
    let md = |n: &str| Element::new("md", n, MD_NS);
    let ds = |n: &str| Element::new("ds", n, DSIG_NS);
    let mut idp = md("IDPSSODescriptor")
        .attr("WantAuthnRequestsSigned", "false")
        .attr("protocolSupportEnumeration", PROTOCOL_NS);
    for der in certificates {
        idp = idp.child(
            md("KeyDescriptor")
                .attr("use", "signing")
                .child(ds("KeyInfo").child(
                    ds("X509Data").child(ds("X509Certificate").text(&crate::b64::encode_std(der))),
                )),
        );
    }
    let endpoint = |n: &str, binding: &str, path: &str| {
        md(n)
            .attr("Binding", binding)
            .attr("Location", &format!("{base}{path}"))
    };
    for b in [BINDING_REDIRECT, BINDING_POST] {
        idp = idp.child(endpoint("SingleLogoutService", b, super::paths::SLO));
    }
    for f in NAMEID_FORMATS {
        idp = idp.child(md("NameIDFormat").text(f));
    }
    for b in [BINDING_REDIRECT, BINDING_POST] {
        idp = idp.child(endpoint("SingleSignOnService", b, super::paths::SSO));
    }
    let mut root = md("EntityDescriptor")
        .declare("md", MD_NS)
        .declare("ds", DSIG_NS)
        .attr("entityID", entity_id)
        .child(idp);
    root.rescope(&Scope::default());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        root.to_xml()
    )
}
