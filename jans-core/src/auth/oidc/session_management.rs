//! OpenID Connect Session Management 1.0: `session_state` in authorization responses and
//! the browser-state value (`opbs` cookie) the OP's check-session iframe compares it with.
//!
//! `session_state = base64url(SHA-256(client_id " " origin " " opbs " " salt)) "." salt`
//! (§3); the iframe at [`CHECK_SESSION_PATH`] recomputes it from the `opbs` cookie and
//! answers `changed` / `unchanged` to the RP's postMessage (§3.1).

use sha2::{Digest, Sha256};

/// Janssen's check-session iframe path.
pub use crate::auth::paths::CHECK_SESSION_PATH;

/// §3.1: the OP iframe's script. It answers an RP's `postMessage("client_id session_state")`
/// by recomputing the state from the `opbs` cookie.
pub const CHECK_SESSION_SCRIPT: &str = r#"window.addEventListener("message", async function (e) {
  try {
    var parts = String(e.data).split(" "), state = parts[1].split(".");
    var opbs = (document.cookie.split("; ").find(function (c) { return c.indexOf("opbs=") === 0; }) || "opbs=").slice(5);
    var data = new TextEncoder().encode(parts[0] + " " + e.origin + " " + opbs + " " + state[1]);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    var b64 = btoa(String.fromCharCode.apply(null, digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    e.source.postMessage(b64 === state[0] ? "unchanged" : "changed", e.origin);
  } catch (err) {
    e.source.postMessage("error", e.origin);
  }
});"#;

/// The check-session iframe page (§3.1): the script above and nothing else. Hosts serve it
/// with a CSP that allows exactly that script and lets any relying party frame the page.
pub fn check_session_html() -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>check session</title></head>\
         <body><script>{CHECK_SESSION_SCRIPT}</script></body></html>"
    )
}

/// Name of the browser-state cookie; readable by the iframe's script, so not HttpOnly.
pub const OPBS_COOKIE: &str = "opbs";

/// The origin (scheme, host, port) of a URL, as a browser reports it in postMessage.
pub fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let origin = u.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// §3: the `session_state` value for a client at `origin`.
pub fn session_state(client_id: &str, origin: &str, opbs: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{client_id} {origin} {opbs} {salt}").as_bytes());
    format!("{}.{salt}", crate::b64::encode(&digest))
}

/// `Set-Cookie` for the browser state; `None` clears it.
pub fn opbs_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!("{OPBS_COOKIE}={v}; Path=/; SameSite=Lax{secure}"),
        None => format!("{OPBS_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0{secure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_states() {
        assert_eq!(
            origin_of("https://rp.example.com/cb?x=1").as_deref(),
            Some("https://rp.example.com")
        );
        assert_eq!(
            origin_of("http://localhost:9000/cb").as_deref(),
            Some("http://localhost:9000")
        );
        assert_eq!(origin_of("com.example.app:/cb"), None);
        let a = session_state("c1", "https://rp.example.com", "b1", "s1");
        assert!(a.ends_with(".s1"));
        assert_ne!(
            a,
            session_state("c1", "https://rp.example.com", "b2", "s1"),
            "browser state changes it"
        );
        assert_ne!(a, session_state("c2", "https://rp.example.com", "b1", "s1"));
    }
}
