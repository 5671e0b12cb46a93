//! Compact JWS decoding, claim parsing and HMAC verification must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_jws(data));
