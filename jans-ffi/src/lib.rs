//! libjans: the C ABI over jans-core. This crate builds the `cdylib` and `staticlib`; the
//! engine API (`jans_engine_new`, `jans_handle`, `jans_token_verify`, ...) arrives with the
//! C ABI issue. For now it exports the library version so linking can be checked.

use std::ffi::{CStr, c_char};

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library version as a NUL-terminated string with static lifetime; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn jans_version() -> *const c_char {
    VERSION.as_ptr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: jans_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(super::jans_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
