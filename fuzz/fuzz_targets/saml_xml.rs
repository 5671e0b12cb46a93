//! The SAML XML reader must never panic; what it reads canonicalizes to a fixed point (the
//! canonical form reads back and canonicalizes to itself, and means the same
//! `AuthnRequest`), and the `AuthnRequest` and SP-metadata readers never panic on it.
#![no_main]

use jans_core::saml::authn_request::AuthnRequest;
use jans_core::saml::metadata;
use jans_core::xml::{self, Limits, c14n::canonicalize};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(root) = xml::parse(input, &Limits::default()) {
        let canonical = canonicalize(&root, None, &[]);
        // Canonicalization may legitimately grow a document past the limits (`<a/>` becomes
        // `<a></a>`, namespace declarations move down to where they are used), so the
        // canonical form is read back unbounded.
        let unbounded = Limits {
            max_bytes: usize::MAX,
            max_attributes: usize::MAX,
            max_namespaces: usize::MAX,
            ..Limits::default()
        };
        let again = xml::parse(&canonical, &unbounded).expect("the canonical form reads back");
        assert_eq!(canonicalize(&again, None, &[]), canonical);
        assert_eq!(AuthnRequest::read(&again), AuthnRequest::read(&root));
    }
    let _ = metadata::read_sp(input);
});
