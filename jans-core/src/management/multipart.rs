//! `multipart/form-data` bodies (RFC 7578, over RFC 2046 §5.1): what the config API's
//! uploads send (the SAML plugin's trust relationship with its SP metadata file). Bounded
//! and strict: the boundary from the `Content-Type` (1 to 70 characters, §5.1.1's
//! `bchars`), CRLF line ends, at most a few parts, each with a
//! `Content-Disposition: form-data; name=".."` and at most a few header lines; the body
//! itself is bounded by the caller (the host's body limit). Parsing never panics: what
//! does not fit is a [`MultipartError`], which the routes answer with a 400.

/// Most parts read from one body.
pub const MAX_PARTS: usize = 8;
/// Most header lines of one part.
const MAX_HEADER_LINES: usize = 8;
/// Longest header line of a part, in bytes.
const MAX_HEADER_LINE: usize = 2048;
/// Longest boundary (RFC 2046 §5.1.1).
const MAX_BOUNDARY: usize = 70;

/// Why a body is not the `multipart/form-data` it claims to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed multipart/form-data: {0}")]
pub struct MultipartError(pub String);

fn bad(why: impl Into<String>) -> MultipartError {
    MultipartError(why.into())
}

/// One part of a form (RFC 7578 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    /// Its `name` (the form field).
    pub name: String,
    /// Its `filename`, when it is a file.
    pub filename: Option<String>,
    /// Its `Content-Type`, when sent (RFC 7578 §4.4: `text/plain` otherwise).
    pub content_type: Option<String>,
    /// Its content.
    pub body: &'a [u8],
}

/// A parsed form: its parts in the order sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form<'a> {
    /// The parts.
    pub parts: Vec<Part<'a>>,
}

impl<'a> Form<'a> {
    /// The part named `name`, if sent; a field sent twice is refused.
    pub fn get(&self, name: &str) -> Result<Option<&Part<'a>>, MultipartError> {
        let mut found = self.parts.iter().filter(|p| p.name == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(bad(format!("the part {name} is sent more than once")));
        }
        Ok(first)
    }
}

/// Whether `content_type` names `multipart/form-data`.
pub fn is_form_data(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// RFC 2046 §5.1.1 `bchars`.
fn is_bchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c)
}

/// The boundary of a `multipart/form-data` `content_type`.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    if !is_form_data(Some(content_type)) {
        return Err(bad("the media type is not multipart/form-data"));
    }
    let (_, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    let found = parameters(params)?
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v)
        .ok_or_else(|| bad("the content type names no boundary"))?;
    let n = found.chars().count();
    if n == 0 || n > MAX_BOUNDARY || !found.chars().all(is_bchar) || found.ends_with(' ') {
        return Err(bad("the boundary is not 1 to 70 of RFC 2046's characters"));
    }
    Ok(found)
}

/// `; name=value` parameters (values a token or a quoted string, RFC 9110 §5.6.6), in order.
fn parameters(s: &str) -> Result<Vec<(String, String)>, MultipartError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        if out.len() >= 16 {
            return Err(bad("too many parameters"));
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';') {
            name.push(c);
        }
        if chars.next() != Some('=') {
            return Err(bad(format!("the parameter {:?} has no value", name.trim())));
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => return Err(bad("an unterminated quoted string")),
                    },
                    Some(c) => value.push(c),
                    None => return Err(bad("an unterminated quoted string")),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|c| *c != ';') {
                return Err(bad("text after a quoted string"));
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        out.push((name.trim().to_owned(), value));
    }
}

/// Where `needle` (not empty) next occurs in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The line of `body` starting at `at` (without its CRLF) and where the next one starts.
fn line(body: &[u8], at: usize) -> Result<(&[u8], usize), MultipartError> {
    let end = find(body, b"\r\n", at).ok_or_else(|| bad("a part's headers do not end"))?;
    let text = body
        .get(at..end)
        .ok_or_else(|| bad("a part's headers do not end"))?;
    if text.len() > MAX_HEADER_LINE {
        return Err(bad("a header line is too long"));
    }
    Ok((text, end + 2))
}

