//! People's one-time-password devices — authenticator apps (TOTP, RFC 6238) and HOTP tokens
//! (RFC 4226) — in the collection `otp_devices`, by id, with an index by the person's inum:
//! what the auth-server's `otp` method verifies and Casa enrols (issue 17). The secret is
//! kept sealed under the master key by whoever enrols it; this repository never sees it in
//! the clear.
//!
//! A code is good once: [`OtpDevices::spend`] moves a device's last used step (a TOTP time
//! step, an HOTP counter) forward by compare-and-set, so of two logins racing with the same
//! code one wins, on every backend.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::otp::OtpAlgorithm;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Key, Test};

/// Most devices one person may have.
pub const MAX_PER_PERSON: usize = 20;

/// Time steps a code is accepted either side of now (RFC 6238 §5.2), at enrolment and at
/// sign-in.
pub const WINDOW: u64 = 1;

/// Counters past the last one used that an HOTP code is looked for at (RFC 4226 §7.4's
/// look-ahead window `s`): a token pressed a few times unused still signs in.
pub const HOTP_LOOK_AHEAD: u64 = 10;

/// What a device's sealed secret is bound to: its person and its id (a secret copied to
/// another device or person does not open).
pub fn secret_aad(inum: &str, id: &str) -> Vec<u8> {
    format!("jans:otp-secret:{inum}:{id}").into_bytes()
}

/// How a device counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpKind {
    /// Time-based (RFC 6238): an authenticator app.
    Totp,
    /// Counter-based (RFC 4226): a hardware token.
    Hotp,
}

/// One device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtpDevice {
    /// Its id.
    pub id: String,
    /// The person's inum.
    pub user: String,
    /// The name the person gave it.
    pub nickname: String,
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// The secret, sealed under the master key.
    pub secret_sealed: String,
    /// The HMAC.
    pub alg: OtpAlgorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step (TOTP).
    pub period: u64,
    /// The last step (TOTP) or counter (HOTP) a code was accepted for: none is accepted
    /// again, nor any before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<u64>,
    /// When it was enrolled.
    pub added_on: UnixTime,
    /// When a code of it was last accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<UnixTime>,
}

/// The devices.
#[derive(Clone, Debug)]
pub struct OtpDevices(Collection<OtpDevice>);

impl OtpDevices {
    /// The collection's name.
    pub const COLLECTION: &'static str = "otp_devices";
    /// The index of the person's inum.
    pub const USER: &'static str = "user";
    /// Compare-and-set attempts before a spend gives up (each lost one means another
    /// writer moved the device, which only ever moves forward).
    const ATTEMPTS: usize = 16;

    /// The devices kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> OtpDevices {
        OtpDevices(Collection::new(store, Self::COLLECTION))
    }

    fn keys(d: &OtpDevice) -> Vec<Key> {
        vec![Key::index(Self::USER, d.user.clone())]
    }

    /// Store a new device; `Conflict` when the id is taken.
    pub async fn insert(&self, device: &OtpDevice) -> Result<(), StoreError> {
        self.0
            .insert(&device.id, device, &Self::keys(device))
            .await
            .map(drop)
    }

    /// The device `id` of the person `user` (another's is `None`).
    pub async fn get(&self, user: &str, id: &str) -> Result<Option<OtpDevice>, StoreError> {
        Ok(self.0.get(id).await?.filter(|d| d.user == user))
    }

    /// The person's devices, oldest first.
    pub async fn of_user(&self, user: &str) -> Result<Vec<OtpDevice>, StoreError> {
        let filter = Filter::Key {
            name: Self::USER.to_owned(),
            test: Test::Eq(user.to_owned()),
        };
        let mut all: Vec<OtpDevice> = self
            .0
            .query(&filter, MAX_PER_PERSON + 1)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        all.sort_by(|a, b| (a.added_on, &a.id).cmp(&(b.added_on, &b.id)));
        Ok(all)
    }

    /// Rename the person's device `id`; whether it was theirs.
    pub async fn rename(&self, user: &str, id: &str, nickname: &str) -> Result<bool, StoreError> {
        self.update(user, id, |d| {
            d.nickname = nickname.to_owned();
            true
        })
        .await
    }

    /// Delete the person's device `id`; whether it was theirs.
    pub async fn delete(&self, user: &str, id: &str) -> Result<bool, StoreError> {
        self.0
            .delete_if(id, Self::ATTEMPTS, |d| d.user == user)
            .await
    }

    /// Accept a code of the person's device `id` for `step` (a TOTP step, an HOTP counter)
    /// at `now`: `true` once, when `step` is past the last one accepted; `false` for a step
    /// used already (a replayed code), an earlier one, or a device that is not theirs.
    pub async fn spend(
        &self,
        user: &str,
        id: &str,
        step: u64,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        self.update(user, id, |d| {
            if d.last_step.is_some_and(|last| last >= step) {
                return false;
            }
            d.last_step = Some(step);
            d.last_used = Some(now);
            true
        })
        .await
    }

    /// Apply `change` to the person's device `id` by compare-and-set; `change` says whether
    /// to write. Whether it wrote.
    async fn update(
        &self,
        user: &str,
        id: &str,
        change: impl Fn(&mut OtpDevice) -> bool,
    ) -> Result<bool, StoreError> {
        self.0
            .update(id, Self::ATTEMPTS, Self::keys, |d| {
                d.user == user && change(d)
            })
            .await
    }
}
