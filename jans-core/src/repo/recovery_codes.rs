//! A person's recovery codes (Casa, issue 17 item 3): ten single-use codes shown once when
//! made, kept only as salted SHA-256 hashes in the collection `recovery_codes` (one set per
//! person, by inum). Making a new set replaces the old one, whose codes then stop working.
//!
//! A code is 12 characters of an alphabet without look-alikes (about 59 bits), written
//! `xxxx-xxxx-xxxx`; what a person types is read without regard to case, spaces or dashes.
//! [`RecoveryCodes::spend`] marks a code used by compare-and-set: of two sign-ins racing
//! with the same code, one wins, on every backend.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ctx::{Random, UnixTime};
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// Codes per set.
pub const CODES: usize = 10;
/// Characters per code.
const LENGTH: usize = 12;
/// No `0`/`o`, `1`/`l`/`i`: what a person copies from paper reads one way only.
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// One code, as kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCode {
    /// base64url SHA-256 of the salt and the code.
    pub hash: String,
    /// When it was used, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<UnixTime>,
}

/// A person's set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeSet {
    /// The person's inum.
    pub user: String,
    /// The set's salt (base64url, 16 random bytes).
    pub salt: String,
    /// When it was made.
    pub generated_at: UnixTime,
    /// The codes.
    pub codes: Vec<StoredCode>,
}

impl CodeSet {
    /// Codes not used yet.
    pub fn remaining(&self) -> usize {
        self.codes.iter().filter(|c| c.used_at.is_none()).count()
    }
}

/// A code as typed: lowercase, without spaces or dashes; `None` when it cannot be one.
fn normalize(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (c.len() == LENGTH && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

fn hash(salt: &str, code: &str) -> String {
    crate::b64::encode(&Sha256::digest(format!("{salt}\u{0}{code}").as_bytes()))
}

/// A new set for `user` at `now`: the codes to show once (formatted `xxxx-xxxx-xxxx`), and
/// what is kept.
pub fn generate(user: &str, now: UnixTime, rng: &dyn Random) -> (Vec<String>, CodeSet) {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let salt = crate::b64::encode(&salt);
    let mut shown = Vec::with_capacity(CODES);
    let mut codes = Vec::with_capacity(CODES);
    while shown.len() < CODES {
        let mut raw = [0u8; LENGTH];
        rng.fill(&mut raw);
        // 31 symbols: bytes 248..=255 would bias the first ones, so they are drawn again.
        if raw.iter().any(|b| *b >= 248) {
            continue;
        }
        let code: String = raw
            .iter()
            .map(|b| char::from(ALPHABET.get(usize::from(*b) % 31).copied().unwrap_or(b'2')))
            .collect();
        let formatted = format!(
            "{}-{}-{}",
            code.get(0..4).unwrap_or_default(),
            code.get(4..8).unwrap_or_default(),
            code.get(8..12).unwrap_or_default()
        );
        codes.push(StoredCode {
            hash: hash(&salt, &code),
            used_at: None,
        });
        shown.push(formatted);
    }
    let set = CodeSet {
        user: user.to_owned(),
        salt,
        generated_at: now,
        codes,
    };
    (shown, set)
}

/// The sets.
#[derive(Clone, Debug)]
pub struct RecoveryCodes(Collection<CodeSet>);

impl RecoveryCodes {
    /// The collection's name.
    pub const COLLECTION: &'static str = "recovery_codes";
    /// Compare-and-set attempts before a spend gives up.
    const ATTEMPTS: usize = 16;

    /// The sets kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> RecoveryCodes {
        RecoveryCodes(Collection::new(store, Self::COLLECTION))
    }

    /// The person's set, if they have one.
    pub async fn get(&self, user: &str) -> Result<Option<CodeSet>, StoreError> {
        self.0.get(user).await
    }

    /// Keep `set` as its person's, replacing (and so invalidating) any set before.
    pub async fn put(&self, set: &CodeSet) -> Result<(), StoreError> {
        match self.0.insert(&set.user, set, &[]).await {
            Err(StoreError::Conflict) => self.0.replace(&set.user, set, &[], None).await.map(drop),
            other => other.map(drop),
        }
    }

    /// Remove the person's set (a reset to password only); whether there was one.
    pub async fn remove(&self, user: &str) -> Result<bool, StoreError> {
        self.0.delete(user).await
    }

    /// Use the person's recovery code `code` at `now`: `true` once for a code of their
    /// current set; `false` for a used one, one of an older set, or anything else. Every
    /// code of the set is compared, in constant time.
    pub async fn spend(&self, user: &str, code: &str, now: UnixTime) -> Result<bool, StoreError> {
        let Some(code) = normalize(code) else {
            return Ok(false);
        };
        self.0
            .update(
                user,
                Self::ATTEMPTS,
                |_| Vec::new(),
                |set| {
                    let want = hash(&set.salt, &code);
                    let mut found = None;
                    for (i, c) in set.codes.iter().enumerate() {
                        if bool::from(c.hash.as_bytes().ct_eq(want.as_bytes())) && found.is_none() {
                            found = Some(i);
                        }
                    }
                    match found.and_then(|i| set.codes.get_mut(i)) {
                        Some(slot) if slot.used_at.is_none() => {
                            slot.used_at = Some(now);
                            true
                        }
                        _ => false,
                    }
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_and_only_hashes_are_kept() {
        let rng = crate::testing::SeededRandom::new(1);
        let (shown, set) = generate("u1", 100, &rng);
        assert_eq!(shown.len(), CODES);
        for code in &shown {
            assert_eq!(code.len(), 14);
            assert!(
                code.chars()
                    .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
            );
        }
        let kept = serde_json::to_string(&set).unwrap();
        for code in &shown {
            assert!(
                !kept.contains(&code.replace('-', "")),
                "a code kept in the clear"
            );
        }
        assert_eq!(normalize(" ABCD-efgh 2345 "), Some("abcdefgh2345".into()));
        for bad in ["abcd-efgh-234", "abcd-efgh-23450", "abcd-efgh-234l", ""] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
