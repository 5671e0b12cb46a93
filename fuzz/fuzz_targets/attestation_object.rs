//! WebAuthn: the attestation object must never panic (issue 12 item 11).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_attestation_object(data));
