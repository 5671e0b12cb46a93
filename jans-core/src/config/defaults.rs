//! The default configuration: Janssen's defaults where Janssen has the property.

use super::*;

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: "http://localhost:8080".to_owned(),
            access_token_lifetime: 300,
            refresh_token_lifetime: 14400,
            id_token_lifetime: 3600,
            key_regeneration_enabled: true,
            key_regeneration_interval: 48,
            default_signature_algorithm: Algorithm::RS256,
            key_algs_allowed_for_generation: vec![
                KeyAlgorithm::Sig(Algorithm::RS256),
                KeyAlgorithm::Sig(Algorithm::RS384),
                KeyAlgorithm::Sig(Algorithm::RS512),
                KeyAlgorithm::Sig(Algorithm::ES256),
                KeyAlgorithm::Sig(Algorithm::ES384),
                KeyAlgorithm::Sig(Algorithm::ES512),
                KeyAlgorithm::Sig(Algorithm::PS256),
                KeyAlgorithm::Sig(Algorithm::PS384),
                KeyAlgorithm::Sig(Algorithm::PS512),
                KeyAlgorithm::Sig(Algorithm::EdDSA),
                // Keys clients encrypt request objects to (RFC 9101 §6.1; OIDC Core §10.2).
                KeyAlgorithm::Enc(KeyAlg::RsaOaep),
                KeyAlgorithm::Enc(KeyAlg::RsaOaep256),
                KeyAlgorithm::Enc(KeyAlg::EcdhEs),
            ],
            // `password` is implemented but off unless listed (RFC 9700 §2.4 advises against it).
            grant_types_supported: IMPLEMENTED_GRANT_TYPES
                .iter()
                .filter(|g| **g != "password")
                .map(|g| (*g).to_owned())
                .collect(),
            introspection_access_token_must_have_uma_protection_scope: false,
            clean_service_interval: 60,
            configuration_update_interval: 60,
            clean_service_batch_chunk_size: 10_000,
            clock_skew_seconds: 60,
            client_assertion_max_lifetime: 3600,
            jwks_uri_cache_lifetime: 300,
            authorization_code_lifetime: 60,
            session_id_lifetime: 86_400,
            session_id_unused_lifetime: 86_400,
            interaction_lifetime: 900,
            force_offline_access_scope_to_enable_refresh_token: true,
            pairwise_id_type: "algorithmic".to_owned(),
            pairwise_calculation_key: String::new(),
            pairwise_calculation_salt: String::new(),
            share_subject_id_between_clients_with_same_sector_id: true,
            trusted_ssa_issuers: std::collections::BTreeMap::new(),
            dynamic_registration_enabled: true,
            dynamic_registration_requires_initial_access_token: false,
            dynamic_registration_initial_access_scope: "dcr".to_owned(),
            dynamic_registration_allowed_grant_types: vec![
                "authorization_code".to_owned(),
                "refresh_token".to_owned(),
                "client_credentials".to_owned(),
            ],
            dynamic_registration_allowed_scopes: [
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
            ]
            .map(str::to_owned)
            .to_vec(),
            require_pkce: false,
            default_acr: ACRS[0].to_owned(),
            logging_level: "INFO".to_owned(),
            user_mandatory_attributes: [
                "mail",
                "displayName",
                "jansStatus",
                "userPassword",
                "givenName",
            ]
            .map(str::to_owned)
            .to_vec(),
            allow_pkce_plain: false,
            feature_flags: Vec::new(),
            // Janssen's default: 10,000 days.
            uma_resource_lifetime: 864_000_000,
            uma_restrict_resource_to_associated_client: false,
            uma_ticket_lifetime: 3600,
            require_par: false,
            request_uri_par_lifetime: 60,
            dpop_signing_alg_values_supported: Algorithm::ASYMMETRIC.to_vec(),
            dpop_timeframe: 5,
            dpop_use_nonce: false,
            dpop_nonce_cache_time: 3600,
            request_parameter_supported: true,
            request_uri_parameter_supported: true,
            require_request_uri_registration: false,
            request_uri_block_list: vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            force_signed_request_object: false,
            request_object_signing_alg_values_supported: [
                Algorithm::HS256,
                Algorithm::HS384,
                Algorithm::HS512,
            ]
            .into_iter()
            .chain(Algorithm::ASYMMETRIC)
            .collect(),
            id_token_encryption_alg_values_supported: KEY_ALGS.to_vec(),
            id_token_encryption_enc_values_supported: ENCS.to_vec(),
            user_info_encryption_alg_values_supported: KEY_ALGS.to_vec(),
            user_info_encryption_enc_values_supported: ENCS.to_vec(),
            introspection_encryption_alg_values_supported: KEY_ALGS.to_vec(),
            introspection_encryption_enc_values_supported: ENCS.to_vec(),
            authorization_encryption_alg_values_supported: KEY_ALGS.to_vec(),
            authorization_encryption_enc_values_supported: ENCS.to_vec(),
            request_object_encryption_alg_values_supported: KEY_ALGS.to_vec(),
            request_object_encryption_enc_values_supported: ENCS.to_vec(),
            ssa_configuration: grants::SsaConfiguration::default(),
            backchannel_token_delivery_modes_supported: ["poll", "ping", "push"]
                .map(str::to_owned)
                .to_vec(),
            backchannel_authentication_response_expires_in: 3600,
            backchannel_authentication_response_interval: 2,
            ciba_max_expiration_time_allowed_sec: 1800,
            backchannel_user_code_parameter_supported: false,
            backchannel_authentication_request_signing_alg_values_supported: Algorithm::ASYMMETRIC
                .to_vec(),
            device_authz_request_expires_in: 1800,
            device_authz_token_poll_interval: 5,
            jwt_bearer_trusted_issuers: Vec::new(),
            tx_token_lifetime: 180,
            fapi2_security_profile: false,
            mtls_trusted_ca_certificates: Vec::new(),
            mtls_authorization_endpoint: None,
            mtls_token_endpoint: None,
            mtls_token_revocation_endpoint: None,
            mtls_user_info_endpoint: None,
            mtls_client_info_endpoint: None,
            mtls_check_session_i_frame: None,
            mtls_end_session_endpoint: None,
            mtls_jwks_uri: None,
            mtls_registration_endpoint: None,
            mtls_id_generation_endpoint: None,
            mtls_introspection_endpoint: None,
            mtls_par_endpoint: None,
            mtls_device_authz_endpoint: None,
            disable_prompt_create: false,
            authorization_details_types_supported: Vec::new(),
            uma_rpt_lifetime: 3600,
            uma_pct_lifetime: 1_728_000,
            uma_rpt_as_jwt: false,
            uma_grant_access_if_no_policies: false,
            uma_cedar_policies: String::new(),
            login_max_failures: 5,
            authentication_protection_configuration: AuthenticationProtectionConfiguration::default(
            ),
            interaction_uri: String::new(),
            outbound_block_private_ip: true,
            outbound_allowed_addresses: Vec::new(),
            persistence: Persistence::default(),
            fido2_configuration: fido2::Fido2Configuration::default(),
            scim_configuration: scim::ScimConfiguration::default(),
            casa_configuration: super::casa::CasaConfiguration::default(),
        }
    }
}
