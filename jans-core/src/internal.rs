//! Fuzzing entry points (DESIGN.md §8). Each must never panic on any input.

/// Form/query parameter parsing plus the duplicate check.
pub fn fuzz_params(data: &[u8]) {
    if let Ok(p) = crate::params::Params::parse(data) {
        let _ = p.check_no_repeats();
        let _ = p.get("grant_type");
        let _ = crate::params::Params::parse(p.encode().as_bytes());
    }
}

/// Compact JWS parsing and claim extraction.
pub fn fuzz_jws(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(u) = crate::jose::jws::decode(s) {
            let _ = crate::jose::jwt::parse_claims(u.payload_unverified());
            let _ = u.verify_hmac(&[crate::jose::Algorithm::HS256], b"fuzz-key");
        }
    }
}
