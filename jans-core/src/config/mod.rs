//! Typed server configuration with Janssen's property names (`jansConfDyn` of auth-server),
//! read from a TOML or JSON file with `JANS_*` environment overrides and validated at start.

pub mod casa;
mod defaults;
mod features;
pub mod fido2;
pub mod grants;
mod load;
mod mtls;
pub mod scim;
mod validate;

use serde::{Deserialize, Serialize};

use crate::jose::jwe::{ENCS, Enc, KEY_ALGS, KeyAlg};
use crate::jose::{Algorithm, KeyAlgorithm};

pub use features::FEATURE_FLAGS;

/// A configuration problem; always names the offending key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    /// The Janssen property name (or path) at fault.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// Grant types this build implements at the token endpoint.
pub const IMPLEMENTED_GRANT_TYPES: [&str; 10] = [
    "authorization_code",
    "client_credentials",
    "implicit",
    "password",
    "refresh_token",
    UMA_TICKET_GRANT,
    DEVICE_CODE_GRANT,
    JWT_BEARER_GRANT,
    TOKEN_EXCHANGE_GRANT,
    CIBA_GRANT,
];

/// OpenID CIBA Core §10.1: the grant a poll or ping client redeems an `auth_req_id` with,
/// served while the `ciba` feature is on.
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// Token exchange (RFC 8693 §2.1), with Janssen's transaction tokens.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The JWT bearer grant (RFC 7523 §2.1): a trusted issuer's assertion about a person.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The device authorization grant (RFC 8628 §3.4), served while `device_authz` is on.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The UMA grant (UMA 2.0 Grant §3.3.1), served while the `uma` feature is on.
pub const UMA_TICKET_GRANT: &str = "urn:ietf:params:oauth:grant-type:uma-ticket";

/// The authentication methods' names (ACRs) the auth-server knows: the password,
/// a passkey, the password and then a security key, the password and then a one-time
/// password, the password and then the person's Casa choice (`auth::authn::methods`, which
/// checks it names the same).
pub const ACRS: [&str; 5] = ["simple_password_auth", "passkey", "fido2", "otp", "casa"];

/// How strong each method of [`ACRS`] is, weakest first: a session whose ACR is weaker
/// than the one asked for signs in again (step-up), and a SAML `RequestedAuthnContext`
/// compares by it. Casa's is the person's own choice, which may be the password alone; a
/// one-time password can be phished, a WebAuthn credential cannot.
const ACR_LEVELS: [(&str, u8); 5] = [
    ("simple_password_auth", 10),
    ("casa", 15),
    ("passkey", 20),
    ("otp", 25),
    ("fido2", 30),
];

/// The strength of `acr` (the table above); unknown ACRs (from older sessions) count as the
/// weakest, 0.
pub fn acr_level(acr: &str) -> u8 {
    ACR_LEVELS
        .iter()
        .find(|(a, _)| *a == acr)
        .map_or(0, |(_, l)| *l)
}

/// Janssen's logging levels (`loggingLevel`).
pub const LOGGING_LEVELS: [&str; 7] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

