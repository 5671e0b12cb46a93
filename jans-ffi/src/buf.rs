//! `JansBuf`: bytes the library allocates and hands to the caller, freed by `jans_buf_free`.
//! Reading C strings with a bound.

use std::ffi::c_char;

use crate::status::{Failure, JansStatus};

/// Bytes owned by the library: `len` bytes at `data`, followed by a NUL that `len` does not
/// count (so `data` is also a C string when the bytes hold no NUL; JSON never does). An
/// empty buffer is `{NULL, 0}`.
#[repr(C)]
#[derive(Debug)]
pub struct JansBuf {
    /// The bytes, or NULL.
    pub data: *mut u8,
    /// How many bytes, without the trailing NUL.
    pub len: usize,
}

impl JansBuf {
    pub(crate) const EMPTY: JansBuf = JansBuf {
        data: std::ptr::null_mut(),
        len: 0,
    };

    /// Hand `bytes` to the caller.
    pub(crate) fn from_vec(mut bytes: Vec<u8>) -> JansBuf {
        let len = bytes.len();
        bytes.push(0);
        let boxed: Box<[u8]> = bytes.into_boxed_slice();
        JansBuf {
            data: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }

    /// Take the allocation back and free it; leaves `{NULL, 0}`.
    ///
    /// # Safety
    /// `self` must be `{NULL, 0}` or exactly as [`JansBuf::from_vec`] made it.
    pub(crate) unsafe fn release(&mut self) {
        if !self.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(self.data, self.len + 1);
            // SAFETY: by the contract, `data` came from `Box<[u8]>` of `len + 1` bytes.
            drop(unsafe { Box::from_raw(slice) });
        }
        *self = JansBuf::EMPTY;
    }
}

/// Write `bytes` to the caller's `out`.
///
/// # Safety
/// `out` must be a valid, writable `JansBuf` pointer (checked non-NULL by the caller).
pub(crate) unsafe fn give(out: *mut JansBuf, bytes: Vec<u8>) {
    // SAFETY: per the contract.
    unsafe { out.write(JansBuf::from_vec(bytes)) };
}

/// Write `value` as JSON to the caller's `out`.
///
/// # Safety
/// As [`give`].
pub(crate) unsafe fn give_json<T: serde::Serialize + ?Sized>(
    out: *mut JansBuf,
    value: &T,
) -> Result<(), Failure> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| Failure::new(JansStatus::Internal, format!("result: {e}")))?;
    // SAFETY: per the contract.
    unsafe { give(out, bytes) };
    Ok(())
}

/// A required output pointer: set it to `{NULL, 0}` first so that a failed call leaves
/// nothing to free.
///
/// # Safety
/// `out` must be NULL or a valid, writable `JansBuf` pointer.
pub(crate) unsafe fn out_buf(out: *mut JansBuf, what: &str) -> Result<*mut JansBuf, Failure> {
    if out.is_null() {
        return Err(Failure::new(
            JansStatus::NullArgument,
            format!("{what} is NULL"),
        ));
    }
    // SAFETY: non-NULL and, by the contract, valid.
    unsafe { out.write(JansBuf::EMPTY) };
    Ok(out)
}

unsafe extern "C" {
    /// POSIX.1-2008 `strnlen`: the length of `s`, scanning at most `max` bytes.
    fn strnlen(s: *const c_char, max: usize) -> usize;
}

/// Read a NUL-terminated UTF-8 string of at most `max` bytes, scanning no further than
/// `max + 1` bytes for the NUL.
///
/// # Safety
/// `p` must be NULL or point to a readable NUL-terminated string (or at least `max + 1`
/// readable bytes).
pub(crate) unsafe fn read_str<'a>(
    p: *const c_char,
    max: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(Failure::new(
            JansStatus::NullArgument,
            format!("{what} is NULL"),
        ));
    }
    // SAFETY: the contract makes every byte up to the NUL (or `max + 1` bytes) readable;
    // strnlen reads no further.
    let len = unsafe { strnlen(p, max + 1) };
    if len > max {
        return Err(Failure::new(
            JansStatus::TooLarge,
            format!("{what} is longer than {max} bytes"),
        ));
    }
    // SAFETY: `len` bytes before the NUL are readable.
    let slice = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    std::str::from_utf8(slice).map_err(|e| {
        Failure::new(
            JansStatus::InvalidUtf8,
            format!("{what} is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`read_str`].
pub(crate) unsafe fn read_opt_str<'a>(
    p: *const c_char,
    max: usize,
    what: &str,
) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: as the caller's contract.
    unsafe { read_str(p, max, what) }.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_round_trip_and_free_twice_safely() {
        let mut b = JansBuf::from_vec(b"{\"a\":1}".to_vec());
        assert_eq!(b.len, 7);
        // SAFETY: b is a live buffer of 7 bytes plus a NUL.
        let s = unsafe { std::ffi::CStr::from_ptr(b.data.cast()) };
        assert_eq!(s.to_str().unwrap(), "{\"a\":1}");
        // SAFETY: b came from from_vec; then it is EMPTY.
        unsafe { b.release() };
        assert!(b.data.is_null());
        unsafe { b.release() };
        let mut e = JansBuf::from_vec(Vec::new());
        assert_eq!(e.len, 0);
        unsafe { e.release() };
    }

    #[test]
    fn strings_are_bounded_and_checked() {
        let ok = c"hello";
        // SAFETY: C string literals are NUL-terminated.
        assert_eq!(unsafe { read_str(ok.as_ptr(), 5, "x") }.unwrap(), "hello");
        let err = unsafe { read_str(ok.as_ptr(), 4, "x") }.unwrap_err();
        assert_eq!(err.status, JansStatus::TooLarge);
        let bad = b"\xff\xfe\0";
        let err = unsafe { read_str(bad.as_ptr().cast(), 10, "x") }.unwrap_err();
        assert_eq!(err.status, JansStatus::InvalidUtf8);
        let err = unsafe { read_str(std::ptr::null(), 10, "x") }.unwrap_err();
        assert_eq!(err.status, JansStatus::NullArgument);
        assert_eq!(
            unsafe { read_opt_str(std::ptr::null(), 10, "x") }.unwrap(),
            None
        );
    }
}
