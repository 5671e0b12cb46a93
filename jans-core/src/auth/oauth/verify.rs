//! Local verification of the JWTs this server issues: RFC 9068 access tokens and OIDC ID
//! tokens, checked against the engine's own published keys with no store access. This is
//! what a resource server embedding the engine calls on every request; it cannot see a
//! revocation (use introspection, RFC 7662, for that).

use serde_json::{Map, Value};

use crate::auth::AuthServer;
use crate::auth::oauth::dpop;
use crate::ctx::UnixTime;
use crate::jose::{JoseError, jws, jwt};

/// Which of our tokens verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An RFC 9068 JWT access token (`typ: at+jwt`).
    AccessToken,
    /// An OIDC ID token (`typ: JWT`).
    IdToken,
}

impl TokenKind {
    /// `access_token` or `id_token`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::AccessToken => "access_token",
            TokenKind::IdToken => "id_token",
        }
    }
}

/// A token that verified: its kind and its claims.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedToken {
    /// Access or ID token.
    pub kind: TokenKind,
    /// The claims set, as signed.
    pub claims: Map<String, Value>,
}

/// Why a token did not verify. Each names the check that failed; none says more than the
/// caller could learn from the token itself.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a compact JWS we accept (RFC 7515 §5.2), or too large.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The `kid` names no key this server publishes (RFC 7515 §4.1.4).
    #[error("the token was not signed by a key of this server")]
    UnknownKey,
    /// The signature does not verify, or the header `alg` is not the key's (RFC 8725 §3.1).
    #[error("bad signature")]
    BadSignature,
    /// `typ` is neither `at+jwt` (RFC 9068 §4 step 1) nor `JWT` (an ID token): logout
    /// tokens, signed introspection and userinfo responses are not bearer credentials.
    #[error("not an access token or ID token of this server (typ {0})")]
    WrongType(String),
    /// A registered claim failed its check (RFC 7519 §4.1, RFC 9068 §4, OIDC Core §3.1.3.7).
    #[error("claim `{0}` is invalid")]
    Claim(&'static str),
    /// The token is bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.1) or a client certificate
    /// (`cnf.x5t#S256`, RFC 8705 §3.1): it verifies only with a proof of that key
    /// ([`AuthServer::verify_token_dpop`]) or over a connection with that certificate
    /// ([`AuthServer::verify_token_certificate`]), never as a bearer token.
    #[error(
        "the token is bound (DPoP-bound or certificate-bound): present it with a proof of its key or over mutual TLS"
    )]
    Bound,
    /// The token is certificate-bound and the connection's certificate is not that one
    /// (RFC 8705 §3).
    #[error("{0}")]
    Certificate(&'static str),
    /// The DPoP proof presented with the token is refused (RFC 9449 §4.3, §7.1).
    #[error("{0}")]
    Proof(String),
}

impl From<JoseError> for VerifyError {
    fn from(e: JoseError) -> Self {
        match e {
            JoseError::BadSignature | JoseError::KeyMismatch => VerifyError::BadSignature,
            JoseError::InvalidClaim(c) => VerifyError::Claim(c),
            other => VerifyError::Malformed(other.to_string()),
        }
    }
}

/// Verify `token` as one of this server's access or ID tokens at time `now`.
///
/// Checks, in order: compact JWS syntax (never `alg: none`, no unknown `crit`); a `kid` that
/// names a key this server publishes (current, next or retired-but-published), whose
/// algorithm is the header's; the signature; `typ` (RFC 9068 §4 step 1 for access tokens,
/// `JWT` for ID tokens); `iss` equal to the configured issuer (RFC 9068 §4 step 3, OIDC Core
/// §3.1.3.7 step 2); `exp` present and not passed, `nbf` and `iat` not in the future, each
/// with `clockSkewSeconds` of leeway (RFC 7519 §4.1.4–§4.1.6); `sub` and `iat` present; and,
/// when `audience` is given, that `aud` contains it (RFC 9068 §4 step 4, OIDC Core §3.1.3.7
/// step 3).
pub fn verify(
    auth: &AuthServer,
    token: &str,
    audience: Option<&str>,
    now: UnixTime,
) -> Result<VerifiedToken, VerifyError> {
    let unverified = jws::decode(token)?;
    let kid = unverified
        .header()
        .kid
        .clone()
        .ok_or(VerifyError::UnknownKey)?;
    let kind = match unverified.header().typ.as_deref() {
        Some(t)
            if t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt") =>
        {
            TokenKind::AccessToken
        }
        Some("JWT") => TokenKind::IdToken,
        // The header is not authenticated yet: echo at most 64 characters of it, cut on a
        // character boundary (a byte cut inside a multi-byte character would panic).
        other => {
            return Err(VerifyError::WrongType(
                other.unwrap_or("absent").chars().take(64).collect(),
            ));
        }
    };
    let ring = auth.keys().ring();
    let key = ring.verifier(&kid).ok_or(VerifyError::UnknownKey)?;
    let payload = unverified.verify(key.as_ref())?;
    let claims = jwt::parse_claims(&payload)?;
    let config = auth.config();
    let validation = jwt::Validation {
        issuer: Some(&config.issuer),
        audience,
        now,
        leeway: config.clock_skew_seconds,
        require_exp: true,
        max_lifetime: None,
    };
    jwt::validate(&claims, &validation)?;
    for required in ["sub", "iat"] {
        if !claims.contains_key(required) {
            return Err(VerifyError::Claim(required));
        }
    }
    if kind == TokenKind::IdToken && claims.get("aud").is_none() {
        return Err(VerifyError::Claim("aud"));
    }
    Ok(VerifiedToken { kind, claims })
}