/// Parse `body`, sent with `content_type`, into at most `max_parts` parts (RFC 7578 §4):
/// a preamble before the first delimiter and an epilogue after the last are ignored.
pub fn parse<'a>(
    content_type: &str,
    body: &'a [u8],
    max_parts: usize,
) -> Result<Form<'a>, MultipartError> {
    let boundary = boundary(content_type)?;
    let first = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let mut at = if body.starts_with(first.as_bytes()) {
        first.len()
    } else {
        find(body, delimiter.as_bytes(), 0).ok_or_else(|| bad("no boundary in the body"))?
            + delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..).unwrap_or_default();
        if rest.starts_with(b"--") {
            // The close delimiter; the epilogue is ignored.
            return Ok(Form { parts });
        }
        // Transport padding (RFC 2046 §5.1.1), then CRLF.
        let padding = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        at += padding;
        if !body.get(at..).unwrap_or_default().starts_with(b"\r\n") {
            return Err(bad("a boundary is not followed by CRLF"));
        }
        at += 2;
        if parts.len() >= max_parts {
            return Err(bad(format!("more than {max_parts} parts")));
        }
        let mut disposition = None;
        let mut content_type = None;
        for i in 0.. {
            let (text, next) = line(body, at)?;
            at = next;
            if text.is_empty() {
                break;
            }
            if i >= MAX_HEADER_LINES {
                return Err(bad("a part has too many header lines"));
            }
            let text = std::str::from_utf8(text).map_err(|_| bad("a header is not UTF-8"))?;
            if text.starts_with([' ', '\t']) {
                return Err(bad("a folded header line"));
            }
            let (name, value) = text
                .split_once(':')
                .ok_or_else(|| bad("a header line without a colon"))?;
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-disposition") {
                if disposition.replace(value.trim().to_owned()).is_some() {
                    return Err(bad("a part with two Content-Disposition headers"));
                }
            } else if name.eq_ignore_ascii_case("content-type")
                && content_type.replace(value.trim().to_owned()).is_some()
            {
                return Err(bad("a part with two Content-Type headers"));
            }
        }
        let disposition = disposition.ok_or_else(|| bad("a part without Content-Disposition"))?;
        let (kind, params) = disposition
            .split_once(';')
            .unwrap_or((disposition.as_str(), ""));
        if !kind.trim().eq_ignore_ascii_case("form-data") {
            return Err(bad("a part whose Content-Disposition is not form-data"));
        }
        let params = parameters(params)?;
        let param = |n: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let name = param("name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad("a part without a name"))?;
        let end = find(body, delimiter.as_bytes(), at)
            .ok_or_else(|| bad(format!("the part {name} does not end with a boundary")))?;
        parts.push(Part {
            name,
            filename: param("filename"),
            content_type,
            body: body.get(at..end).unwrap_or_default(),
        });
        at = end + delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, Option<&str>, &str)]) -> Vec<u8> {
        let mut b = String::new();
        for (name, file, content) in parts {
            b.push_str("--XyZ\r\n");
            match file {
                Some(f) => b.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/xml\r\n"
                )),
                None => b.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n"
                )),
            }
            b.push_str("\r\n");
            b.push_str(content);
            b.push_str("\r\n");
        }
        b.push_str("--XyZ--\r\n");
        b.into_bytes()
    }

    #[test]
    fn reads_fields_and_files() {
        let b = body(&[
            ("trustRelationship", None, r#"{"name":"a"}"#),
            ("metaDataFile", Some("sp.xml"), "<x>\r\n--XyY -XyZ</x>"),
        ]);
        let form = parse(CT, &b, MAX_PARTS).unwrap();
        assert_eq!(form.parts.len(), 2);
        let json = form.get("trustRelationship").unwrap().unwrap();
        assert_eq!(json.body, br#"{"name":"a"}"#);
        assert_eq!(json.filename, None);
        let file = form.get("metaDataFile").unwrap().unwrap();
        assert_eq!(file.filename.as_deref(), Some("sp.xml"));
        assert_eq!(file.content_type.as_deref(), Some("application/xml"));
        assert_eq!(file.body, b"<x>\r\n--XyY -XyZ</x>");
        assert_eq!(form.get("other").unwrap(), None);
    }

    #[test]
    fn preamble_epilogue_padding_and_quoted_boundaries() {
        let b = b"preamble\r\n--a b'c  \r\ncontent-disposition: FORM-DATA; name=\"f\\\"x\"\r\n\r\n\
                  v\r\n--a b'c--\r\nepilogue";
        let form = parse("Multipart/Form-Data ; boundary=\"a b'c\"", b, 4).unwrap();
        let p = form.parts.first().unwrap();
        assert_eq!((p.name.as_str(), p.body), ("f\"x", &b"v"[..]));
        // An empty part, and no parts at all.
        let form = parse(
            CT,
            b"--XyZ\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--XyZ--",
            4,
        )
        .unwrap();
        assert_eq!(form.parts.first().unwrap().body, b"");
        assert!(parse(CT, b"--XyZ--", 4).unwrap().parts.is_empty());
    }

    #[test]
    fn boundaries_are_checked() {
        for ct in [
            "application/json",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"unterminated",
            "multipart/form-data; boundary=\"trailing \"",
            "multipart/form-data; boundary=semi<colon>",
            "multipart/mixed; boundary=XyZ",
        ] {
            assert!(boundary(ct).is_err(), "{ct}");
        }
        let long = format!("multipart/form-data; boundary={}", "b".repeat(71));
        assert!(boundary(&long).is_err());
        let ok = format!(
            "multipart/form-data; charset=utf-8; boundary={}",
            "b".repeat(70)
        );
        assert_eq!(boundary(&ok).unwrap().len(), 70);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let cases: [&[u8]; 12] = [
            b"",
            b"no boundary here",
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nnever closed",
            b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n",
            b"--XyZ\r\n\r\nno disposition\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nno colon\r\n\r\nv\r\n--XyZ--",
            b"--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--XyZ--",
            b"--XyZjunk\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--",
            // LF line ends.
            b"--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--",
        ];
        for c in cases {
            assert!(
                parse(CT, c, MAX_PARTS).is_err(),
                "{}",
                String::from_utf8_lossy(c)
            );
        }
        let twice = body(&[("a", None, "1"), ("a", None, "2")]);
        assert!(parse(CT, &twice, 4).unwrap().get("a").is_err());
        let many = body(&[("a", None, ""), ("b", None, ""), ("c", None, "")]);
        assert!(parse(CT, &many, 2).is_err());
        let mut headers = String::from("--XyZ\r\nContent-Disposition: form-data; name=a\r\n");
        headers.push_str(&"X-A: b\r\n".repeat(MAX_HEADER_LINES));
        headers.push_str("\r\nv\r\n--XyZ--");
        assert!(parse(CT, headers.as_bytes(), 4).is_err());
        let long = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: {}\r\n\r\nv\r\n--XyZ--",
            "y".repeat(MAX_HEADER_LINE)
        );
        assert!(parse(CT, long.as_bytes(), 4).is_err());
    }

    #[test]
    fn no_prefix_or_byte_flip_panics() {
        let b = body(&[
            ("trustRelationship", None, r#"{"name":"é"}"#),
            ("metaDataFile", Some("sp.xml"), "<x/>"),
        ]);
        for n in 0..=b.len() {
            let cut = b.get(..n).unwrap();
            let parsed = parse(CT, cut, MAX_PARTS);
            // Only a body reaching the close delimiter parses.
            assert_eq!(parsed.is_ok(), n >= b.len() - 2, "{n}");
        }
        for i in 0..b.len() {
            for flip in [0x00, 0x0a, 0x0d, b'-', 0xff] {
                let mut m = b.clone();
                if let Some(x) = m.get_mut(i) {
                    *x = flip;
                }
                let _ = parse(CT, &m, MAX_PARTS);
            }
        }
    }
}
