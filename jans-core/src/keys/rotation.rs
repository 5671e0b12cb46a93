//! The rotation decision, free of I/O: given the stored keys, the configuration and the
//! time, what must be generated, promoted, retired and archived.
//!
//! Rules (Janssen auth-key-rotation, DESIGN.md §5):
//! - one `Active` key per configured algorithm signs;
//! - a `Next` key is published beside it for a whole interval before it signs, so relying
//!   parties that cache the JWKS already know it when it starts signing;
//! - every `keyRegenerationInterval` hours `Next` becomes `Active`, the old `Active` becomes
//!   `Retired` and a new `Next` is generated;
//! - a `Retired` key stays published until everything it signed has expired
//!   (`retention` seconds after retirement), then becomes `Archived`;
//! - with several nodes, a `Next` key is promoted only once it has existed for
//!   `publish_delay` seconds, the longest a node takes to reload the key set: so every node
//!   serves a key in its JWKS before any node signs with it, even on a forced rotation.

use crate::ctx::UnixTime;
use crate::jose::KeyAlgorithm;

use super::{KeyStatus, StoredKey};

/// Inputs besides the keys.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Algorithms that must have an active key.
    pub algorithms: Vec<KeyAlgorithm>,
    /// Automatic rotation on/off (`keyRegenerationEnabled`).
    pub enabled: bool,
    /// Seconds between rotations (`keyRegenerationInterval` × 3600).
    pub interval: u64,
    /// Seconds a retired key stays published: the longest lifetime of anything signed.
    pub retention: u64,
    /// Seconds a `Next` key must have existed before it may sign: the bound on how long
    /// any node takes to reload the key set.
    pub publish_delay: u64,
}

/// One change to the key set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Generate a new key for this algorithm in this state.
    Generate(KeyAlgorithm, KeyStatus),
    /// `Next` → `Active`.
    Promote(String),
    /// `Active` → `Retired`, published until the given instant.
    Retire(String, UnixTime),
    /// `Retired` → `Archived`.
    Archive(String),
}

