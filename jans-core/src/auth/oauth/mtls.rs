//! OAuth 2.0 Mutual-TLS Client Authentication and Certificate-Bound Access Tokens
//! (RFC 8705).
//!
//! The host terminates TLS (or a trusted proxy does and forwards the certificate) and puts
//! the client's certificate in [`Request::client_certificate`], with the intermediates it
//! sent in [`Request::client_certificate_chain`]. The TLS layer has already checked that the
//! client holds the certificate's private key; what the certificate *means* is decided here:
//!
//! - `tls_client_auth` (§2.1): the chain leads, at the request's time, to one of
//!   `mtlsTrustedCaCertificates`, and the certificate carries the one name the client
//!   registered (`tls_client_auth_subject_dn` or a `tls_client_auth_san_*`).
//! - `self_signed_tls_client_auth` (§2.2): the certificate is one the client registered
//!   as `x5c` in its `jwks` or `jwks_uri` (fetched again once when none matches). No chain
//!   is built (§2.2 "not validated against a trust anchor").
//! - Certificate-bound tokens (§3): a client registered with
//!   `tls_client_certificate_bound_access_tokens` (and every client under FAPI 2.0 without
//!   DPoP) gets access tokens carrying `cnf.x5t#S256` of the certificate it used; a public
//!   client's refresh tokens are bound too (§4). Where such a token is presented (userinfo,
//!   the introspection endpoint's own caller, [`AuthServer::verify_token_certificate`]),
//!   the request's certificate must be that one, else 401 `invalid_token` (§3).

use std::sync::Arc;

use crate::auth::AuthServer;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::Jwks;
use crate::repo::client::{AuthMethod, Client, ClientMetadata};
use crate::request::Request;
use crate::x509::names::Expected;
use crate::x509::{self, Certificate};

fn meta_err(msg: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, msg)
}

fn failed() -> OAuthError {
    // One message for every failure, as for the other methods (client_auth).
    OAuthError::invalid_client("client authentication failed")
}

