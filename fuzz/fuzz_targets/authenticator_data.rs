//! WebAuthn authenticator data and CBOR decoding must never panic (issue 12 item 11).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_authenticator_data(data));
