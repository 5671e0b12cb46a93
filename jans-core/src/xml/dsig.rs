//! XML Signature (XML-DSig 1.1, W3C REC 2013-04-11) in the one shape SAML uses
//! (SAML 2.0 Core §5.4): an enveloped signature inside the element it signs, one
//! `Reference` to that element's `ID`, exclusive canonicalization, SHA-2 digests, and RSA
//! PKCS#1 v1.5 or ECDSA signatures.
//!
//! Verification binds what was signed to what is processed: the caller names the element
//! it will act on, the signature must be that element's own child, its one reference must
//! point at that element's `ID`, and no other element of the document may carry that id.
//! A signature elsewhere (the wrapping attacks of Somorovsky et al., "On Breaking SAML",
//! USENIX Security 2012) signs nothing the caller reads.

use sha2::Digest as _;

use super::c14n::{EXC_C14N, canonicalize};
use super::{Element, Node};
use crate::crypto::{CryptoProvider, SigningKey};
use crate::ctx::Random;
use crate::jose::{Algorithm, Jwk};

/// The XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The enveloped-signature transform (XML-DSig §6.6.4).
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Signature methods (RFC 6931 §2.3) and the JOSE algorithm computing the same signature
/// value (ECDSA as `r || s`, XML-DSig 1.1 §6.4.3, as in JWS).
const METHODS: [(&str, Algorithm); 6] = [
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        Algorithm::RS256,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        Algorithm::RS384,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        Algorithm::RS512,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        Algorithm::ES256,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        Algorithm::ES384,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        Algorithm::ES512,
    ),
];

/// Digest methods (XML Encryption §5.7.2, RFC 6931 §2.1.3); SHA-1 is refused.
const DIGESTS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// The signature method URI of `alg`, if XML-DSig has one we speak.
pub fn method_uri(alg: Algorithm) -> Option<&'static str> {
    METHODS.iter().find(|(_, a)| *a == alg).map(|(u, _)| *u)
}