/// Decide the changes at `now`. With `force`, every algorithm rotates now.
pub fn plan(keys: &[StoredKey], policy: &Policy, now: UnixTime, force: bool) -> Vec<Change> {
    let mut changes = Vec::new();
    let find = |alg: KeyAlgorithm, status: KeyStatus| {
        keys.iter()
            .filter(|k| k.alg == alg && k.status == status)
            .max_by_key(|k| k.created_at)
    };
    for &alg in &policy.algorithms {
        let active = find(alg, KeyStatus::Active);
        let next = find(alg, KeyStatus::Next);
        match active {
            None => match next {
                // A published next key can take over at once.
                Some(n) => {
                    changes.push(Change::Promote(n.kid.clone()));
                    if policy.enabled {
                        changes.push(Change::Generate(alg, KeyStatus::Next));
                    }
                }
                None => {
                    changes.push(Change::Generate(alg, KeyStatus::Active));
                    if policy.enabled {
                        changes.push(Change::Generate(alg, KeyStatus::Next));
                    }
                }
            },
            Some(a) => {
                let since = a.activated_at.unwrap_or(a.created_at);
                let due = force || (policy.enabled && now >= since.saturating_add(policy.interval));
                // A successor generated moments ago may not be in every node's JWKS yet:
                // wait for it (the next tick rotates) rather than sign with it.
                let successor_ready =
                    next.is_none_or(|n| now >= n.created_at.saturating_add(policy.publish_delay));
                if due && successor_ready {
                    changes.push(Change::Retire(
                        a.kid.clone(),
                        now.saturating_add(policy.retention),
                    ));
                    match next {
                        Some(n) => changes.push(Change::Promote(n.kid.clone())),
                        // Only reachable when forced with rotation disabled: there is no
                        // pre-published key, so a fresh one starts signing at once.
                        None => changes.push(Change::Generate(alg, KeyStatus::Active)),
                    }
                    if policy.enabled {
                        changes.push(Change::Generate(alg, KeyStatus::Next));
                    }
                } else if next.is_none() && policy.enabled {
                    changes.push(Change::Generate(alg, KeyStatus::Next));
                }
            }
        }
    }
    // Algorithms no longer configured stop signing; their keys retire normally.
    for k in keys {
        if !policy.algorithms.contains(&k.alg)
            && matches!(k.status, KeyStatus::Active | KeyStatus::Next)
        {
            changes.push(Change::Retire(
                k.kid.clone(),
                now.saturating_add(policy.retention),
            ));
        }
    }
    for k in keys {
        if k.status == KeyStatus::Retired && k.publish_until.is_none_or(|t| now >= t) {
            changes.push(Change::Archive(k.kid.clone()));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{Algorithm, Jwk};

    fn key(kid: &str, alg: Algorithm, status: KeyStatus, at: u64) -> StoredKey {
        let alg = KeyAlgorithm::from(alg);
        StoredKey {
            kid: kid.into(),
            alg,
            status,
            created_at: at,
            activated_at: (status == KeyStatus::Active).then_some(at),
            retired_at: None,
            publish_until: None,
            sealed_private: None,
            public_jwk: Jwk::default(),
            certificate: None,
        }
    }

    fn policy() -> Policy {
        Policy {
            algorithms: vec![Algorithm::ES256.into()],
            enabled: true,
            interval: 3600,
            retention: 600,
            publish_delay: 0,
        }
    }

    #[test]
    fn empty_ring_gets_active_and_next() {
        assert_eq!(
            plan(&[], &policy(), 0, false),
            vec![
                Change::Generate(Algorithm::ES256.into(), KeyStatus::Active),
                Change::Generate(Algorithm::ES256.into(), KeyStatus::Next)
            ]
        );
        let disabled = Policy {
            enabled: false,
            ..policy()
        };
        assert_eq!(
            plan(&[], &disabled, 0, false),
            vec![Change::Generate(Algorithm::ES256.into(), KeyStatus::Active)]
        );
    }

    #[test]
    fn rotates_when_due_only() {
        let keys = [
            key("a", Algorithm::ES256, KeyStatus::Active, 0),
            key("n", Algorithm::ES256, KeyStatus::Next, 0),
        ];
        assert!(plan(&keys, &policy(), 3599, false).is_empty());
        assert_eq!(
            plan(&keys, &policy(), 3600, false),
            vec![
                Change::Retire("a".into(), 4200),
                Change::Promote("n".into()),
                Change::Generate(Algorithm::ES256.into(), KeyStatus::Next)
            ]
        );
        assert_eq!(plan(&keys, &policy(), 10, true).len(), 3);
    }

    #[test]
    fn archives_after_retention_and_retires_dropped_algs() {
        let mut r = key("r", Algorithm::ES256, KeyStatus::Retired, 0);
        r.publish_until = Some(100);
        let keys = [
            key("a", Algorithm::ES256, KeyStatus::Active, 50),
            key("n", Algorithm::ES256, KeyStatus::Next, 50),
            r,
            key("old", Algorithm::RS256, KeyStatus::Active, 0),
        ];
        assert_eq!(
            plan(&keys, &policy(), 99, false),
            vec![Change::Retire("old".into(), 699)]
        );
        assert_eq!(
            plan(&keys, &policy(), 100, false),
            vec![
                Change::Retire("old".into(), 700),
                Change::Archive("r".into())
            ]
        );
    }

    #[test]
    fn a_successor_signs_only_after_every_node_can_have_loaded_it() {
        let p = Policy {
            publish_delay: 60,
            ..policy()
        };
        let keys = vec![
            key("a", Algorithm::ES256, KeyStatus::Active, 0),
            key("n", Algorithm::ES256, KeyStatus::Next, 1000),
        ];
        // Forced 30 s after the next key appeared: nothing yet.
        assert_eq!(plan(&keys, &p, 1030, true), vec![]);
        // Once the delay has passed, the forced rotation goes ahead.
        assert_eq!(
            plan(&keys, &p, 1060, true),
            vec![
                Change::Retire("a".into(), 1660),
                Change::Promote("n".into()),
                Change::Generate(Algorithm::ES256.into(), KeyStatus::Next),
            ]
        );
    }
}