/// The auth-server configuration. Field names serialize exactly as Janssen's properties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Config {
    /// The issuer identifier (OIDC Discovery §3, RFC 8414 §2): https URL (http only for
    /// localhost), no query or fragment.
    pub issuer: String,
    /// Access token lifetime in seconds.
    pub access_token_lifetime: u64,
    /// Refresh token lifetime in seconds.
    pub refresh_token_lifetime: u64,
    /// ID token lifetime in seconds.
    pub id_token_lifetime: u64,
    /// Whether signing keys rotate automatically (Janssen auth-key-rotation).
    pub key_regeneration_enabled: bool,
    /// Hours between rotations.
    pub key_regeneration_interval: u64,
    /// Algorithm for what the client did not choose (introspection JWTs, default id_token).
    pub default_signature_algorithm: Algorithm,
    /// Algorithms the key ring holds a key for.
    pub key_algs_allowed_for_generation: Vec<KeyAlgorithm>,
    /// Grant types enabled at the token endpoint.
    pub grant_types_supported: Vec<String>,
    /// When true, a bearer caller of the introspection endpoint needs `uma_protection` scope.
    pub introspection_access_token_must_have_uma_protection_scope: bool,
    /// Seconds between sweeps of expired grants.
    pub clean_service_interval: u64,
    /// Seconds within which every node applies a change to the shared configuration
    /// (PostgreSQL); nodes check at least every 60 s.
    pub configuration_update_interval: u64,
    /// Most expired records deleted per sweep batch.
    pub clean_service_batch_chunk_size: usize,
    /// Seconds of clock skew tolerated on JWT time claims.
    pub clock_skew_seconds: u64,
    /// Longest accepted lifetime of a client assertion (RFC 7523 §3 item 4), seconds.
    pub client_assertion_max_lifetime: u64,
    /// Seconds a fetched client `jwks_uri` document is cached.
    pub jwks_uri_cache_lifetime: u64,
    /// Authorization code lifetime in seconds (RFC 6749 §4.1.2: short).
    pub authorization_code_lifetime: u64,
    /// Longest life of a browser session, seconds.
    pub session_id_lifetime: u64,
    /// A session unused this long ends, seconds.
    pub session_id_unused_lifetime: u64,
    /// Seconds a pending login/consent interaction stays valid.
    pub interaction_lifetime: u64,
    /// Janssen: issue refresh tokens only when the `offline_access` scope was granted.
    pub force_offline_access_scope_to_enable_refresh_token: bool,
    /// Janssen `pairwiseIdType`: only `algorithmic` (computed, nothing stored) is supported.
    pub pairwise_id_type: String,
    /// HMAC key of algorithmic pairwise subjects; empty means one derived from the master key.
    pub pairwise_calculation_key: String,
    /// Salt of algorithmic pairwise subjects.
    pub pairwise_calculation_salt: String,
    /// Clients of one sector see the same pairwise subject (else it differs per client).
    pub share_subject_id_between_clients_with_same_sector_id: bool,
    /// Issuers of software statements (RFC 7591 §2.3) and the keys that verify them.
    pub trusted_ssa_issuers: std::collections::BTreeMap<String, crate::jose::Jwks>,
    /// Open `/register` for dynamic client registration (RFC 7591).
    pub dynamic_registration_enabled: bool,
    /// Registration needs an initial access token (RFC 7591 §3): a bearer access token
    /// carrying `dynamicRegistrationInitialAccessScope`.
    pub dynamic_registration_requires_initial_access_token: bool,
    /// The scope an initial access token must carry.
    pub dynamic_registration_initial_access_scope: String,
    /// Grant types a dynamically registered client may ask for.
    pub dynamic_registration_allowed_grant_types: Vec<String>,
    /// Scopes a dynamically registered client may ask for.
    pub dynamic_registration_allowed_scopes: Vec<String>,
    /// Require PKCE from every client, not just public ones and those with `require_pkce`.
    pub require_pkce: bool,
    /// The authentication method (ACR) a sign-in uses when the request's `acr_values` name
    /// none this server offers (Janssen's default authentication method, the config API's
    /// `acrs`): one of [`ACRS`]; the password's when the method needs a component this
    /// server lacks.
    pub default_acr: String,
    /// How much the host logs (Janssen's `loggingLevel`: `TRACE`, `DEBUG`, `INFO`, `WARN`,
    /// `ERROR`, `FATAL` or `OFF`), applied by the host at runtime (unless `RUST_LOG` says).
    pub logging_level: String,
    /// The members a person created through the config API must be given (Janssen's
    /// config API `userMandatoryAttributes`: member names of its `CustomUser`, or of its
    /// `customAttributes`).
    pub user_mandatory_attributes: Vec<String>,
    /// Accept the PKCE `plain` method (RFC 7636 §4.2); S256 only when false.
    pub allow_pkce_plain: bool,
    /// Janssen's feature flags: empty for the default set (all but `uma`), or exactly the
    /// features enabled ([`features::FEATURE_FLAGS`]).
    pub feature_flags: Vec<String>,
    /// Seconds a registered UMA resource lives unless its registration says (`exp`).
    pub uma_resource_lifetime: u64,
    /// Only the client that registered an UMA resource may read, change or delete it
    /// (else any PAT of the same resource owner may).
    pub uma_restrict_resource_to_associated_client: bool,
    /// Seconds a permission ticket stays valid (Janssen's `umaTicketLifetime`).
    pub uma_ticket_lifetime: u64,
    /// Seconds a requesting party token (RPT) lives (Janssen's `umaRptLifetime`).
    pub uma_rpt_lifetime: u64,
    /// Seconds a persisted claims token (PCT) lives (Janssen's `umaPctLifetime`).
    pub uma_pct_lifetime: u64,
    /// Issue RPTs as signed JWTs for every client (else only for clients registered with
    /// `rpt_as_jwt`; Janssen's `umaRptAsJwt`).
    pub uma_rpt_as_jwt: bool,
    /// A scope no UMA policy is bound to is granted (Janssen's `umaGrantAccessIfNoPolicies`).
    pub uma_grant_access_if_no_policies: bool,
    /// The Cedar policy file, or the directory of `.cedar` files, that decides UMA grants
    /// and AuthZEN evaluations (empty: none); read by the host at start and whenever the
    /// shared configuration changes.
    pub uma_cedar_policies: String,
    /// Every authorization request must be pushed first (RFC 9126 §5; Janssen's
    /// `requirePar`), whatever the client's `require_pushed_authorization_requests`.
    pub require_par: bool,
    /// Seconds a pushed authorization request's `request_uri` stays usable (RFC 9126 §2.2
    /// `expires_in`; Janssen's `requestUriParLifetime`).
    pub request_uri_par_lifetime: u64,
    /// The JWS algorithms a DPoP proof may be signed with (RFC 9449 §5.1; Janssen's
    /// `dpopSigningAlgValuesSupported`): asymmetric only (§4.2).
    pub dpop_signing_alg_values_supported: Vec<Algorithm>,
    /// Seconds a DPoP proof is accepted after its `iat` (Janssen's `dpopTimeframe`, §11.1);
    /// its `jti` is remembered exactly as long, plus `clockSkewSeconds`.
    pub dpop_timeframe: u64,
    /// Every DPoP proof must carry a nonce this server issued (RFC 9449 §8; Janssen's
    /// `dpopUseNonce`).
    pub dpop_use_nonce: bool,
    /// Seconds a DPoP nonce this server issued stays acceptable (Janssen's
    /// `dpopNonceCacheTime`).
    pub dpop_nonce_cache_time: u64,
    /// The `request` parameter is taken (OIDC Core §6.1; Janssen's `requestParameterSupported`).
    pub request_parameter_supported: bool,
    /// The `request_uri` parameter is taken by reference (OIDC Core §6.2; Janssen's
    /// `requestUriParameterSupported`); PAR's own `request_uri`s are not affected.
    pub request_uri_parameter_supported: bool,
    /// Every `request_uri` must be one the client registered in `request_uris` (OIDC
    /// Discovery §3; Janssen's `requireRequestUriRegistration`).
    pub require_request_uri_registration: bool,
    /// Hosts a `request_uri` may not name (Janssen's `requestUriBlockList`).
    pub request_uri_block_list: Vec<String>,
    /// Every authorization request must come in a signed request object (RFC 9101 §10.5
    /// `require_signed_request_object`; Janssen's `forceSignedRequestObject`).
    pub force_signed_request_object: bool,
    /// The JWS algorithms request objects may be signed with (Janssen's
    /// `requestObjectSigningAlgValuesSupported`); `none` is never accepted.
    pub request_object_signing_alg_values_supported: Vec<Algorithm>,
    /// JWE `alg` values ID tokens may be encrypted with (OIDC Discovery §3; Janssen's
    /// `idTokenEncryptionAlgValuesSupported`); likewise for the `enc` values and for userinfo
    /// responses, RFC 9701 introspection responses, JARM responses and request objects.
    pub id_token_encryption_alg_values_supported: Vec<KeyAlg>,
    /// Janssen's `idTokenEncryptionEncValuesSupported`.
    pub id_token_encryption_enc_values_supported: Vec<Enc>,
    /// Janssen's `userInfoEncryptionAlgValuesSupported`.
    pub user_info_encryption_alg_values_supported: Vec<KeyAlg>,
    /// Janssen's `userInfoEncryptionEncValuesSupported`.
    pub user_info_encryption_enc_values_supported: Vec<Enc>,
    /// Janssen's `introspectionEncryptionAlgValuesSupported`.
    pub introspection_encryption_alg_values_supported: Vec<KeyAlg>,
    /// Janssen's `introspectionEncryptionEncValuesSupported`.
    pub introspection_encryption_enc_values_supported: Vec<Enc>,
    /// Janssen's `authorizationEncryptionAlgValuesSupported` (JARM).
    pub authorization_encryption_alg_values_supported: Vec<KeyAlg>,
    /// Janssen's `authorizationEncryptionEncValuesSupported` (JARM).
    pub authorization_encryption_enc_values_supported: Vec<Enc>,
    /// Janssen's `requestObjectEncryptionAlgValuesSupported` (RFC 9101 §6.1).
    pub request_object_encryption_alg_values_supported: Vec<KeyAlg>,
    /// Janssen's `requestObjectEncryptionEncValuesSupported`.
    pub request_object_encryption_enc_values_supported: Vec<Enc>,
    /// Janssen's `ssaConfiguration` (the SSA endpoint).
    pub ssa_configuration: grants::SsaConfiguration,
    /// CIBA delivery modes clients may register (OpenID CIBA Core §4; Janssen's
    /// `backchannelTokenDeliveryModesSupported`): `poll`, `ping`, `push`.
    pub backchannel_token_delivery_modes_supported: Vec<String>,
    /// Seconds a backchannel authentication request lives unless `requested_expiry` asks
    /// less (Janssen's `backchannelAuthenticationResponseExpiresIn`).
    pub backchannel_authentication_response_expires_in: u64,
    /// Seconds a poll or ping client waits between polls (Janssen's
    /// `backchannelAuthenticationResponseInterval`).
    pub backchannel_authentication_response_interval: u64,
    /// The longest `requested_expiry` taken, seconds (Janssen's
    /// `cibaMaxExpirationTimeAllowedSec`).
    pub ciba_max_expiration_time_allowed_sec: u64,
    /// Clients may register `backchannel_user_code_parameter` (CIBA Core §4; Janssen's
    /// `backchannelUserCodeParameterSupported`): their requests then carry the person's
    /// `user_code`, checked as their password.
    pub backchannel_user_code_parameter_supported: bool,
    /// The JWS algorithms signed CIBA authentication requests may use (CIBA Core §4, §7.1.1;
    /// Janssen's `backchannelAuthenticationRequestSigningAlgValuesSupported`): asymmetric
    /// only.
    pub backchannel_authentication_request_signing_alg_values_supported: Vec<Algorithm>,
    /// Seconds a device authorization's codes stay usable (RFC 8628 §3.2 `expires_in`;
    /// Janssen's `deviceAuthzRequestExpiresIn`).
    pub device_authz_request_expires_in: u64,
    /// Seconds a device waits between polls (RFC 8628 §3.2 `interval`; Janssen's
    /// `deviceAuthzTokenPollInterval`).
    pub device_authz_token_poll_interval: u64,
    /// The issuers whose assertions the JWT bearer grant takes (RFC 7523 §2.1; jans-rs's
    /// own). Empty: the grant refuses every assertion.
    pub jwt_bearer_trusted_issuers: Vec<grants::TrustedIssuer>,
    /// The `authorization_details` types clients may ask for (RFC 9396 §2; discovery's
    /// `authorization_details_types_supported`). Empty: none.
    pub authorization_details_types_supported: Vec<String>,
    /// `prompt=create` refused (Janssen's `disablePromptCreate`; OpenID Connect Prompt
    /// Create 1.0).
    pub disable_prompt_create: bool,
    /// The FAPI 2.0 Security Profile for every client (`auth::oauth::fapi2`; Janssen's
    /// `fapiCompatibility` is its FAPI 1 switch).
    pub fapi2_security_profile: bool,
    /// The certificate authorities `tls_client_auth` clients' certificates must chain to
    /// (RFC 8705 §2.1), as PEM texts (jans-rs's own: Janssen leaves the chain to its web
    /// server). Empty: no client can authenticate with `tls_client_auth`.
    pub mtls_trusted_ca_certificates: Vec<String>,
    /// The mutual-TLS alias of the authorization endpoint (RFC 8705 §5; Janssen's
    /// `mtlsAuthorizationEndpoint`), published in discovery's `mtls_endpoint_aliases` as
    /// `authorization_endpoint`; likewise each `mtls…` property below for its endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_authorization_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.token_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_token_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.revocation_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_token_revocation_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.userinfo_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_user_info_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.clientinfo_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_client_info_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.check_session_iframe`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_check_session_i_frame: Option<String>,
    /// `mtls_endpoint_aliases.end_session_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_end_session_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.jwks_uri`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_jwks_uri: Option<String>,
    /// `mtls_endpoint_aliases.registration_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_registration_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.id_generation_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_id_generation_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.introspection_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_introspection_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.pushed_authorization_request_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_par_endpoint: Option<String>,
    /// `mtls_endpoint_aliases.device_authorization_endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls_device_authz_endpoint: Option<String>,
    /// Seconds a transaction token lives (token exchange; Janssen's `txTokenLifetime`).
    pub tx_token_lifetime: u64,
    /// Failed logins tolerated on one interaction before it is abandoned.
    pub login_max_failures: u32,
    /// Per-user delay after repeated failed logins (Janssen).
    pub authentication_protection_configuration: AuthenticationProtectionConfiguration,
    /// Where the authorization endpoint sends the browser when the user must act; the
    /// interaction id is appended as `?interaction=ID`. Empty means the host's own pages at
    /// `{issuer}/jans-auth/interaction`.
    pub interaction_uri: String,
    /// Refuse outbound fetches (jwks_uri, sector_identifier_uri, back-channel logout URIs)
    /// to loopback, private, link-local and other non-public addresses, checked after DNS
    /// resolution and on every redirect (Janssen's `cimdBlockPrivateIp`, for every fetch).
    pub outbound_block_private_ip: bool,
    /// Addresses or CIDR blocks outbound fetches may reach even when
    /// `outboundBlockPrivateIp` refuses non-public ones (`10.1.0.0/16`, `fd00::/8`).
    pub outbound_allowed_addresses: Vec<String>,
    /// Where the stores live. A jans-rs host setting (Janssen keeps it in
    /// `jans.properties` as `persistence.type`), not an auth-server property.
    pub persistence: Persistence,
    /// The FIDO2 component's configuration (jans-fido2's `fido2Configuration`).
    pub fido2_configuration: fido2::Fido2Configuration,
    /// The SCIM component's configuration.
    pub scim_configuration: scim::ScimConfiguration,
    /// Casa's configuration: the administrator's rules for two-factor authentication.
    pub casa_configuration: casa::CasaConfiguration,
}