/// The algorithm of a signature method URI we accept.
pub fn method_algorithm(uri: &str) -> Option<Algorithm> {
    METHODS.iter().find(|(u, _)| *u == uri).map(|(_, a)| *a)
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsigError {
    /// The signature is not of the one shape accepted.
    #[error("signature not accepted: {0}")]
    Shape(&'static str),
    /// An algorithm not accepted.
    #[error("signature algorithm not accepted: {0}")]
    Algorithm(String),
    /// The digest or the signature value does not match.
    #[error("signature does not verify")]
    Invalid,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

fn digest(method: &str, data: &[u8]) -> Option<Vec<u8>> {
    match DIGESTS.iter().position(|d| *d == method)? {
        0 => Some(sha2::Sha256::digest(data).to_vec()),
        1 => Some(sha2::Sha384::digest(data).to_vec()),
        _ => Some(sha2::Sha512::digest(data).to_vec()),
    }
}

fn ds(name: &str) -> Element {
    Element::new("ds", name, DSIG_NS)
}

/// Sign `element` (whose `ID` is `id`) with `key`: an enveloped signature inserted as its
/// child at `position` (SAML puts it right after `Issuer`, SAML Core §5.3), with SHA-256,
/// exclusive canonicalization and, when given, the signer's certificate in `KeyInfo`.
/// `element`'s scope must be current ([`Element::rescope`]).
pub fn sign_enveloped(
    element: &mut Element,
    id: &str,
    position: usize,
    key: &dyn SigningKey,
    certificate: Option<&[u8]>,
    rng: &dyn Random,
) -> Result<(), DsigError> {
    let method = method_uri(key.algorithm())
        .ok_or_else(|| DsigError::Algorithm(key.algorithm().to_string()))?;
    let digest_method = DIGESTS[0];
    let digest_value = sha2::Sha256::digest(canonicalize(element, None, &[]).as_bytes());
    let transform = |alg: &str| ds("Transform").attr("Algorithm", alg);
    let mut signed_info = ds("SignedInfo")
        .child(ds("CanonicalizationMethod").attr("Algorithm", EXC_C14N))
        .child(ds("SignatureMethod").attr("Algorithm", method))
        .child(
            ds("Reference")
                .attr("URI", &format!("#{id}"))
                .child(
                    ds("Transforms")
                        .child(transform(ENVELOPED))
                        .child(transform(EXC_C14N)),
                )
                .child(ds("DigestMethod").attr("Algorithm", digest_method))
                .child(ds("DigestValue").text(&crate::b64::encode_std(&digest_value))),
        )
        .declare("ds", DSIG_NS);
    signed_info.rescope(&element.scope);
    let value = key
        .sign(canonicalize(&signed_info, None, &[]).as_bytes(), rng)
        .map_err(|e| DsigError::Signing(e.to_string()))?;
    signed_info.declared.clear();
    let mut signature = ds("Signature")
        .declare("ds", DSIG_NS)
        .child(signed_info)
        .child(ds("SignatureValue").text(&crate::b64::encode_std(&value)));
    if let Some(der) = certificate {
        signature =
            signature.child(ds("KeyInfo").child(
                ds("X509Data").child(ds("X509Certificate").text(&crate::b64::encode_std(der))),
            ));
    }
    signature.rescope(&element.scope);
    let at = position.min(element.children.len());
    element.children.insert(at, Node::Element(signature));
    Ok(())
}

/// The enveloped signature of `element`, its own `ds:Signature` child: `None` when it has
/// none; an error when it has more than one.
pub fn signature_of(element: &Element) -> Result<Option<&Element>, DsigError> {
    let mut it = element.all(DSIG_NS, "Signature");
    let first = it.next();
    if it.next().is_some() {
        return Err(DsigError::Shape("more than one signature"));
    }
    Ok(first)
}

fn algorithm_of<'a>(e: &'a Element, name: &str) -> Result<&'a str, DsigError> {
    e.only(DSIG_NS, name)
        .and_then(|m| m.get("Algorithm"))
        .ok_or(DsigError::Shape("a method is missing"))
}

/// Verify the enveloped signature of `target`, an element of `document`, by one of `keys`
/// (an SP's signing keys). `Ok(None)`: `target` is not signed; `Ok(Some(alg))`: signed by
/// one of the keys, binding `target`; any other signature is an error.
pub fn verify_enveloped(
    document: &Element,
    target: &Element,
    keys: &[Jwk],
    provider: &dyn CryptoProvider,
) -> Result<Option<Algorithm>, DsigError> {
    let Some(signature) = signature_of(target)? else {
        return Ok(None);
    };
    let id = target
        .get("ID")
        .filter(|id| !id.is_empty())
        .ok_or(DsigError::Shape("the signed element has no ID"))?;
    let holders = document
        .descendants()
        .into_iter()
        .filter(|e| ["ID", "Id", "id"].iter().any(|n| e.get(n) == Some(id)))
        .count();
    if holders != 1 {
        return Err(DsigError::Shape("the signed ID is not unique"));
    }
    let signed_info = signature
        .only(DSIG_NS, "SignedInfo")
        .ok_or(DsigError::Shape("no SignedInfo"))?;
    if algorithm_of(signed_info, "CanonicalizationMethod")? != EXC_C14N {
        return Err(DsigError::Algorithm("canonicalization".into()));
    }
    let method = algorithm_of(signed_info, "SignatureMethod")?;
    let alg = method_algorithm(method).ok_or_else(|| DsigError::Algorithm(method.to_owned()))?;
    let reference = signed_info
        .only(DSIG_NS, "Reference")
        .ok_or(DsigError::Shape("not exactly one Reference"))?;
    if reference.get("URI") != Some(&format!("#{id}")) {
        return Err(DsigError::Shape(
            "the reference is not to the signed element",
        ));
    }
    let inclusive = transforms(reference)?;
    let digest_method = algorithm_of(reference, "DigestMethod")?;
    let expected = reference
        .only(DSIG_NS, "DigestValue")
        .map(|d| crate::b64::decode_std_wrapped(&d.text_content()))
        .ok_or(DsigError::Shape("no DigestValue"))?
        .map_err(|_| DsigError::Shape("DigestValue is not base64"))?;
    let actual = digest(
        digest_method,
        canonicalize(target, Some(signature), &inclusive).as_bytes(),
    )
    .ok_or_else(|| DsigError::Algorithm(digest_method.to_owned()))?;
    if actual != expected {
        return Err(DsigError::Invalid);
    }
    let value = signature
        .only(DSIG_NS, "SignatureValue")
        .map(|v| crate::b64::decode_std_wrapped(&v.text_content()))
        .ok_or(DsigError::Shape("no SignatureValue"))?
        .map_err(|_| DsigError::Shape("SignatureValue is not base64"))?;
    let signed = canonicalize(signed_info, None, &signed_info_prefixes(signed_info)?);
    let ok = keys.iter().any(|jwk| {
        provider
            .verifying_key(alg, jwk)
            .is_ok_and(|k| k.verify(signed.as_bytes(), &value).is_ok())
    });
    if ok {
        Ok(Some(alg))
    } else {
        Err(DsigError::Invalid)
    }
}

/// Most prefixes an `InclusiveNamespaces PrefixList` may name (canonicalization looks each
/// up on every element).
const MAX_INCLUSIVE_PREFIXES: usize = 16;

/// The PrefixList of an `ec:InclusiveNamespaces` inside `method` (xml-exc-c14n §3), at
/// most [`MAX_INCLUSIVE_PREFIXES`] short prefixes.
fn prefix_list(method: &Element) -> Result<Vec<String>, DsigError> {
    let Some(list) = method
        .first(EXC_C14N, "InclusiveNamespaces")
        .and_then(|i| i.get("PrefixList"))
    else {
        return Ok(Vec::new());
    };
    let prefixes: Vec<String> = list.split_whitespace().map(str::to_owned).collect();
    if prefixes.len() > MAX_INCLUSIVE_PREFIXES || prefixes.iter().any(|p| p.len() > 64) {
        return Err(DsigError::Shape(
            "too long an InclusiveNamespaces PrefixList",
        ));
    }
    Ok(prefixes)
}

fn signed_info_prefixes(signed_info: &Element) -> Result<Vec<String>, DsigError> {
    signed_info
        .only(DSIG_NS, "CanonicalizationMethod")
        .ok_or(DsigError::Shape("no CanonicalizationMethod"))
        .and_then(prefix_list)
}

/// The reference's transforms must be exactly the enveloped signature, then exclusive
/// canonicalization, each naming its `Algorithm` (XML-DSig §4.4.3.4); the PrefixList of the
/// latter is returned.
fn transforms(reference: &Element) -> Result<Vec<String>, DsigError> {
    let list: Vec<&Element> = reference
        .only(DSIG_NS, "Transforms")
        .map(|t| t.elements().collect())
        .unwrap_or_default();
    match list.as_slice() {
        [enveloped, exc]
            if [enveloped, exc].iter().all(|t| t.is(DSIG_NS, "Transform"))
                && enveloped.get("Algorithm") == Some(ENVELOPED)
                && exc.get("Algorithm") == Some(EXC_C14N) =>
        {
            prefix_list(exc)
        }
        _ => Err(DsigError::Shape(
            "transforms other than enveloped-signature and exclusive canonicalization",
        )),
    }
}

#[cfg(test)]
mod tests;
