//! Forwarded client-certificate headers, X.509 client certificates and the names clients
//! register for mutual TLS (RFC 8705) must never panic (issue 16 item 6).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| jans_core::internal::fuzz_client_certificate(data));