/// Janssen's `authenticationProtectionConfiguration`: slow down password guessing per user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AuthenticationProtectionConfiguration {
    /// Seconds a failed attempt is remembered.
    pub attempt_expiration: u64,
    /// Failures tolerated before every further attempt is delayed.
    pub maximum_allowed_attempts_without_delay: u32,
    /// Seconds each further attempt is delayed by the host.
    pub delay_time: u64,
    /// Switch.
    pub brute_force_protection_enabled: bool,
}

impl Default for AuthenticationProtectionConfiguration {
    fn default() -> Self {
        AuthenticationProtectionConfiguration {
            attempt_expiration: 15,
            maximum_allowed_attempts_without_delay: 4,
            delay_time: 2,
            brute_force_protection_enabled: true,
        }
    }
}

/// The store backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersistenceType {
    /// The embedded database in the data directory (one process).
    #[default]
    Sled,
    /// A PostgreSQL database shared by any number of processes.
    Postgres,
}

/// `[persistence]`: which backend, and for PostgreSQL where.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Persistence {
    /// `sled` (default) or `postgres`; `JANS_PERSISTENCE_TYPE` overrides it.
    #[serde(rename = "type")]
    pub kind: PersistenceType,
    /// The PostgreSQL connection string (`postgres://user:password@host:port/db` or libpq
    /// key=value); `JANS_DATABASE_URL` overrides it. Never logged.
    pub url: String,
    /// Most connections each process opens.
    pub max_connections: usize,
    /// PEM file of the CA certificates that sign the PostgreSQL server's certificate
    /// (`JANS_DATABASE_CA_FILE`); empty: the system's roots. Whether TLS is used is the
    /// URL's `sslmode` (`disable`, `prefer` (default), `require`); an encrypted connection
    /// is always verified, chain and name.
    pub ca_file: String,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            kind: PersistenceType::Sled,
            url: String::new(),
            max_connections: 16,
            ca_file: String::new(),
        }
    }
}

