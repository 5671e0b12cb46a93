//! The C ABI's request documents (`jans_handle`) must never panic or crash.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans::fuzz_handle(data));
