//! OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2), and Janssen's own
//! `/.well-known/jans-configuration`. Lists exactly what this build implements, nothing
//! more.

use crate::auth::AuthServer;
use crate::config::Config;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::Algorithm;
use crate::repo::client::AuthMethod;
use crate::request::AuthEndpoint;

/// The AuthZEN API's base, as Janssen names it (`access_evaluation_v1_endpoint`).
const ACCESS_EVALUATION_V1: &str = "/jans-auth/restv1/access/v1";

/// The discovery document for `config`, listing the `scopes` marked
/// `showInConfigurationEndpoint`.
pub fn document(
    config: &Config,
    scopes: &[crate::repo::scope::Scope],
    with_keys: bool,
) -> serde_json::Value {
    let listed: Vec<&str> = scopes
        .iter()
        .filter(|s| s.attributes.show_in_configuration_endpoint)
        .map(|s| s.id.as_str())
        .collect();
    let url = |e: AuthEndpoint| config.endpoint_url(&crate::auth::paths::path(&e));
    // FAPI 2.0 narrows the methods and algorithms (§5.3.2.1, §5.4.1).
    let fapi2 = crate::auth::oauth::fapi2::on(config);
    let allowed = |a: &&Algorithm| crate::auth::oauth::fapi2::alg_allowed(config, **a);
    let methods: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| crate::auth::oauth::fapi2::method_allowed(config, **m))
        .map(|m| m.as_str())
        .collect();
    let authenticating: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| {
            **m != AuthMethod::None && crate::auth::oauth::fapi2::method_allowed(config, **m)
        })
        .map(|m| m.as_str())
        .collect();
    let mut signing: Vec<&str> = if fapi2 {
        Vec::new()
    } else {
        vec!["HS256", "HS384", "HS512"]
    };
    signing.extend(
        Algorithm::ASYMMETRIC
            .iter()
            .filter(allowed)
            .map(|a| a.as_str()),
    );
    let ours: Vec<&str> = config
        .key_algs_allowed_for_generation
        .iter()
        .filter_map(|a| a.signing())
        .filter(|a| allowed(&a))
        .map(|a| a.as_str())
        .collect();
    // The UMA grant is listed while UMA answers (its feature flag).
    let grant_types: Vec<&String> = config
        .grant_types_supported
        .iter()
        .filter(|g| *g != crate::config::UMA_TICKET_GRANT || config.feature_enabled("uma"))
        .filter(|g| {
            *g != crate::config::DEVICE_CODE_GRANT || config.feature_enabled("device_authz")
        })
        .filter(|g| *g != crate::config::CIBA_GRANT || (config.feature_enabled("ciba") && !fapi2))
        .filter(|g| !fapi2 || (*g != "implicit" && *g != "password"))
        .collect();
    let mut doc = serde_json::json!({
        "issuer": config.issuer,
        "token_endpoint": url(AuthEndpoint::Token),
        "jwks_uri": url(AuthEndpoint::Jwks),
        "introspection_endpoint": url(AuthEndpoint::Introspection),
        "revocation_endpoint": url(AuthEndpoint::Revocation),
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": signing,
        "introspection_endpoint_auth_methods_supported": authenticating,
        "introspection_endpoint_auth_signing_alg_values_supported": signing,
        "revocation_endpoint_auth_methods_supported": authenticating,
        "revocation_endpoint_auth_signing_alg_values_supported": signing,
        "introspection_signing_alg_values_supported": ours,
        "access_token_signing_alg_values_supported": ours,
        // RFC 9396 §10.
        "authorization_details_types_supported": config.authorization_details_types_supported,
        // RFC 9449 §5.1; EdDSA also by its fully-specified name (RFC 9864 §2.2).
        "dpop_signing_alg_values_supported": crate::auth::oauth::dpop::alg_names(config),
        // RFC 8705 §3.3.
        "tls_client_certificate_bound_access_tokens": true,
        // RFC 9701 §7.
        "introspection_encryption_alg_values_supported": config.introspection_encryption_alg_values_supported,
        "introspection_encryption_enc_values_supported": config.introspection_encryption_enc_values_supported,
    });
    // RFC 8705 §5: the endpoints' mutual-TLS aliases that are configured.
    let aliases = config.mtls_aliases();
    if !aliases.is_empty()
        && let Some(d) = doc.as_object_mut()
    {
        let map: serde_json::Map<String, serde_json::Value> = aliases
            .into_iter()
            .map(|(name, _, url)| (name.to_owned(), url.into()))
            .collect();
        d.insert("mtls_endpoint_aliases".into(), map.into());
    }
    // Janssen's SSA endpoint while its flag is on.
    if config.feature_enabled("ssa")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert("ssa_endpoint".into(), url(AuthEndpoint::Ssa).into());
    }
    // OpenID CIBA Core §4 while its flag is on (not under FAPI 2.0, which has no CIBA).
    if config.feature_enabled("ciba")
        && !fapi2
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "backchannel_authentication_endpoint".into(),
            url(AuthEndpoint::BackchannelAuthentication).into(),
        );
        d.insert(
            "backchannel_token_delivery_modes_supported".into(),
            config
                .backchannel_token_delivery_modes_supported
                .clone()
                .into(),
        );
        d.insert(
            "backchannel_user_code_parameter_supported".into(),
            config.backchannel_user_code_parameter_supported.into(),
        );
        let signing: Vec<&str> = config
            .backchannel_authentication_request_signing_alg_values_supported
            .iter()
            .filter(|a| crate::auth::oauth::fapi2::alg_allowed(config, **a))
            .map(|a| a.as_str())
            .collect();
        d.insert(
            "backchannel_authentication_request_signing_alg_values_supported".into(),
            signing.into(),
        );
    }
    // RFC 9126 §5: the PAR endpoint while its flag is on, and whether PAR is required.
    if config.feature_enabled("par")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "pushed_authorization_request_endpoint".into(),
            url(AuthEndpoint::Par).into(),
        );
        d.insert(
            "require_pushed_authorization_requests".into(),
            (config.require_par || fapi2).into(),
        );
    }
    // Janssen lists its client info endpoint while its flag is on.
    if config.feature_enabled("clientinfo")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "clientinfo_endpoint".into(),
            url(AuthEndpoint::ClientInfo).into(),
        );
    }
    // Janssen lists its global token revocation endpoint while its flag is on.
    if config.feature_enabled("global_token_revocation")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "global_token_revocation_endpoint".into(),
            url(AuthEndpoint::GlobalTokenRevocation).into(),
        );
    }
    // RFC 8628 §4: the device authorization endpoint while its flag is on.
    if config.feature_enabled("device_authz")
        && config
            .grant_types_supported
            .iter()
            .any(|g| g == crate::config::DEVICE_CODE_GRANT)
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "device_authorization_endpoint".into(),
            url(AuthEndpoint::DeviceAuthorization).into(),
        );
    }
    // Janssen's OpenIdConfiguration lists the AuthZEN API's base while its flag is on (the
    // AuthZEN metadata itself is at /.well-known/authzen-configuration).
    if config.feature_enabled("access_evaluation")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "access_evaluation_v1_endpoint".into(),
            config.endpoint_url(ACCESS_EVALUATION_V1).into(),
        );
    }
    if config.dynamic_registration_enabled
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "registration_endpoint".into(),
            url(AuthEndpoint::Register).into(),
        );
    }
    if config
        .grant_types_supported
        .iter()
        .any(|g| g == "authorization_code")
    {
        let mut response_types = vec!["code"];
        if !fapi2 && config.grant_types_supported.iter().any(|g| g == "implicit") {
            response_types.extend([
                "id_token",
                "token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token",
            ]);
        }
        let mut prompts = vec!["none", "login", "consent", "select_account"];
        if !config.disable_prompt_create {
            prompts.push("create");
        }
        // Clients encrypt request objects to a key of ours (an algorithm we generate keys
        // for) or to their secret.
        let request_object_encryption: Vec<&str> = config
            .request_object_encryption_alg_values_supported
            .iter()
            .filter(|a| {
                a.is_symmetric()
                    || config
                        .key_algs_allowed_for_generation
                        .contains(&(**a).into())
            })
            .map(|a| a.as_str())
            .collect();
        let mut pkce = vec!["S256"];
        if config.allow_pkce_plain && !fapi2 {
            pkce.push("plain");
        }
        let extra = serde_json::json!({
            "authorization_endpoint": url(AuthEndpoint::Authorize),
            "userinfo_endpoint": url(AuthEndpoint::Userinfo),
            "end_session_endpoint": url(AuthEndpoint::EndSession),
            "check_session_iframe": config.endpoint_url(crate::auth::oidc::session_management::CHECK_SESSION_PATH),
            "backchannel_logout_supported": true,
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            "backchannel_logout_session_supported": true,
            "userinfo_signing_alg_values_supported": ours,
            "response_types_supported": response_types,
            // JARM §4 adds its modes and algorithms.
            "response_modes_supported": ["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"],
            "authorization_signing_alg_values_supported": ours,
            "authorization_encryption_alg_values_supported": config.authorization_encryption_alg_values_supported,
            "authorization_encryption_enc_values_supported": config.authorization_encryption_enc_values_supported,
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ours,
            // OIDC Discovery §3 (OIDC Core §10.2).
            "id_token_encryption_alg_values_supported": config.id_token_encryption_alg_values_supported,
            "id_token_encryption_enc_values_supported": config.id_token_encryption_enc_values_supported,
            "userinfo_encryption_alg_values_supported": config.user_info_encryption_alg_values_supported,
            "userinfo_encryption_enc_values_supported": config.user_info_encryption_enc_values_supported,
            "code_challenge_methods_supported": pkce,
            "prompt_values_supported": prompts,
            "claims_supported": crate::auth::oidc::claims::SUPPORTED,
            "scopes_supported": listed,
            "claims_parameter_supported": true,
            "acr_values_supported": crate::auth::authn::methods::supported(with_keys),
            // OIDC Core §6, RFC 9101 §10.5.
            "request_parameter_supported": config.request_parameter_supported,
            "request_uri_parameter_supported": config.request_uri_parameter_supported,
            "require_request_uri_registration": config.require_request_uri_registration,
            "require_signed_request_object": config.force_signed_request_object,
            "request_object_signing_alg_values_supported": config
                .request_object_signing_alg_values_supported
                .iter()
                .filter(|a| allowed(a))
                .map(|a| a.as_str())
                .collect::<Vec<_>>(),
            "request_object_encryption_alg_values_supported": request_object_encryption,
            "request_object_encryption_enc_values_supported": config.request_object_encryption_enc_values_supported,
            "authorization_response_iss_parameter_supported": true,
        });
        if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
    }
    doc
}

