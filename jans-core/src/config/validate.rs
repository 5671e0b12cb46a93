//! The rules a configuration must satisfy before an engine runs it.

use super::{Config, ConfigError, IMPLEMENTED_GRANT_TYPES, MAX_LIFETIME, PersistenceType};

impl Config {
    /// Check every value; the first problem found is returned, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer)?;
        self.validate_features()?;
        self.validate_grants()?;
        self.validate_mtls()?;
        if self
            .backchannel_authentication_request_signing_alg_values_supported
            .iter()
            .any(|a| a.is_symmetric())
        {
            return Err(ConfigError::new(
                "backchannelAuthenticationRequestSigningAlgValuesSupported",
                "only asymmetric algorithms (CIBA Core §7.1.1)",
            ));
        }
        if !super::LOGGING_LEVELS.contains(&self.logging_level.as_str()) {
            return Err(ConfigError::new(
                "loggingLevel",
                format!(
                    "{:?} is not a level (one of {})",
                    self.logging_level,
                    super::LOGGING_LEVELS.join(", ")
                ),
            ));
        }
        if !super::ACRS.contains(&self.default_acr.as_str()) {
            return Err(ConfigError::new(
                "defaultAcr",
                format!(
                    "{:?} is not an authentication method here (one of {})",
                    self.default_acr,
                    super::ACRS.join(", ")
                ),
            ));
        }
        self.fido2_configuration.validate()?;
        self.scim_configuration.validate()?;
        self.casa_configuration.validate()?;
        for (key, v) in [
            ("accessTokenLifetime", self.access_token_lifetime),
            ("refreshTokenLifetime", self.refresh_token_lifetime),
            ("idTokenLifetime", self.id_token_lifetime),
        ] {
            if v == 0 || v > MAX_LIFETIME {
                return Err(ConfigError::new(
                    key,
                    format!("must be between 1 and {MAX_LIFETIME} seconds"),
                ));
            }
        }
        if self.key_regeneration_interval == 0 || self.key_regeneration_interval > 24 * 366 {
            return Err(ConfigError::new(
                "keyRegenerationInterval",
                "must be between 1 and 8784 hours",
            ));
        }
        if self.key_algs_allowed_for_generation.is_empty() {
            return Err(ConfigError::new(
                "keyAlgsAllowedForGeneration",
                "must list at least one algorithm",
            ));
        }
        if let Some(a) = self
            .key_algs_allowed_for_generation
            .iter()
            .find(|a| a.is_symmetric())
        {
            return Err(ConfigError::new(
                "keyAlgsAllowedForGeneration",
                format!("{a} is symmetric; only asymmetric algorithms have key pairs"),
            ));
        }
        if !self
            .key_algs_allowed_for_generation
            .contains(&self.default_signature_algorithm.into())
        {
            return Err(ConfigError::new(
                "defaultSignatureAlgorithm",
                format!(
                    "{} is not in keyAlgsAllowedForGeneration",
                    self.default_signature_algorithm
                ),
            ));
        }
        for g in &self.grant_types_supported {
            if !IMPLEMENTED_GRANT_TYPES.contains(&g.as_str()) {
                return Err(ConfigError::new(
                    "grantTypesSupported",
                    format!("grant type {g:?} is not implemented"),
                ));
            }
        }
        for (key, v) in [
            (
                "authorizationCodeLifetime",
                self.authorization_code_lifetime,
            ),
            ("sessionIdLifetime", self.session_id_lifetime),
            ("sessionIdUnusedLifetime", self.session_id_unused_lifetime),
            ("interactionLifetime", self.interaction_lifetime),
        ] {
            if v == 0 || v > MAX_LIFETIME {
                return Err(ConfigError::new(
                    key,
                    format!("must be between 1 and {MAX_LIFETIME} seconds"),
                ));
            }
        }
        if self.pairwise_id_type != "algorithmic" {
            return Err(ConfigError::new(
                "pairwiseIdType",
                "only \"algorithmic\" is supported",
            ));
        }
        let apc = &self.authentication_protection_configuration;
        if apc.attempt_expiration == 0 || apc.attempt_expiration > 86_400 {
            return Err(ConfigError::new(
                "authenticationProtectionConfiguration.attemptExpiration",
                "must be between 1 and 86400 seconds",
            ));
        }
        if apc.delay_time > 60 {
            return Err(ConfigError::new(
                "authenticationProtectionConfiguration.delayTime",
                "must be at most 60 seconds",
            ));
        }
        if let Some(bad) = self
            .outbound_allowed_addresses
            .iter()
            .find(|a| crate::outbound::Cidr::parse(a).is_none())
        {
            return Err(ConfigError::new(
                "outboundAllowedAddresses",
                format!("{bad:?} is not an IP address or CIDR block"),
            ));
        }
        if self.login_max_failures == 0 {
            return Err(ConfigError::new("loginMaxFailures", "must be > 0"));
        }
        if self.clean_service_interval == 0 {
            return Err(ConfigError::new("cleanServiceInterval", "must be > 0"));
        }
        if self.configuration_update_interval == 0 {
            return Err(ConfigError::new(
                "configurationUpdateInterval",
                "must be > 0",
            ));
        }
        if self.persistence.kind == PersistenceType::Postgres && self.persistence.url.is_empty() {
            return Err(ConfigError::new(
                "persistence.url",
                "required for postgres (or set JANS_DATABASE_URL)",
            ));
        }
        if self.persistence.max_connections == 0 || self.persistence.max_connections > 1000 {
            return Err(ConfigError::new(
                "persistence.maxConnections",
                "must be between 1 and 1000",
            ));
        }
        if self.clean_service_batch_chunk_size == 0 {
            return Err(ConfigError::new(
                "cleanServiceBatchChunkSize",
                "must be > 0",
            ));
        }
        if self.clock_skew_seconds > 600 {
            return Err(ConfigError::new("clockSkewSeconds", "must be at most 600"));
        }
        if self.client_assertion_max_lifetime == 0 || self.client_assertion_max_lifetime > 86_400 {
            return Err(ConfigError::new(
                "clientAssertionMaxLifetime",
                "must be between 1 and 86400 seconds",
            ));
        }
        Ok(())
    }
}

fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(issuer)
        .map_err(|e| ConfigError::new("issuer", format!("not a URL: {e}")))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(ConfigError::new(
                "issuer",
                "must use https (http is allowed only for localhost)",
            ));
        }
        _ => return Err(ConfigError::new("issuer", "must be an https URL")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            "issuer",
            "must not have a query or fragment (OIDC Discovery §3)",
        ));
    }
    if url.host_str().is_none() {
        return Err(ConfigError::new("issuer", "must have a host"));
    }
    Ok(())
}
