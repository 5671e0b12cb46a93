//! `multipart/form-data` (RFC 7578: the config API's SAML metadata upload) must never
//! panic: the first line of the input is the `Content-Type`, the rest the body. Every part
//! read lies inside the body, and a form read is read the same again.
#![no_main]
use jans_core::management::multipart;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &[][..]),
    };
    let Ok(content_type) = std::str::from_utf8(head) else {
        return;
    };
    let _ = multipart::is_form_data(Some(content_type));
    if let Ok(form) = multipart::parse(content_type, body, multipart::MAX_PARTS) {
        assert!(form.parts.len() <= multipart::MAX_PARTS);
        let range = body.as_ptr_range();
        for p in &form.parts {
            let r = p.body.as_ptr_range();
            assert!(p.body.is_empty() || (range.start <= r.start && r.end <= range.end));
            let _ = form.get(&p.name);
        }
        assert_eq!(
            multipart::parse(content_type, body, multipart::MAX_PARTS).ok(),
            Some(form)
        );
    }
});
