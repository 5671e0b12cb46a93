//! The `SessionIndex` an SP is given for a session (Core §2.7.2: it SHOULD NOT let SPs
//! correlate a person's activity). The auth-server's `sid` is the same for every SP and
//! every OIDC client of a browser session, so each SP gets the `sid` sealed for it instead:
//! AES-256-GCM under a key derived from the persistent-NameID key, the SP's relationship
//! id as associated data, the nonce an HMAC of the SP and the `sid` — the same index every
//! time for one SP and session, another at every other SP, readable only here and only
//! as the SP it was made for.

use super::{SamlServer, mac};
use crate::keys::{NONCE_LEN, SecretBox};

/// Longest `SessionIndex` read back (a `sid` is far shorter).
const MAX_INDEX: usize = 512;

/// `sid` sealed for the SP of relationship `sp` under `key`. The nonce is an HMAC of both,
/// so one nonce never seals two different `sid`s.
fn seal(key: &[u8; 32], sid: &str, sp: &str) -> Option<String> {
    let nonce: [u8; NONCE_LEN] = mac(key, &[sp.as_bytes(), sid.as_bytes()])?
        .get(..NONCE_LEN)?
        .try_into()
        .ok()?;
    SecretBox::new(key)
        .seal_with_nonce(sid.as_bytes(), sp.as_bytes(), nonce)
        .ok()
}

/// The `sid` `index` seals, when it was sealed under `key` for `sp`.
fn open(key: &[u8; 32], index: &str, sp: &str) -> Option<String> {
    if index.len() > MAX_INDEX {
        return None;
    }
    let sid = SecretBox::new(key).open(index, sp.as_bytes()).ok()?;
    String::from_utf8(sid).ok()
}

impl SamlServer {
    fn session_index_key(&self) -> Option<[u8; 32]> {
        mac(&self.persistent_key, &[b"jans-saml session index"])
    }

    /// The `SessionIndex` the SP of relationship `sp` is given for the session `sid`
    /// (`None` only if sealing failed, which it does not for a `sid`).
    pub(crate) fn session_index(&self, sid: &str, sp: &str) -> Option<String> {
        seal(&self.session_index_key()?, sid, sp)
    }

    /// The session `index` was made for, when this IdP made it for the SP of relationship
    /// `sp`; `None` for anything else.
    pub(crate) fn session_of(&self, index: &str, sp: &str) -> Option<String> {
        open(&self.session_index_key()?, index, sp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sp_gets_its_own_stable_index_only_it_reads_back() {
        let key = [1; 32];
        let a = seal(&key, "sid-1", "sp-a").unwrap();
        assert_eq!(Some(&a), seal(&key, "sid-1", "sp-a").as_ref(), "stable");
        let b = seal(&key, "sid-1", "sp-b").unwrap();
        assert_ne!(a, b, "unlinkable across SPs");
        assert_ne!(Some(&a), seal(&key, "sid-2", "sp-a").as_ref());
        assert!(!a.contains("sid"));
        assert_eq!(open(&key, &a, "sp-a").as_deref(), Some("sid-1"));
        assert_eq!(open(&key, &b, "sp-b").as_deref(), Some("sid-1"));
        // Another SP's index, a changed one, another key's, garbage: nothing.
        assert_eq!(open(&key, &a, "sp-b"), None);
        let mut changed = a.clone().into_bytes();
        changed[20] = if changed[20] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            open(&key, &String::from_utf8(changed).unwrap(), "sp-a"),
            None
        );
        assert_eq!(open(&[2; 32], &a, "sp-a"), None);
        for bad in ["", "sid-1", "!!", &"A".repeat(600)] {
            assert_eq!(open(&key, bad, "sp-a"), None, "{bad}");
        }
    }
}
