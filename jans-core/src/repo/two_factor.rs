//! A person's two-factor settings, as Janssen Casa keeps them on the person
//! (`jansStrongAuthPolicy`, `jansPreferredMethod`): whether the `casa` sign-in asks for a
//! second factor after the password, and which one it asks for first. Kept in the
//! collection `two_factor`, one document per person by inum; no document means 2FA off.
//!
//! Casa writes them (the person's own choice, the admin's reset); the auth-server reads
//! them at every `casa` sign-in.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::casa::{CasaConfiguration, EnforcementPolicy};
use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// A second factor of a sign-in, by the name Janssen Casa gives the method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Factor {
    /// A security key or passkey of the person (WebAuthn).
    #[serde(rename = "fido2")]
    SecurityKey,
    /// A one-time password of an authenticator app of the person.
    #[serde(rename = "otp")]
    Otp,
    /// One of the person's recovery codes.
    #[serde(rename = "recovery_code")]
    RecoveryCode,
}

impl Factor {
    /// Every factor, in the order a page lists them.
    pub const ALL: [Factor; 3] = [Factor::SecurityKey, Factor::Otp, Factor::RecoveryCode];

    /// Its name (`fido2`, `otp`, `recovery_code`).
    pub fn name(self) -> &'static str {
        match self {
            Factor::SecurityKey => "fido2",
            Factor::Otp => "otp",
            Factor::RecoveryCode => "recovery_code",
        }
    }

    /// The factor named `name`.
    pub fn parse(name: &str) -> Option<Factor> {
        Factor::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `amr` (RFC 8176 §2) of a password followed by this factor when it is not a key
    /// (a key's is `auth::authn::methods::key_amr`): a recovery code is a one-time password too.
    pub fn code_amr() -> Vec<String> {
        vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()]
    }
}

/// One person's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactor {
    /// The person's inum.
    pub user: String,
    /// A second factor is asked after the password.
    pub enabled: bool,
    /// The factor asked first (the others are offered as "try another way").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<Factor>,
    /// When the second factor is asked (Janssen Casa's `jansStrongAuthPolicy`): at every
    /// sign-in, or on an unknown device and/or location. Empty: the administrator's
    /// default ([`crate::config::casa::CasaConfiguration::default_policy`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<EnforcementPolicy>,
    /// When they last changed.
    pub updated_at: UnixTime,
}

impl TwoFactor {
    /// The policy in force under `config`: the person's choice while every part of it is
    /// still allowed, else the administrator's default; [`EnforcementPolicy::EveryLogin`]
    /// alone whenever it is part of it.
    pub fn policy_in_force(&self, config: &CasaConfiguration) -> Vec<EnforcementPolicy> {
        let chosen =
            !self.policy.is_empty() && self.policy.iter().all(|p| config.policy_2fa.contains(p));
        let policy = if chosen {
            self.policy.clone()
        } else {
            vec![config.default_policy()]
        };
        if policy.contains(&EnforcementPolicy::EveryLogin) {
            vec![EnforcementPolicy::EveryLogin]
        } else {
            policy
        }
    }
}

/// The settings.
#[derive(Clone, Debug)]
pub struct TwoFactorSettings(Collection<TwoFactor>);

impl TwoFactorSettings {
    /// The collection's name.
    pub const COLLECTION: &'static str = "two_factor";

    /// The settings kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> TwoFactorSettings {
        TwoFactorSettings(Collection::new(store, Self::COLLECTION))
    }

    /// The person's settings (off when they never chose).
    pub async fn get(&self, user: &str) -> Result<TwoFactor, StoreError> {
        Ok(self.0.get(user).await?.unwrap_or(TwoFactor {
            user: user.to_owned(),
            enabled: false,
            preferred: None,
            policy: Vec::new(),
            updated_at: 0,
        }))
    }

    /// Keep `settings` as its person's.
    pub async fn put(&self, settings: &TwoFactor) -> Result<(), StoreError> {
        match self.0.insert(&settings.user, settings, &[]).await {
            Err(StoreError::Conflict) => self
                .0
                .replace(&settings.user, settings, &[], None)
                .await
                .map(drop),
            other => other.map(drop),
        }
    }

    /// Forget the person's settings (2FA off; the admin's reset, a deleted person).
    pub async fn remove(&self, user: &str) -> Result<bool, StoreError> {
        self.0.delete(user).await
    }
}
