//! The IdP's `<samlp:Response>` (SAML 2.0 Core §3.2.2, §3.3.3) and its assertion (§2.3.3),
//! built as an [`Element`] tree, signed (assertion and/or response, per SP), written out
//! canonically; and the error responses (§3.2.2.2 status codes).

use super::{ASSERTION_LIFETIME, ASSERTION_NS, CLOCK_SKEW, PROTOCOL_NS};
use crate::crypto::{CryptoProvider, SigningKey};
use crate::ctx::{Random, UnixTime, format_datetime};
use crate::jose::Jwk;
use crate::xml::dsig::{DsigError, sign_enveloped};
use crate::xml::enc::{EncError, encrypt};
use crate::xml::{Element, Scope};

/// Status codes (Core §3.2.2.2).
pub mod status {
    /// Success.
    pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    /// The request was wrong.
    pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
    /// The IdP could not do it.
    pub const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
    /// Second level: the person was not authenticated.
    pub const AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
    /// Second level: the name id policy cannot be met.
    pub const INVALID_NAMEID_POLICY: &str =
        "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
    /// Second level: passive authentication was asked and interaction is needed.
    pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
    /// Second level: refused (stale, replayed, or to a wrong destination).
    pub const REQUEST_DENIED: &str = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
    /// Second level of a `LogoutResponse`: not every session was ended (Core §3.7.3.2).
    pub const PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
    /// Second level: the requested authentication context cannot be met.
    pub const NO_AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
}

/// A released attribute: its SAML name, friendly name and values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    /// `Name` (a URI, with the `uri` name format, Core §8.2.2).
    pub name: String,
    /// `FriendlyName`.
    pub friendly_name: String,
    /// The values.
    pub values: Vec<String>,
}

/// Everything an assertion states.
#[derive(Clone, Debug)]
pub struct Assertion<'a> {
    /// The IdP's entity id.
    pub issuer: &'a str,
    /// The SP's entity id (the audience).
    pub audience: &'a str,
    /// Where the response goes.
    pub recipient: &'a str,
    /// The request answered, if any (none when IdP-initiated).
    pub in_response_to: Option<&'a str>,
    /// The `NameID` and its format.
    pub name_id: (&'a str, &'a str),
    /// When the person authenticated.
    pub authn_instant: UnixTime,
    /// The session index (ties the assertion to the IdP session, for logout).
    pub session_index: &'a str,
    /// `AuthnContextClassRef`.
    pub authn_context: &'a str,
    /// Released attributes.
    pub attributes: &'a [Released],
}

/// How the response is signed: by `key` (with its certificate in `KeyInfo`), the
/// assertion and/or the response.
#[derive(Clone, Copy, Debug)]
pub struct Signing<'a> {
    /// The key.
    pub key: &'a dyn SigningKey,
    /// Its certificate (DER).
    pub certificate: Option<&'a [u8]>,
    /// Sign the assertion.
    pub assertion: bool,
    /// Sign the response.
    pub response: bool,
}

fn saml(name: &str) -> Element {
    Element::new("saml", name, ASSERTION_NS)
}

fn samlp(name: &str) -> Element {
    Element::new("samlp", name, PROTOCOL_NS)
}

