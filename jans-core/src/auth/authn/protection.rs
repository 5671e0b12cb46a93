//! Brute-force protection per user: Janssen's `authenticationProtectionConfiguration`.
//!
//! Once `maximumAllowedAttemptsWithoutDelay` attempts for a user fall within
//! `attemptExpiration` seconds, an attempt made before `delayTime` seconds have passed
//! since the last admitted one is refused with the time to wait, whoever sends it and over
//! whichever channel (login page, password grant, an embedder's UI). The engine decides
//! this before the password is hashed, with two atomic store operations, so guesses per
//! user are bounded by time and not by how many connections an attacker opens: of 50
//! concurrent wrong passwords, at most `maximumAllowedAttemptsWithoutDelay + 1` are checked.
//!
//! - every attempt increments the user's counter ([`GrantStore::increment`], atomic on every
//!   backend), which then lives `attemptExpiration` seconds past the latest attempt;
//! - while the counter is within the allowance, the attempt is checked;
//! - beyond it, the attempt is checked only if it can insert the user's delay marker (an
//!   insert refused while a live marker exists, atomic on every backend), which lives
//!   `delayTime` seconds; otherwise it is refused with the marker's remaining life;
//! - a correct password ends both.
//!
//! [`GrantStore::increment`]: crate::store::GrantStore::increment

use crate::auth::AuthServer;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::store::{GrantKind, GrantRecord, StoreError};

/// Whether a password attempt may be checked now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check it.
    Check,
    /// Refused unchecked: try again in this many seconds (at least 1).
    Wait(u64),
}

fn key(uid: &str) -> String {
    crate::auth::oauth::token_key(&format!("login-failures\u{0}{}", uid.to_lowercase()))
}

/// Count an attempt for `uid` and decide whether it may be checked.
pub async fn admit(auth: &AuthServer, uid: &str, ctx: &Ctx) -> Result<Admission, Error> {
    let apc = auth
        .config()
        .authentication_protection_configuration
        .clone();
    if !apc.brute_force_protection_enabled {
        return Ok(Admission::Check);
    }
    let grants = &auth.stores().grants;
    let key = key(uid);
    let attempts = grants
        .increment(
            GrantKind::LoginFailures,
            &key,
            ctx.now.saturating_add(apc.attempt_expiration),
            ctx.now,
        )
        .await?;
    if attempts <= u64::from(apc.maximum_allowed_attempts_without_delay) || apc.delay_time == 0 {
        return Ok(Admission::Check);
    }
    let marker = GrantRecord::bare(ctx.now, ctx.now.saturating_add(apc.delay_time));
    match grants
        .insert(GrantKind::LoginDelay, &key, &marker, ctx.now)
        .await
    {
        Ok(()) => Ok(Admission::Check),
        Err(StoreError::Conflict) => {
            let until = grants
                .get(GrantKind::LoginDelay, &key, ctx.now)
                .await?
                .map_or(ctx.now.saturating_add(apc.delay_time), |m| m.expires_at);
            Ok(Admission::Wait(until.saturating_sub(ctx.now).max(1)))
        }
        Err(e) => Err(e.into()),
    }
}

/// A correct password for `uid`: its attempts are forgotten.
pub async fn succeeded(auth: &AuthServer, uid: &str) -> Result<(), Error> {
    let grants = &auth.stores().grants;
    let key = key(uid);
    grants.remove(GrantKind::LoginFailures, &key).await?;
    grants.remove(GrantKind::LoginDelay, &key).await?;
    Ok(())
}