/// The names a `tls_client_auth` client registered (RFC 8705 §2.1.2).
pub fn expected_names(m: &ClientMetadata) -> Vec<Expected<'_>> {
    [
        m.tls_client_auth_subject_dn
            .as_deref()
            .map(Expected::SubjectDn),
        m.tls_client_auth_san_dns.as_deref().map(Expected::SanDns),
        m.tls_client_auth_san_uri.as_deref().map(Expected::SanUri),
        m.tls_client_auth_san_ip.as_deref().map(Expected::SanIp),
        m.tls_client_auth_san_email
            .as_deref()
            .map(Expected::SanEmail),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The certificates in a JWK Set's `x5c` members (RFC 7517 §4.7: standard base64 DER, the
/// key's own certificate first): what a `self_signed_tls_client_auth` client registers.
fn registered_certificates(jwks: &Jwks) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    jwks.keys
        .iter()
        .filter_map(|k| k.extra.get("x5c")?.as_array()?.first()?.as_str())
        .filter_map(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
        .collect()
}

/// RFC 8705 §2.1.2 and §2.2 at registration: a `tls_client_auth` client names exactly one
/// well-formed subject DN or alternative name, and only such a client names one; a
/// `self_signed_tls_client_auth` client has keys, and inline keys hold a certificate.
pub(crate) fn normalize(m: &ClientMetadata, config: &Config) -> Result<(), OAuthError> {
    let names = expected_names(m);
    match m.token_endpoint_auth_method {
        AuthMethod::TlsClientAuth => {
            let [one] = names.as_slice() else {
                return Err(meta_err(
                    "tls_client_auth needs exactly one of tls_client_auth_subject_dn, \
                     tls_client_auth_san_dns, _san_uri, _san_ip, _san_email",
                ));
            };
            one.check().map_err(|e| meta_err(e.to_string()))?;
            if config.mtls_trusted_ca_certificates.is_empty() {
                return Err(meta_err(
                    "tls_client_auth needs the server's mtlsTrustedCaCertificates",
                ));
            }
        }
        _ if !names.is_empty() => {
            return Err(meta_err(
                "tls_client_auth_* metadata is only for token_endpoint_auth_method tls_client_auth",
            ));
        }
        AuthMethod::SelfSignedTlsClientAuth => match (&m.jwks, &m.jwks_uri) {
            (Some(jwks), _) => {
                let certs = registered_certificates(jwks);
                if certs.is_empty() || certs.iter().any(|c| Certificate::parse(c).is_err()) {
                    return Err(meta_err(
                        "self_signed_tls_client_auth needs jwks keys whose x5c holds the \
                         client's certificate",
                    ));
                }
            }
            (None, Some(_)) => {}
            (None, None) => {
                return Err(meta_err(
                    "self_signed_tls_client_auth needs jwks or jwks_uri",
                ));
            }
        },
        _ => {}
    }
    Ok(())
}

/// The certificate of the request's mutual-TLS connection, if it has one that parses.
pub fn certificate(req: &Request) -> Option<Certificate> {
    Certificate::parse(req.client_certificate.as_deref()?).ok()
}

/// `x5t#S256` of the request's certificate (§3.1), if it has one.
pub fn thumbprint(req: &Request) -> Option<String> {
    req.client_certificate
        .as_deref()
        .map(crate::x509::thumbprint_s256)
}

/// Authenticate `client`, registered with a mutual-TLS method, by the request's
/// certificate (§2.1, §2.2).
pub(crate) async fn authenticate(
    auth: &AuthServer,
    client: &Client,
    req: &Request,
    ctx: &Ctx,
) -> Result<(), Error> {
    let cert = certificate(req).ok_or_else(|| {
        OAuthError::invalid_client("mutual TLS: the request carries no client certificate")
    })?;
    match client.metadata.token_endpoint_auth_method {
        AuthMethod::TlsClientAuth => by_ca(auth, client, &cert, req, ctx),
        AuthMethod::SelfSignedTlsClientAuth => by_registration(auth, client, &cert, ctx).await,
        _ => Err(failed().into()),
    }
}

/// §2.1: a chain to a trusted CA, valid now, and the registered name.
fn by_ca(
    auth: &AuthServer,
    client: &Client,
    cert: &Certificate,
    req: &Request,
    ctx: &Ctx,
) -> Result<(), Error> {
    let config = auth.config();
    let roots = config.mtls_trusted_roots();
    let mut chain = vec![cert.clone()];
    for der in req.client_certificate_chain.iter().take(x509::MAX_CHAIN) {
        chain.push(Certificate::parse(der).map_err(|_| failed())?);
    }
    if let Err(e) = x509::verify_chain(&chain, &roots, ctx.now, auth.provider().as_ref()) {
        tracing::debug!(client_id = %client.client_id, error = %e, "mTLS certificate refused");
        return Err(failed().into());
    }
    let names = expected_names(&client.metadata);
    if names.len() == 1 && names.iter().all(|n| n.matches(cert)) {
        Ok(())
    } else {
        tracing::debug!(
            client_id = %client.client_id,
            subject = %cert.subject_text(),
            "mTLS certificate does not carry the registered name"
        );
        Err(failed().into())
    }
}

/// §2.2: the certificate is one of the client's registered ones.
async fn by_registration(
    auth: &AuthServer,
    client: &Client,
    cert: &Certificate,
    ctx: &Ctx,
) -> Result<(), Error> {
    let registered = |jwks: &Arc<Jwks>| {
        registered_certificates(jwks)
            .iter()
            .any(|c| c.as_slice() == cert.der())
    };
    let jwks = crate::auth::oauth::client_auth::client_jwks(auth, client, ctx, false).await?;
    if registered(&jwks) {
        return Ok(());
    }
    if client.metadata.jwks_uri.is_some() {
        // The client may have rolled its certificate: fetch its jwks_uri again, once.
        let jwks = crate::auth::oauth::client_auth::client_jwks(auth, client, ctx, true).await?;
        if registered(&jwks) {
            return Ok(());
        }
    }
    Err(failed().into())
}

/// The certificate thumbprint the access (and refresh) tokens of this token request are
/// bound to: the request's, when the client asked for bound tokens
/// (`tls_client_certificate_bound_access_tokens`, which then requires one) or when FAPI 2.0
/// requires sender-constrained tokens and no DPoP proof binds them (§3; FAPI 2.0 §5.3.2.1
/// item 2).
pub(crate) fn binding(
    config: &Config,
    client: &Client,
    req: &Request,
    dpop_bound: bool,
) -> Result<Option<String>, OAuthError> {
    let wanted = client.metadata.tls_client_certificate_bound_access_tokens
        || (crate::auth::oauth::fapi2::on(config) && !dpop_bound);
    if !wanted {
        return Ok(None);
    }
    match thumbprint(req) {
        Some(t) => Ok(Some(t)),
        None if client.metadata.tls_client_certificate_bound_access_tokens => {
            Err(OAuthError::invalid_request(
                "this client's tokens are certificate-bound: request them over mutual TLS",
            ))
        }
        None => Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "FAPI 2.0: tokens must be sender-constrained with DPoP or mutual TLS",
        )),
    }
}

/// §3: a token bound to the certificate `bound` is used only over a connection with that
/// certificate, whose thumbprint is `shown`. The refusal's reason, for a 401
/// `invalid_token` (or, for a refresh token, `invalid_grant`).
pub fn check_presentation(bound: Option<&str>, shown: Option<&str>) -> Result<(), &'static str> {
    let Some(bound) = bound else {
        return Ok(());
    };
    match shown {
        None => Err("the access token is certificate-bound: present it over mutual TLS"),
        Some(t)
            if bool::from(subtle::ConstantTimeEq::ct_eq(
                t.as_bytes(),
                bound.as_bytes(),
            )) =>
        {
            Ok(())
        }
        Some(_) => Err("the access token is bound to another certificate"),
    }
}

/// The mutual-TLS alias of `endpoint` (RFC 8705 §5), when one is configured: DPoP proofs
/// (`htu`) and client assertions (`aud`) sent there may name it.
pub fn alias<'c>(config: &'c Config, endpoint: &crate::request::AuthEndpoint) -> Option<&'c str> {
    use crate::request::AuthEndpoint as E;
    let name = match endpoint {
        E::Authorize => "authorization_endpoint",
        E::Token => "token_endpoint",
        E::Revocation => "revocation_endpoint",
        E::Userinfo => "userinfo_endpoint",
        E::ClientInfo => "clientinfo_endpoint",
        E::EndSession => "end_session_endpoint",
        E::Register => "registration_endpoint",
        E::Introspection => "introspection_endpoint",
        E::Par => "pushed_authorization_request_endpoint",
        E::DeviceAuthorization => "device_authorization_endpoint",
        _ => return None,
    };
    config.mtls_alias(name)
}
