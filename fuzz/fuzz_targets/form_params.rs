//! `application/x-www-form-urlencoded` parsing and the duplicate check must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_params(data));