/// The `cnf.jkt` of verified claims (RFC 9449 §6.1), if the token is DPoP-bound.
fn bound_key(claims: &Map<String, Value>) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

/// The `cnf.x5t#S256` of verified claims (RFC 8705 §3.1), if the token is
/// certificate-bound.
fn bound_certificate(claims: &Map<String, Value>) -> Option<&str> {
    claims.get("cnf")?.get("x5t#S256")?.as_str()
}

/// RFC 8705 §3: a certificate-bound token passes only with its certificate.
fn check_certificate(
    claims: &Map<String, Value>,
    certificate: Option<&[u8]>,
) -> Result<(), VerifyError> {
    crate::auth::oauth::mtls::check_presentation(
        bound_certificate(claims),
        certificate.map(crate::x509::thumbprint_s256).as_deref(),
    )
    .map_err(VerifyError::Certificate)
}

impl AuthServer {
    /// [`verify`] on this engine: is `token` one of our live access or ID tokens, presented
    /// as a bearer token? A DPoP-bound token is refused ([`VerifyError::Bound`]): whoever
    /// holds a copy must not pass with it alone.
    pub fn verify_token(
        &self,
        token: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<VerifiedToken, VerifyError> {
        let verified = verify(self, token, audience, now)?;
        if bound_key(&verified.claims).is_some() || bound_certificate(&verified.claims).is_some() {
            return Err(VerifyError::Bound);
        }
        Ok(verified)
    }

    /// [`verify`] of an access token presented over a mutual-TLS connection whose client
    /// certificate is `certificate` (DER): the token is one of ours, bound to that
    /// certificate (`cnf.x5t#S256`, RFC 8705 §3), and not also DPoP-bound (those pass
    /// [`AuthServer::verify_token_dpop`] with the certificate).
    pub fn verify_token_certificate(
        &self,
        token: &str,
        certificate: &[u8],
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<VerifiedToken, VerifyError> {
        let verified = verify(self, token, audience, now)?;
        if bound_certificate(&verified.claims).is_none() {
            return Err(VerifyError::Certificate(
                "the token is not certificate-bound; present it as a bearer token",
            ));
        }
        if bound_key(&verified.claims).is_some() {
            return Err(VerifyError::Bound);
        }
        check_certificate(&verified.claims, Some(certificate))?;
        Ok(verified)
    }

    /// [`verify`] of an access token presented with the `DPoP` scheme and the proof `proof`
    /// of a request `method` `url` (RFC 9449 §7.1): the token is one of ours, bound to a key
    /// (`cnf.jkt`), and the proof passes every check of §4.3 for this request and this token
    /// (`ath`), is of that key, and is used for the first time (its `jti` is remembered in
    /// the grant store, so a replay is refused on every node). `dpopUseNonce` is not applied
    /// here: a resource server hands out nonces of its own. A token also bound to a client
    /// certificate passes only with that `certificate` (DER) of the connection.
    #[allow(clippy::too_many_arguments)]
    pub async fn verify_token_dpop(
        &self,
        token: &str,
        proof: &str,
        method: &str,
        url: &str,
        certificate: Option<&[u8]>,
        audience: Option<&str>,
        ctx: &crate::ctx::Ctx,
    ) -> Result<VerifiedToken, VerifyError> {
        let verified = verify(self, token, audience, ctx.now)?;
        check_certificate(&verified.claims, certificate)?;
        let jkt = bound_key(&verified.claims).ok_or_else(|| {
            VerifyError::Proof("the token is not DPoP-bound; present it as a bearer token".into())
        })?;
        let expected = dpop::Expected {
            method,
            url,
            alias: None,
            access_token: Some(token),
        };
        let checked = dpop::check(
            proof,
            &expected,
            &dpop::Rules::of(&self.config(), ctx.now),
            self.provider().as_ref(),
        )
        .map_err(|e| VerifyError::Proof(e.to_string()))?;
        if checked.jkt != jkt {
            return Err(VerifyError::Proof(
                "invalid DPoP proof: the proof is not of the token's key".into(),
            ));
        }
        dpop::remember(self, &checked, ctx)
            .await
            .map_err(|e| VerifyError::Proof(e.to_string()))?;
        Ok(verified)
    }
}
