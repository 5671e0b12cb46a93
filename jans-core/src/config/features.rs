//! Janssen's feature flags (`featureFlags`, Janssen's `FeatureFlagType`): which optional
//! parts of the auth-server answer. Read as Janssen reads them: an empty list means the
//! default set — every feature but UMA, which Janssen ships off —; a list enables exactly
//! the features it names.

use super::{Config, ConfigError};

/// Every flag Janssen defines, by its name in `featureFlags`.
pub const FEATURE_FLAGS: [&str; 23] = [
    "health_check",
    "userinfo",
    "clientinfo",
    "id_generation",
    "registration",
    "introspection",
    "revoke_token",
    "revoke_session",
    "global_token_revocation",
    "active_session",
    "end_session",
    "status_session",
    "jans_configuration",
    "ciba",
    "uma",
    "u2f",
    "device_authz",
    "metric",
    "stat",
    "par",
    "ssa",
    "status_list",
    "access_evaluation",
];

/// The flags off when `featureFlags` is empty.
const OFF_BY_DEFAULT: [&str; 1] = ["uma"];

impl Config {
    /// Whether the feature `flag` (a name of [`FEATURE_FLAGS`]) is on.
    pub fn feature_enabled(&self, flag: &str) -> bool {
        if self.feature_flags.is_empty() {
            return !OFF_BY_DEFAULT.contains(&flag);
        }
        self.feature_flags
            .iter()
            .any(|f| f.eq_ignore_ascii_case(flag))
    }

    /// Every flag named is one of Janssen's (in any case).
    pub(super) fn validate_features(&self) -> Result<(), ConfigError> {
        for f in &self.feature_flags {
            if !FEATURE_FLAGS.iter().any(|k| k.eq_ignore_ascii_case(f)) {
                return Err(ConfigError::new(
                    "featureFlags",
                    format!("{f:?} is not one of Janssen's feature flags"),
                ));
            }
        }
        if self.uma_resource_lifetime == 0 {
            return Err(ConfigError::new("umaResourceLifetime", "must be above 0"));
        }
        if self.request_uri_par_lifetime == 0 || self.request_uri_par_lifetime > 600 {
            return Err(ConfigError::new(
                "requestUriParLifetime",
                "must be between 1 and 600 seconds",
            ));
        }
        if let Some(a) = self
            .dpop_signing_alg_values_supported
            .iter()
            .find(|a| a.is_symmetric())
        {
            // RFC 9449 §4.2: a proof is signed with the client's private key.
            return Err(ConfigError::new(
                "dpopSigningAlgValuesSupported",
                format!("{a} is symmetric; DPoP proofs use asymmetric keys"),
            ));
        }
        if self.device_authz_token_poll_interval == 0 || self.device_authz_token_poll_interval > 60
        {
            return Err(ConfigError::new(
                "deviceAuthzTokenPollInterval",
                "must be between 1 and 60 seconds",
            ));
        }
        if self.device_authz_request_expires_in < 60 || self.device_authz_request_expires_in > 86400
        {
            return Err(ConfigError::new(
                "deviceAuthzRequestExpiresIn",
                "must be between 60 and 86400 seconds",
            ));
        }
        if self.dpop_timeframe == 0 || self.dpop_timeframe > 600 {
            return Err(ConfigError::new(
                "dpopTimeframe",
                "must be between 1 and 600 seconds",
            ));
        }
        for (key, v) in [
            ("dpopNonceCacheTime", self.dpop_nonce_cache_time),
            ("umaTicketLifetime", self.uma_ticket_lifetime),
            ("umaRptLifetime", self.uma_rpt_lifetime),
            ("umaPctLifetime", self.uma_pct_lifetime),
        ] {
            if v == 0 {
                return Err(ConfigError::new(key, "must be above 0"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_janssen_reads_them() {
        let mut c = Config::default();
        assert!(c.feature_enabled("userinfo"));
        assert!(!c.feature_enabled("uma"), "UMA is off by default");
        c.feature_flags = vec!["UMA".into()];
        assert!(c.feature_enabled("uma"));
        assert!(
            !c.feature_enabled("userinfo"),
            "a list enables exactly what it names"
        );
        assert!(c.validate_features().is_ok());
        c.feature_flags = vec!["umaa".into()];
        assert_eq!(c.validate_features().unwrap_err().key, "featureFlags");
    }
}