/// A fresh id: `_` and 20 random bytes in hex (an `xs:ID` is an NCName, Core §1.3.4).
pub fn new_id(rng: &dyn Random) -> String {
    let mut b = [0u8; 20];
    rng.fill(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("_{hex}")
}

/// The assertion element, unsigned (Core §2.3.3; Profiles §4.1.4.2: a bearer
/// `SubjectConfirmation` with `Recipient`, `NotOnOrAfter` and `InResponseTo`, an
/// `AudienceRestriction`, an `AuthnStatement` with a `SessionIndex`).
fn assertion_element(a: &Assertion<'_>, id: &str, now: UnixTime) -> Element {
    let until = format_datetime(now.saturating_add(ASSERTION_LIFETIME));
    let mut confirmation = saml("SubjectConfirmationData")
        .attr("NotOnOrAfter", &until)
        .attr("Recipient", a.recipient);
    if let Some(r) = a.in_response_to {
        confirmation = confirmation.attr("InResponseTo", r);
    }
    let (name_id, format) = a.name_id;
    let mut statement = saml("AttributeStatement");
    for attr in a.attributes {
        let mut e = saml("Attribute")
            .attr("Name", &attr.name)
            .attr(
                "NameFormat",
                "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
            )
            .attr("FriendlyName", &attr.friendly_name);
        // Plain text values, no `xsi:type`: its `xs:string` is a QName in content, whose
        // prefix exclusive canonicalization (the document as sent) would leave unbound.
        for v in &attr.values {
            e = e.child(saml("AttributeValue").text(v));
        }
        statement = statement.child(e);
    }
    let mut assertion = saml("Assertion")
        .declare("saml", ASSERTION_NS)
        .attr("ID", id)
        .attr("IssueInstant", &format_datetime(now))
        .attr("Version", "2.0")
        .child(saml("Issuer").text(a.issuer))
        .child(
            saml("Subject")
                .child(
                    saml("NameID")
                        .attr("Format", format)
                        .attr("NameQualifier", a.issuer)
                        .attr("SPNameQualifier", a.audience)
                        .text(name_id),
                )
                .child(
                    saml("SubjectConfirmation")
                        .attr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
                        .child(confirmation),
                ),
        )
        .child(
            saml("Conditions")
                .attr(
                    "NotBefore",
                    &format_datetime(now.saturating_sub(CLOCK_SKEW)),
                )
                .attr("NotOnOrAfter", &until)
                .child(saml("AudienceRestriction").child(saml("Audience").text(a.audience))),
        )
        .child(
            saml("AuthnStatement")
                .attr("AuthnInstant", &format_datetime(a.authn_instant))
                .attr("SessionIndex", a.session_index)
                .child(
                    saml("AuthnContext").child(saml("AuthnContextClassRef").text(a.authn_context)),
                ),
        );
    if !a.attributes.is_empty() {
        assertion = assertion.child(statement);
    }
    assertion
}

/// The envelope of every response: `samlp:Response` with its issuer and status.
fn envelope(
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    status_codes: (&str, Option<&str>),
    id: &str,
    now: UnixTime,
) -> Element {
    let mut response = samlp("Response")
        .declare("samlp", PROTOCOL_NS)
        .declare("saml", ASSERTION_NS)
        .attr("Destination", destination)
        .attr("ID", id)
        .attr("IssueInstant", &format_datetime(now))
        .attr("Version", "2.0");
    if let Some(r) = in_response_to {
        response = response.attr("InResponseTo", r);
    }
    let (top, second) = status_codes;
    let mut code = samlp("StatusCode").attr("Value", top);
    if let Some(s) = second {
        code = code.child(samlp("StatusCode").attr("Value", s));
    }
    response
        .child(saml("Issuer").text(issuer))
        .child(samlp("Status").child(code))
}

/// The recipient of an encrypted assertion: the SP's RSA key, and the provider encrypting.
#[derive(Clone, Copy, Debug)]
pub struct EncryptTo<'a> {
    /// The SP's encryption key.
    pub key: &'a Jwk,
    /// The crypto provider.
    pub provider: &'a dyn CryptoProvider,
}

/// Why a response could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] DsigError),
    /// Encryption failed.
    #[error(transparent)]
    Encrypt(#[from] EncError),
}

/// A successful response carrying the assertion `a`, signed as `signing` says (the
/// assertion before it is encrypted, Core §6.2), encrypted to `encrypt_to` when given (an
/// `EncryptedAssertion`, Core §2.3.4), written out.
pub fn success(
    a: &Assertion<'_>,
    signing: &Signing<'_>,
    encrypt_to: Option<EncryptTo<'_>>,
    now: UnixTime,
    rng: &dyn Random,
) -> Result<String, BuildError> {
    let assertion_id = new_id(rng);
    let mut assertion = assertion_element(a, &assertion_id, now);
    assertion.rescope(&Scope::default());
    if signing.assertion {
        // After the Issuer (Core §5.3).
        sign_enveloped(
            &mut assertion,
            &assertion_id,
            1,
            signing.key,
            signing.certificate,
            rng,
        )?;
    }
    let assertion = match encrypt_to {
        Some(to) => {
            saml("EncryptedAssertion").child(encrypt(&assertion, to.key, to.provider, rng)?)
        }
        None => assertion,
    };
    let response_id = new_id(rng);
    let mut response = envelope(
        a.issuer,
        a.recipient,
        a.in_response_to,
        (status::SUCCESS, None),
        &response_id,
        now,
    )
    .child(assertion);
    response.rescope(&Scope::default());
    if signing.response {
        sign_enveloped(
            &mut response,
            &response_id,
            1,
            signing.key,
            signing.certificate,
            rng,
        )?;
    }
    Ok(response.to_xml())
}

/// An error response (no assertion) to `destination`, answering `in_response_to`, with
/// the top-level and optional second-level status codes; signed when `signing` is given.
pub fn failure(
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    status_codes: (&str, Option<&str>),
    signing: Option<&Signing<'_>>,
    now: UnixTime,
    rng: &dyn Random,
) -> Result<String, DsigError> {
    let id = new_id(rng);
    let mut response = envelope(issuer, destination, in_response_to, status_codes, &id, now);
    response.rescope(&Scope::default());
    if let Some(s) = signing {
        sign_enveloped(&mut response, &id, 1, s.key, s.certificate, rng)?;
    }
    Ok(response.to_xml())
}
