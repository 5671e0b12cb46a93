//! Status codes, the thread-local last error, and the guard every export runs inside.

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a `jans_*` call did. Every function but `jans_version`, `jans_last_error` and
/// `jans_buf_free` returns one; anything but `JANS_STATUS_OK` leaves a message in
/// `jans_last_error()`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JansStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 2,
    /// A JSON argument does not parse, or has the wrong shape (the message names the field).
    InvalidJson = 3,
    /// A string argument is longer than its limit (the `JANS_MAX_*` constants).
    TooLarge = 4,
    /// No engine has this id (never created, or already freed).
    UnknownEngine = 5,
    /// An argument parsed but is not acceptable: a configuration value, an HTTP method,
    /// path or header, client metadata (the message starts with the OAuth error code).
    InvalidArgument = 6,
    /// The store failed or cannot be opened (e.g. the data directory is in use).
    Store = 7,
    /// `jans_token_verify`: the token is not a valid, live token of this engine.
    TokenInvalid = 8,
    /// An internal failure (the message says what; nothing was changed).
    Internal = 9,
    /// A Rust panic was caught at the boundary; the engine is still usable.
    Panic = 10,
}

/// A failed call: its status and a human-readable message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: JansStatus,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: JansStatus, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // Interior NULs would truncate the C string; show them as spaces.
    let clean = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = clean);
}

/// The message of the last failed call on this thread, as a C string owned by the library.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// Run an export's body: a `Failure` becomes its status and the thread's last error, a
/// panic becomes `Panic` (never unwinding into C), success clears the last error.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Failure>) -> JansStatus {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    match outcome {
        Ok(Ok(())) => {
            set_last_error("");
            JansStatus::Ok
        }
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".to_owned());
            set_last_error(&format!("internal panic caught at the C boundary: {what}"));
            JansStatus::Panic
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: last_error_ptr points at this thread's live CString.
        unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let s = guard(|| panic!("boom"));
        assert_eq!(s, JansStatus::Panic);
        assert!(last().contains("boom"), "{}", last());
        // The next successful call clears it.
        assert_eq!(guard(|| Ok(())), JansStatus::Ok);
        assert_eq!(last(), "");
    }

    #[test]
    fn failures_keep_their_status_and_nuls_are_harmless() {
        let s = guard(|| Err(Failure::new(JansStatus::InvalidJson, "bad\0json")));
        assert_eq!(s, JansStatus::InvalidJson);
        assert_eq!(last(), "bad json");
    }
}
