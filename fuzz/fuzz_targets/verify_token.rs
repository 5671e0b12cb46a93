//! Local verification of our own tokens (`Engine::verify_token`, behind `jans_token_verify`
//! and Go's `VerifyToken`) must never panic, whatever the header, payload or signature.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_verify(data));
