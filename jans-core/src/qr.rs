//! QR codes as inline SVG, drawn here (the `qrcode` crate encodes; no image service, no
//! script): what Casa shows for an authenticator app to scan (`otpauth://` key URIs).
//! Error correction level M (ISO/IEC 18004 §6.5.1: 15 % of the code may be lost), a quiet
//! zone of four modules (§6.3.8), dark modules in the text colour so the page's contrast
//! holds, and a `<title>` for screen readers.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of quiet zone around the code.
const QUIET: usize = 4;

/// Why text cannot be drawn as a QR code (longer than a version 40 code holds).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the text does not fit in a QR code")]
pub struct TooLong;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` as a QR code in an `<svg>` element labelled `title`, `size` CSS pixels square.
pub fn svg(text: &str, title: &str, size: u32) -> Result<String, TooLong> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| TooLong)?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let side = width + 2 * QUIET;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"qr-title\" \
         width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><title id=\"qr-title\">{}</title>\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        escape(title)
    ))
}

/// The modules of `text`'s QR code (dark is `true`), row by row, without the quiet zone:
/// what [`svg`] draws.
pub fn modules(text: &str) -> Result<Vec<Vec<bool>>, TooLong> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| TooLong)?;
    let width = code.width();
    Ok(code
        .to_colors()
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == Color::Dark).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_draws_its_modules_in_a_labelled_svg() {
        let uri = "otpauth://totp/Jans%20Casa:alice?secret=MZXW6YTBOI&issuer=Jans%20Casa&algorithm=SHA1&digits=6&period=30";
        let m = modules(uri).unwrap();
        let width = m.len();
        // 103 bytes: more than version 5 holds at level M (84), so version 6, 41 modules
        // (ISO/IEC 18004 Table 7: 106 bytes).
        assert_eq!(uri.len(), 103);
        assert_eq!(width, 41);
        assert!(m.iter().all(|row| row.len() == width));
        // The three finder patterns (§6.3.3): dark 7×7 rings at the corners.
        for (r, c) in [(0, 0), (0, width - 7), (width - 7, 0)] {
            for i in 0..7 {
                assert!(m[r][c + i] && m[r + 6][c + i] && m[r + i][c] && m[r + i][c + 6]);
            }
            assert!(!m[r + 1][c + 1] && m[r + 3][c + 3]);
        }
        let s = svg(uri, "Scan with your <app>", 200).unwrap();
        assert!(s.starts_with("<svg ") && s.ends_with("</svg>"));
        assert!(s.contains("viewBox=\"0 0 49 49\""));
        assert!(s.contains("<title id=\"qr-title\">Scan with your &lt;app&gt;</title>"));
        let dark = m.iter().flatten().filter(|d| **d).count();
        assert_eq!(s.matches("h1v1h-1z").count(), dark);
        assert!(!s.contains("otpauth"), "the secret is only in the modules");
    }

    /// An independent decoder (rqrr) reads the text back from the drawn code, rasterized at
    /// 4 pixels per module with its quiet zone.
    #[test]
    fn another_decoder_reads_the_text_back() {
        let uri = "otpauth://totp/Jans%20Casa:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Jans%20Casa&algorithm=SHA1&digits=6&period=30";
        let m = modules(uri).unwrap();
        let side = (m.len() + 2 * QUIET) * 4;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = ((x / 4).checked_sub(QUIET), (y / 4).checked_sub(QUIET));
            let dark = match (mx, my) {
                (Some(mx), Some(my)) => m.get(my).and_then(|r| r.get(mx)).copied().unwrap_or(false),
                _ => false,
            };
            if dark { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }

    #[test]
    fn text_too_long_for_any_version_is_refused() {
        assert_eq!(svg(&"x".repeat(4000), "t", 100), Err(TooLong));
    }
}
