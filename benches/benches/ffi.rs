//! The C ABI's cost over calling the engine in Rust (issue targets: `jans_token_verify` of
//! an ES256 access token within 1.3x of in-process verification; `jans_handle` adds under
//! 5 µs to a client_credentials request). The `c_abi` cases call the exported
//! `extern "C"` functions with C strings and free every result buffer, as a C program does.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

use std::ffi::{CStr, CString};
use std::hint::black_box;
use std::ptr::null_mut;

use criterion::{criterion_group, criterion_main};
use jans::{
    JansBuf, JansStatus, jans_buf_free, jans_client_register, jans_engine_new, jans_handle,
    jans_token_verify,
};
use jans_benches::{Fixture, block_on, criterion, expect_json, now};
use jans_core::Config;
use jans_core::crypto::aws_lc::AwsLcProvider;
use jans_core::jose::Algorithm;
use std::time::Instant;

const SHORT_LIVED: &CStr = c"{\"defaultSignatureAlgorithm\":\"ES256\",\"keyAlgsAllowedForGeneration\":[\"ES256\"],\"accessTokenLifetime\":1,\"cleanServiceInterval\":1}";
const CONFIG: &CStr =
    c"{\"defaultSignatureAlgorithm\":\"ES256\",\"keyAlgsAllowedForGeneration\":[\"ES256\"]}";

fn empty() -> JansBuf {
    JansBuf {
        data: null_mut(),
        len: 0,
    }
}

fn take(buf: &mut JansBuf) -> serde_json::Value {
    // SAFETY: a filled buffer holds `len` bytes.
    let v =
        serde_json::from_slice(unsafe { std::slice::from_raw_parts(buf.data, buf.len) }).unwrap();
    unsafe { jans_buf_free(buf) };
    v
}

/// An engine through the ABI and a client of it: (engine id, client id, Basic header).
fn abi_engine(config: &CStr, jwt: bool) -> (u64, String, String) {
    let mut id = 0;
    assert_eq!(
        unsafe { jans_engine_new(config.as_ptr(), std::ptr::null(), &mut id) },
        JansStatus::Ok
    );
    let metadata = CString::new(
        serde_json::json!({
            "grant_types": ["client_credentials"],
            "scope": "read write",
            "access_token_as_jwt": jwt,
            "access_token_signing_alg": "ES256",
        })
        .to_string(),
    )
    .unwrap();
    let mut out = empty();
    assert_eq!(
        unsafe { jans_client_register(id, metadata.as_ptr(), &mut out) },
        JansStatus::Ok
    );
    let client = take(&mut out);
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{client_id}:{}",
        client["client_secret"].as_str().unwrap()
    ));
    (id, client_id, format!("Basic {basic}"))
}

fn token_request_json(authorization: &str) -> CString {
    CString::new(
        serde_json::json!({
            "method": "POST",
            "path": "/jans-auth/restv1/token",
            "headers": {
                "authorization": authorization,
                "content-type": "application/x-www-form-urlencoded",
            },
            "body": "grant_type=client_credentials",
        })
        .to_string(),
    )
    .unwrap()
}

fn verify(c: &mut criterion::Criterion) {
    let mut g = c.benchmark_group("ffi/verify_es256_access_token");
    let fixture = Fixture::new(std::sync::Arc::new(AwsLcProvider), Algorithm::ES256, true);
    let token = fixture.issue();
    g.bench_function("in_process", |b| {
        b.iter(|| {
            let v = fixture
                .engine
                .verify_token(black_box(&token), Some(&fixture.client_id), now())
                .unwrap();
            black_box(v);
        })
    });
    let (id, client_id, authorization) = abi_engine(CONFIG, true);
    let req = token_request_json(&authorization);
    let mut out = empty();
    assert_eq!(
        unsafe { jans_handle(id, req.as_ptr(), &mut out) },
        JansStatus::Ok
    );
    let resp = take(&mut out);
    let body: serde_json::Value = serde_json::from_str(resp["body"].as_str().unwrap()).unwrap();
    let token = CString::new(body["access_token"].as_str().unwrap()).unwrap();
    let aud = CString::new(client_id).unwrap();
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut out = empty();
            let s =
                unsafe { jans_token_verify(id, black_box(token.as_ptr()), aud.as_ptr(), &mut out) };
            assert_eq!(s, JansStatus::Ok);
            unsafe { jans_buf_free(&mut out) };
        })
    });
    g.finish();
}

/// Access tokens live one second in both engines, and expired ones are swept (in process
/// between samples; through the ABI by the engine's own background thread every second),
/// so the grant store stays the same size instead of growing by millions of entries: its
/// rehashing would otherwise swamp the few microseconds measured here.
fn handle(c: &mut criterion::Criterion) {
    let mut g = c.benchmark_group("ffi/handle_client_credentials");
    let config = Config {
        access_token_lifetime: 1,
        clean_service_interval: 1,
        ..Config::default()
    };
    let fixture = Fixture::with(
        config,
        std::sync::Arc::new(AwsLcProvider),
        Algorithm::ES256,
        false,
    );
    // Both arms draw from the same pooled OS randomness (jans_http::OsRandom); the ABI arm
    // builds its request and context inside the timed call, so this one does too.
    g.bench_function("in_process", |b| {
        b.iter_custom(|iters| {
            block_on(fixture.engine.sweep(now() + 2)).unwrap();
            let start = Instant::now();
            for _ in 0..iters {
                let r = fixture.handle(fixture.token_request());
                black_box(expect_json(&r));
            }
            start.elapsed()
        })
    });
    let (id, _, authorization) = abi_engine(SHORT_LIVED, false);
    let req = token_request_json(&authorization);
    g.bench_function("c_abi", |b| {
        b.iter(|| {
            let mut out = empty();
            let s = unsafe { jans_handle(id, black_box(req.as_ptr()), &mut out) };
            assert_eq!(s, JansStatus::Ok);
            unsafe { jans_buf_free(&mut out) };
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = verify, handle
}
criterion_main!(benches);