/// `/.well-known/jans-configuration`, behind Janssen's `jans_configuration` flag: Janssen's
/// `GluuConfiguration` (`introspection_endpoint`, `auth_level_mapping` — each level and the
/// ACRs at it —, `scope_to_claims_mapping` from the stored scopes) and, while
/// `access_evaluation` is on, the AuthZEN API's base (`access_evaluation_v1_endpoint`).
pub fn jans(auth: &AuthServer) -> Result<crate::response::Response, Error> {
    let config = auth.config();
    if !config.feature_enabled("jans_configuration") {
        return Err(OAuthError::new(
            ErrorCode::NotFound,
            "the jans configuration endpoint is not enabled (featureFlags)",
        )
        .into());
    }
    let mut levels: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for acr in crate::auth::authn::methods::supported(auth.key_ceremonies().is_some()) {
        levels
            .entry(crate::auth::authn::methods::level(acr).to_string())
            .or_default()
            .push(acr);
    }
    let scopes = auth.scopes();
    let claims: serde_json::Map<String, serde_json::Value> = scopes
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                crate::repo::scope::claims_of(&scopes, &s.id).into(),
            )
        })
        .collect();
    let mut doc = serde_json::json!({
        "introspection_endpoint": config.endpoint_url("/jans-auth/restv1/introspection"),
        "auth_level_mapping": levels,
        "scope_to_claims_mapping": claims,
    });
    if config.feature_enabled("access_evaluation")
        && let Some(d) = doc.as_object_mut()
    {
        d.insert(
            "access_evaluation_v1_endpoint".into(),
            config.endpoint_url(ACCESS_EVALUATION_V1).into(),
        );
    }
    Ok(crate::response::Response::public_json(doc, 3600))
}
