//! Calls of the C ABI the tests share: the last error, a result buffer read and freed, an
//! engine, `jans_handle`, `jans_client_register`, `jans_user_add` and the interaction calls.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unsafe_code
)]

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

use jans::*;
use serde_json::Value;

pub fn last_error() -> String {
    // SAFETY: jans_last_error never returns NULL and the string lives until the next call.
    unsafe { CStr::from_ptr(jans_last_error()) }
        .to_string_lossy()
        .into_owned()
}

pub fn take(buf: &mut JansBuf) -> Value {
    assert!(!buf.data.is_null());
    // SAFETY: a filled buffer holds `len` bytes.
    let bytes = unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec();
    // The trailing NUL is there and not counted.
    // SAFETY: the library allocates len + 1 bytes.
    assert_eq!(unsafe { *buf.data.add(buf.len) }, 0);
    unsafe { jans_buf_free(buf) };
    assert!(buf.data.is_null() && buf.len == 0);
    serde_json::from_slice(&bytes).unwrap()
}

pub fn new_engine(config: &str, dir: Option<&std::path::Path>) -> u64 {
    let c = CString::new(config).unwrap();
    let d = dir.map(|d| CString::new(d.to_str().unwrap()).unwrap());
    let mut id = 0;
    let s = unsafe {
        jans_engine_new(
            c.as_ptr(),
            d.as_ref().map_or(null(), |d| d.as_ptr()),
            &mut id,
        )
    };
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    assert_ne!(id, 0);
    id
}

/// `jans_handle` with a request document: the status and, on success, the response.
pub fn handle(id: u64, request: &Value) -> (JansStatus, Option<Value>) {
    handle_raw(id, &request.to_string())
}

pub fn handle_raw(id: u64, request: &str) -> (JansStatus, Option<Value>) {
    let r = CString::new(request).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { jans_handle(id, r.as_ptr(), &mut out) };
    if s == JansStatus::Ok {
        (s, Some(take(&mut out)))
    } else {
        assert!(out.data.is_null(), "a failed call leaves nothing to free");
        (s, None)
    }
}

pub fn body_json(resp: &Value) -> Value {
    serde_json::from_str(resp["body"].as_str().unwrap()).unwrap()
}

pub fn register(id: u64, metadata: &Value) -> Value {
    let m = CString::new(metadata.to_string()).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { jans_client_register(id, m.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    take(&mut out)
}

/// `jans_user_add` of `user` with `password`, which must succeed; the person added.
pub fn add_user(id: u64, user: &Value, password: &str) -> Value {
    let (user, password) = (
        CString::new(user.to_string()).unwrap(),
        CString::new(password).unwrap(),
    );
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { jans_user_add(id, user.as_ptr(), password.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    take(&mut out)
}

/// An interaction call (`jans_interaction_get` or `_submit`) with a request document.
pub fn interaction_call(
    f: unsafe extern "C" fn(u64, *const std::ffi::c_char, *mut JansBuf) -> JansStatus,
    id: u64,
    doc: &Value,
) -> (JansStatus, Option<Value>) {
    let r = CString::new(doc.to_string()).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { f(id, r.as_ptr(), &mut out) };
    if s == JansStatus::Ok {
        (s, Some(take(&mut out)))
    } else {
        assert!(out.data.is_null());
        (s, None)
    }
}
