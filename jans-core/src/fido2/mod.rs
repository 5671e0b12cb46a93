//! The FIDO2 component (Janssen's jans-fido2): WebAuthn registration and authentication
//! ceremonies, verified here (DESIGN.md §5: no webauthn-rs-core).
//!
//! Built bottom-up; what exists so far are the parsers every ceremony starts from, each
//! bounded and refusing rather than guessing:
//! - [`cbor`]: the CBOR subset WebAuthn uses (RFC 8949, definite lengths only), with limits
//!   on depth, container sizes and input length;
//! - [`authenticator_data`]: authenticator data (WebAuthn Level 3 §6.1) with its attested
//!   credential data (§6.5.1) and extensions;
//! - [`client_data`]: `clientDataJSON` (§5.8.1) and the checks of §7.1 steps 7–11 and §7.2
//!   steps 10–14 on it;
//! - [`cose`]: credential public keys (COSE_Key, read with `coset`) as keys of the engine's
//!   crypto provider;
//! - [`signature`]: authenticators' DER ECDSA signatures (§6.5.5) in the form those keys
//!   verify.
//!
//! The endpoints, typed ceremony state, attestation formats, metadata and the registrations
//! repository follow (issue 12).

pub mod authenticator_data;
pub mod cbor;
pub mod client_data;
pub mod cose;
pub mod signature;
