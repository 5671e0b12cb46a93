//! FIDO metadata: BLOBs, their payloads, CRLs and statements must never panic (issue 12
//! item 11).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_mds_blob(data));
