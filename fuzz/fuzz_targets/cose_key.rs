//! WebAuthn: the cose key must never panic (issue 12 item 11).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_cose_key(data));
