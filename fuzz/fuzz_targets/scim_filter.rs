//! SCIM filters and PATCH paths must never panic, and a parsed filter prints back to itself
//! (issue 13 item 11).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_scim_filter(data));
