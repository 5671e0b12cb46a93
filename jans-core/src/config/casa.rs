//! Casa's configuration (`casaConfiguration`), with Janssen Casa's own member names
//! (`basic_2fa_settings`, `policy_2fa`, `trusted_dev_settings`): the administrator's rules
//! for two-factor authentication, read by Casa's pages and by the auth-server's `casa`
//! sign-in. Part of the shared configuration, so a change reaches every node.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// When a person with two-factor authentication on is asked for a second factor (Janssen
/// Casa's `EnforcementPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnforcementPolicy {
    /// At every sign-in.
    EveryLogin,
    /// When the browser is not one of the person's trusted devices.
    DeviceUnknown,
    /// When the country the sign-in comes from is not one the person signed in from
    /// lately (by the host's IP-to-country table; without one, every location is unknown).
    LocationUnknown,
}

impl EnforcementPolicy {
    /// Every policy, in the order a page lists them.
    pub const ALL: [EnforcementPolicy; 3] = [
        EnforcementPolicy::EveryLogin,
        EnforcementPolicy::DeviceUnknown,
        EnforcementPolicy::LocationUnknown,
    ];
}

/// `basic_2fa_settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Basic2faSettings {
    /// Credentials (keys and apps) a person needs before turning 2FA on, and keeps while
    /// it is on.
    pub min_creds: usize,
    /// Whether people may turn 2FA off once on.
    #[serde(rename = "allowSelfEnableDisable")]
    pub allow_self_enable_disable: bool,
}

impl Default for Basic2faSettings {
    fn default() -> Self {
        Basic2faSettings {
            min_creds: 1,
            allow_self_enable_disable: true,
        }
    }
}

/// `trusted_dev_settings`: how long a trusted device and a known location last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedDevSettings {
    /// Days a country stays known after the last sign-in from it.
    pub location_exp_days: u64,
    /// Days a device stays trusted after the second factor last confirmed it.
    pub device_exp_days: u64,
}

impl Default for TrustedDevSettings {
    fn default() -> Self {
        TrustedDevSettings {
            location_exp_days: 15,
            device_exp_days: 30,
        }
    }
}

/// `casaConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasaConfiguration {
    /// The rules of turning 2FA on and off.
    pub basic_2fa_settings: Basic2faSettings,
    /// The policies a person may choose among (Janssen Casa's `policy_2fa`); the first is
    /// theirs until they choose.
    pub policy_2fa: Vec<EnforcementPolicy>,
    /// Trusted devices and known locations.
    pub trusted_dev_settings: TrustedDevSettings,
}

impl Default for CasaConfiguration {
    fn default() -> Self {
        CasaConfiguration {
            basic_2fa_settings: Basic2faSettings::default(),
            policy_2fa: EnforcementPolicy::ALL.to_vec(),
            trusted_dev_settings: TrustedDevSettings::default(),
        }
    }
}

/// Most credentials an administrator may require (a person keeps at most 20 apps).
const MAX_MIN_CREDS: usize = 5;
/// Longest a device or location may stay trusted.
const MAX_DAYS: u64 = 365;

impl CasaConfiguration {
    /// The policy of a person who never chose: the administrator's first.
    pub fn default_policy(&self) -> EnforcementPolicy {
        self.policy_2fa
            .first()
            .copied()
            .unwrap_or(EnforcementPolicy::EveryLogin)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("casaConfiguration.{k}");
        let min = self.basic_2fa_settings.min_creds;
        if min == 0 || min > MAX_MIN_CREDS {
            return Err(ConfigError::new(
                &key("basic_2fa_settings.min_creds"),
                format!("must be between 1 and {MAX_MIN_CREDS}"),
            ));
        }
        if self.policy_2fa.is_empty() {
            return Err(ConfigError::new(
                &key("policy_2fa"),
                "must allow at least one policy",
            ));
        }
        let mut seen = self.policy_2fa.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.policy_2fa.len() {
            return Err(ConfigError::new(&key("policy_2fa"), "names a policy twice"));
        }
        for (name, days) in [
            (
                "trusted_dev_settings.location_exp_days",
                self.trusted_dev_settings.location_exp_days,
            ),
            (
                "trusted_dev_settings.device_exp_days",
                self.trusted_dev_settings.device_exp_days,
            ),
        ] {
            if days == 0 || days > MAX_DAYS {
                return Err(ConfigError::new(
                    &key(name),
                    format!("must be between 1 and {MAX_DAYS}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janssen_names_read_and_bad_values_are_refused() {
        let c: CasaConfiguration = serde_json::from_value(serde_json::json!({
            "basic_2fa_settings": {"min_creds": 2, "allowSelfEnableDisable": false},
            "policy_2fa": ["DEVICE_UNKNOWN", "EVERY_LOGIN"],
            "trusted_dev_settings": {"location_exp_days": 7, "device_exp_days": 60},
        }))
        .unwrap();
        assert_eq!(c.basic_2fa_settings.min_creds, 2);
        assert!(!c.basic_2fa_settings.allow_self_enable_disable);
        assert_eq!(c.default_policy(), EnforcementPolicy::DeviceUnknown);
        assert_eq!(c.trusted_dev_settings.device_exp_days, 60);
        c.validate().unwrap();
        CasaConfiguration::default().validate().unwrap();
        for bad in [
            serde_json::json!({"basic_2fa_settings": {"min_creds": 0}}),
            serde_json::json!({"policy_2fa": []}),
            serde_json::json!({"policy_2fa": ["EVERY_LOGIN", "EVERY_LOGIN"]}),
            serde_json::json!({"trusted_dev_settings": {"device_exp_days": 0}}),
            serde_json::json!({"trusted_dev_settings": {"location_exp_days": 366}}),
        ] {
            let c: CasaConfiguration = serde_json::from_value(bad.clone()).unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
        assert!(
            serde_json::from_value::<CasaConfiguration>(
                serde_json::json!({"policy_2fa": ["CUSTOM"]})
            )
            .is_err()
        );
    }
}