impl std::fmt::Debug for Persistence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("Persistence")
            .field("kind", &self.kind)
            .field("url", &if self.url.is_empty() { "" } else { "<set>" })
            .field("max_connections", &self.max_connections)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Hard ceiling on any token lifetime (one year), so arithmetic and retention stay sane.
pub const MAX_LIFETIME: u64 = 366 * 24 * 3600;

impl Config {
    /// The longest lifetime of anything a signing key may sign under this configuration
    /// (JWT access tokens, id tokens, introspection responses), before client overrides.
    pub fn max_signed_lifetime(&self) -> u64 {
        self.access_token_lifetime.max(self.id_token_lifetime)
    }

    /// Absolute URL of an endpoint path.
    pub fn endpoint_url(&self, path: &str) -> String {
        format!("{}{}", self.issuer.trim_end_matches('/'), path)
    }
}

impl crate::outbound::AddressPolicy {
    /// The policy of `config` (`outboundBlockPrivateIp`, `outboundAllowedAddresses`, whose
    /// entries [`Config::validate`] checked).
    pub fn of(config: &Config) -> crate::outbound::AddressPolicy {
        crate::outbound::AddressPolicy {
            block_private: config.outbound_block_private_ip,
            allow: config
                .outbound_allowed_addresses
                .iter()
                .filter_map(|c| crate::outbound::Cidr::parse(c))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's example configuration is a valid one, with the values it shows.
    #[test]
    fn the_readme_example_loads() {
        let readme = include_str!("../../../README.md");
        let (_, rest) = readme.split_once("### Configuration").unwrap();
        let (_, rest) = rest.split_once("```toml\n").unwrap();
        let (toml, _) = rest.split_once("```").unwrap();
        let c = Config::load(Some((toml, true)), []).unwrap();
        assert_eq!(c.issuer, "https://id.example.com");
        assert!(
            c.authentication_protection_configuration
                .brute_force_protection_enabled
        );
        assert_eq!(c.fido2_configuration.unfinished_request_expiration, 180);
        assert_eq!(c.jwks_uri_cache_lifetime, 300);
        assert_eq!(c.scim_configuration.max_count, 200);
        assert_eq!(
            c.scim_configuration.custom_attributes[0].name,
            "badgeNumber"
        );
    }

    #[test]
    fn defaults_are_janssens() {
        let c = Config::load(None, []).unwrap();
        assert_eq!(c.access_token_lifetime, 300);
        assert_eq!(c.refresh_token_lifetime, 14400);
        assert_eq!(c.id_token_lifetime, 3600);
        assert_eq!(c.key_regeneration_interval, 48);
        assert!(c.key_regeneration_enabled);
        assert_eq!(c.issuer, "http://localhost:8080");
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("accessTokenLifetime").is_some());
        assert!(v.get("keyRegenerationEnabled").is_some());
    }

    #[test]
    fn toml_json_and_env() {
        let c = Config::load(
            Some((
                "issuer = \"https://id.example.com\"\naccessTokenLifetime = 600\n",
                true,
            )),
            [
                ("JANS_ID_TOKEN_LIFETIME".to_owned(), "120".to_owned()),
                (
                    "JANS_KEY_ALGS_ALLOWED_FOR_GENERATION".to_owned(),
                    "ES256, RS256".to_owned(),
                ),
                ("JANS_DATA_DIR".to_owned(), "/x".to_owned()),
                ("OTHER".to_owned(), "1".to_owned()),
            ],
        )
        .unwrap();
        assert_eq!(c.issuer, "https://id.example.com");
        assert_eq!(c.access_token_lifetime, 600);
        assert_eq!(c.id_token_lifetime, 120);
        assert_eq!(
            c.key_algs_allowed_for_generation,
            vec![Algorithm::ES256, Algorithm::RS256]
        );
        let j = Config::load(Some((r#"{"refreshTokenLifetime": 5}"#, false)), []).unwrap();
        assert_eq!(j.refresh_token_lifetime, 5);
        let e = Config::load(None, [("JANS_ISSUER".into(), "https://a.example".into())]).unwrap();
        assert_eq!(e.issuer, "https://a.example");
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::load(Some(("accessTokenLifetime = 0", true)), []).unwrap_err();
        assert_eq!(e.key, "accessTokenLifetime");
        let e = Config::load(Some(("accesTokenLifetime = 10", true)), []).unwrap_err();
        assert_eq!(e.key, "accesTokenLifetime");
        let e = Config::load(Some(("accessTokenLifetime = \"ten\"", true)), []).unwrap_err();
        assert_eq!(e.key, "accessTokenLifetime");
        let e = Config::load(Some(("issuer = \"http://example.com\"", true)), []).unwrap_err();
        assert_eq!(e.key, "issuer");
        let e = Config::load(Some(("issuer = \"https://e.com/?a=b\"", true)), []).unwrap_err();
        assert_eq!(e.key, "issuer");
        let e = Config::load(Some(("defaultSignatureAlgorithm = \"none\"", true)), []).unwrap_err();
        assert_eq!(e.key, "defaultSignatureAlgorithm");
        let e = Config::load(
            Some((r#"keyAlgsAllowedForGeneration = ["ES256"]"#, true)),
            [],
        )
        .unwrap_err();
        assert_eq!(e.key, "defaultSignatureAlgorithm");
        let e =
            Config::load(None, [("JANS_ACCESS_TOKEN_LIFETIME".into(), "x".into())]).unwrap_err();
        assert_eq!(e.key, "accessTokenLifetime");
        let e = Config::load(
            Some((
                r#"grantTypesSupported = ["urn:example:grant-type:unknown"]"#,
                true,
            )),
            [],
        )
        .unwrap_err();
        assert_eq!(e.key, "grantTypesSupported");
    }

    #[test]
    fn persistence_from_file_and_environment() {
        let c = Config::load(None, []).unwrap();
        assert_eq!(c.persistence.kind, PersistenceType::Sled);
        let c = Config::load(
            Some(("[persistence]\ntype = \"postgres\"\nurl = \"postgres://u:secret@db/jans\"\nmaxConnections = 8", true)),
            [],
        )
        .unwrap();
        assert_eq!(c.persistence.kind, PersistenceType::Postgres);
        assert_eq!(c.persistence.max_connections, 8);
        assert!(
            !format!("{c:?}").contains("secret"),
            "the URL is never printed"
        );
        let c = Config::load(
            None,
            [
                ("JANS_PERSISTENCE_TYPE".into(), "postgres".into()),
                ("JANS_DATABASE_URL".into(), "postgres://db/jans".into()),
                ("JANS_DATABASE_CA_FILE".into(), "/etc/jans/db-ca.pem".into()),
            ],
        )
        .unwrap();
        assert_eq!(c.persistence.url, "postgres://db/jans");
        assert_eq!(c.persistence.ca_file, "/etc/jans/db-ca.pem");
        let e = Config::load(Some(("[persistence]\ntype = \"postgres\"", true)), []).unwrap_err();
        assert_eq!(e.key, "persistence.url");
        let e = Config::load(Some(("[persistence]\ntype = \"mysql\"", true)), []).unwrap_err();
        assert_eq!(e.key, "persistence.type");
        let e = Config::load(Some(("[persistence]\ndsn = \"x\"", true)), []).unwrap_err();
        assert!(e.key.starts_with("persistence"), "{}", e.key);
    }
}
