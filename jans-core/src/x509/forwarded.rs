//! Client certificates as a TLS-terminating proxy forwards them in a header, in the forms
//! Janssen's deployments meet (RFC 8705 §2 leaves the transport to the deployment):
//!
//! - `X-Forwarded-Client-Cert` (Envoy's XFCC): `;`-separated `key=value` pairs, `Cert=` the
//!   URL-encoded PEM, `Chain=` the URL-encoded PEM chain; one element per proxy, separated
//!   by `,`, the nearest proxy's last; or plainly a URL-encoded PEM (nginx's
//!   `$ssl_client_escaped_cert`);
//! - `X-Forwarded-Tls-Client-Cert` (Traefik): the certificates' base64 DER, URL-encoded,
//!   separated by `,`; or a PEM;
//! - `X-ClientCert` (Janssen's Apache, `%{SSL_CLIENT_CERT}s`): a PEM, its line breaks
//!   possibly turned into spaces.
//!
//! Only the host knows whether the peer is a proxy it trusts; it reads these headers only
//! then, and never when the connection itself carried a certificate.

use base64::Engine as _;

/// The headers read, in order of preference.
pub const HEADERS: [&str; 3] = [
    "x-forwarded-client-cert",
    "x-forwarded-tls-client-cert",
    "x-clientcert",
];

/// Longest header value read (a certificate chain of [`super::MAX_CHAIN`] large
/// certificates, encoded).
const MAX_HEADER_LEN: usize = 3 * super::MAX_CHAIN * super::MAX_CERT_LEN;

/// RFC 3986 §2.1 percent-decoding (`+` stays `+`: base64 uses it).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The DER certificates in `text`: PEM blocks, or `,`-separated base64 DER.
fn certificates_in(text: &str) -> Option<Vec<Vec<u8>>> {
    let text = if text.contains('%') {
        percent_decode(text)?
    } else {
        text.to_owned()
    };
    if text.contains("-----BEGIN") {
        return super::pem_blocks(text.as_bytes(), "CERTIFICATE").filter(|b| !b.is_empty());
    }
    let certs = text
        .split(',')
        .map(|part| {
            let b64: String = part.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&b64))
                .ok()
        })
        .collect::<Option<Vec<_>>>()?;
    (!certs.is_empty()).then_some(certs)
}

/// Split `s` at `sep` outside double quotes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(s.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    parts.push(s.get(start..).unwrap_or_default());
    parts
}

/// Envoy's XFCC: the nearest proxy's element (the last), its `Cert` then its `Chain`.
fn xfcc(value: &str) -> Option<Vec<Vec<u8>>> {
    let element = split_outside_quotes(value, ',').pop()?;
    let mut cert = None;
    let mut chain = None;
    for pair in split_outside_quotes(element, ';') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"');
        match k.trim().to_ascii_lowercase().as_str() {
            "cert" => cert = Some(v),
            "chain" => chain = Some(v),
            _ => {}
        }
    }
    let mut certs = certificates_in(cert?)?;
    if let Some(chain) = chain.and_then(certificates_in) {
        // A chain that repeats the leaf first is taken without it.
        let skip = usize::from(chain.first() == certs.first());
        certs.extend(chain.into_iter().skip(skip));
    }
    Some(certs)
}

/// A forwarded client certificate (DER) and the intermediates after it.
pub type Forwarded = (Vec<u8>, Vec<Vec<u8>>);

/// The client certificate (DER) and the intermediates after it, from the first of
/// [`HEADERS`] present in `headers` (names compared without regard to case). `None` when
/// none is present; `Err` when one is present but does not hold a certificate this reads
/// (the host answers 400 rather than treat the request as one without a certificate).
pub fn from_headers(headers: &[(&str, &[u8])]) -> Result<Option<Forwarded>, &'static str> {
    for name in HEADERS {
        let Some((_, value)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            continue;
        };
        if value.len() > MAX_HEADER_LEN {
            return Err("the forwarded client certificate is too large");
        }
        let text = std::str::from_utf8(value)
            .map_err(|_| "the forwarded client certificate is not text")?
            .trim();
        let certs = if name == "x-forwarded-client-cert" && text.contains("Cert=") {
            xfcc(text)
        } else {
            certificates_in(text)
        }
        .filter(|c| c.len() <= super::MAX_CHAIN + 1)
        .ok_or("the forwarded client certificate does not read")?;
        let mut certs = certs.into_iter();
        let Some(leaf) = certs.next() else {
            return Err("the forwarded client certificate does not read");
        };
        return Ok(Some((leaf, certs.collect())));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"\x30\x03\x02\x01\x01";
    const B: &[u8] = b"\x30\x03\x02\x01\x02";

    fn pem(der: &[u8]) -> String {
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    }

    fn escape(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    fn read(name: &str, value: &str) -> Option<Forwarded> {
        from_headers(&[(name, value.as_bytes())]).unwrap()
    }

    #[test]
    fn every_form_reads() {
        let both = format!("{}{}", pem(A), pem(B));
        // Envoy, the nearest proxy last, with a chain that repeats the leaf.
        let xfcc = format!(
            "By=spiffe://a;Cert=\"{}\",By=spiffe://b;Hash=00;Cert=\"{}\";Chain=\"{}\";Subject=\"CN=x,O=y\"",
            escape(&pem(B)),
            escape(&pem(A)),
            escape(&both)
        );
        assert_eq!(
            read("X-Forwarded-Client-Cert", &xfcc),
            Some((A.to_vec(), vec![B.to_vec()]))
        );
        // nginx's escaped PEM.
        assert_eq!(
            read("x-forwarded-client-cert", &escape(&pem(A))),
            Some((A.to_vec(), vec![]))
        );
        // Traefik: base64 DER, escaped, comma-separated.
        let b64 = |d| base64::engine::general_purpose::STANDARD.encode(d);
        let traefik = escape(&format!("{},{}", b64(A), b64(B)));
        assert_eq!(
            read("x-forwarded-tls-client-cert", &traefik),
            Some((A.to_vec(), vec![B.to_vec()]))
        );
        // Apache: a PEM with its line breaks as spaces.
        assert_eq!(
            read("X-ClientCert", &pem(A).replace('\n', " ")),
            Some((A.to_vec(), vec![]))
        );
        assert_eq!(read("x-other", &pem(A)), None);
    }

    #[test]
    fn a_header_that_does_not_read_is_an_error() {
        for (name, value) in [
            ("x-clientcert", "not base64 !"),
            ("x-clientcert", "%zz"),
            ("x-forwarded-client-cert", "By=x;Cert=\"%%\""),
            (
                "x-clientcert",
                "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
            ),
        ] {
            assert!(
                from_headers(&[(name, value.as_bytes())]).is_err(),
                "{name}: {value}"
            );
        }
        let huge = "A".repeat(MAX_HEADER_LEN + 1);
        assert!(from_headers(&[("x-clientcert", huge.as_bytes())]).is_err());
    }
}
