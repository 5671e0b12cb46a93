//! DPoP: OAuth 2.0 Demonstrating Proof of Possession (RFC 9449).
//!
//! A client signs a short JWT, the proof, with a key of its own and sends it in the `DPoP`
//! header (§4). At the token endpoint a proof binds what is issued to that key: access tokens
//! carry `cnf.jkt` (§6) and answer `token_type: DPoP` (§5); refresh tokens of public clients
//! are bound too (§5). An authorization code whose request named `dpop_jkt` (or was pushed
//! with a proof, RFC 9449 §10.1) is redeemed only with that key (§10). Where a bound access
//! token is presented — userinfo, introspection, [`AuthServer::verify_token_dpop`] — it must
//! come with the `DPoP` scheme and a proof of its key over that request and that token
//! (`ath`, §7). A proof's `jti` is accepted once (§11.1), and with `dpopUseNonce` only with
//! a nonce this server issued (§8, §9).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::config::Config;
use crate::crypto::CryptoProvider;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::{Algorithm, JoseError, jws, jwt};
use crate::request::{AuthEndpoint, Request};
use crate::response::{Body, Response};
use crate::store::{GrantKind, GrantRecord, StoreError};

/// `typ` of a DPoP proof (§4.2).
pub const PROOF_TYP: &str = "dpop+jwt";
/// `token_type` of a DPoP-bound access token (§5), and the authorization scheme it is
/// presented with (§7.1).
pub const TOKEN_TYPE: &str = "DPoP";
/// The header a server nonce travels in (§8).
pub const NONCE_HEADER: &str = "dpop-nonce";
/// A proof is a few hundred bytes; an RSA key makes it about two kilobytes.
const MAX_PROOF_LEN: usize = 8 * 1024;
/// JWK members of private keys (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2): a proof's
/// `jwk` must be public (§4.3 item 6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/// What sealed nonces are bound to, so no other sealed value passes as one.
const NONCE_AAD: &[u8] = b"jans:dpop-nonce";

/// What the proof must be about: the request it came with (§4.3 items 8, 9) and, at a
/// protected resource, the access token presented with it (item 12).
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL without query and fragment (`htu`).
    pub url: &'a str,
    /// The endpoint's mutual-TLS alias (RFC 8705 §5), which `htu` may name instead.
    pub alias: Option<&'a str>,
    /// The access token presented with the proof (`ath`), if any.
    pub access_token: Option<&'a str>,
}

/// What a proof may be: the algorithms, how old, the clock's leeway, and now.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    /// `dpopSigningAlgValuesSupported`.
    pub algs: &'a [Algorithm],
    /// `dpopTimeframe`: seconds after `iat` a proof is accepted.
    pub timeframe: u64,
    /// `clockSkewSeconds`, on both sides of the window.
    pub leeway: u64,
    /// Now.
    pub now: UnixTime,
    /// The FAPI 2.0 profile narrows the algorithms further.
    pub fapi2: bool,
}

impl<'a> Rules<'a> {
    /// The rules of `config` at `now`.
    pub fn of(config: &'a Config, now: UnixTime) -> Rules<'a> {
        Rules {
            algs: &config.dpop_signing_alg_values_supported,
            timeframe: config.dpop_timeframe,
            leeway: config.clock_skew_seconds,
            now,
            fapi2: crate::auth::oauth::fapi2::on(config),
        }
    }
}

/// A proof that passed [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 thumbprint of its key: what tokens are bound to (`cnf.jkt`, §6.1).
    pub jkt: String,
    /// Its `jti`.
    pub jti: String,
    /// Its `iat`.
    pub iat: UnixTime,
    /// Its `nonce`, if it carries one.
    pub nonce: Option<String>,
}

/// Why a proof is refused; says which check failed, never more than the proof shows.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("invalid DPoP proof: {0}")]
pub struct ProofError(pub &'static str);

/// The `ath` of an access token: base64url(SHA-256(token)) (§4.2).
pub fn ath(access_token: &str) -> String {
    crate::b64::encode(&Sha256::digest(access_token.as_bytes()))
}

/// Check a proof (§4.3 items 2–12), except its `jti`'s single use and its nonce's
/// freshness, which need the store and the server's key ([`verify_proof`]): a compact JWS
/// of at most 8 KiB, `typ` `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` of that
/// algorithm that verifies the signature, `jti`, `htm` and `htu` naming this request, `iat`
/// within `dpopTimeframe` (and `clockSkewSeconds`), and `ath` of the presented token.
pub fn check(
    proof: &str,
    expected: &Expected<'_>,
    rules: &Rules<'_>,
    provider: &dyn CryptoProvider,
) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError("too large"));
    }
    let unverified = jws::decode(proof).map_err(|e| match e {
        JoseError::AlgNone => ProofError("alg none"),
        JoseError::AlgorithmNotAllowed(_) => ProofError("alg not allowed"),
        JoseError::UnknownCrit(_) => ProofError("unknown crit"),
        _ => ProofError("not a compact JWS"),
    })?;
    let header = unverified.header();
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(PROOF_TYP))
    {
        return Err(ProofError("typ is not dpop+jwt"));
    }
    let alg = unverified.algorithm();
    if alg.is_symmetric()
        || !rules.algs.contains(&alg)
        || (rules.fapi2 && !crate::auth::oauth::fapi2::ALGS.contains(&alg))
    {
        return Err(ProofError("alg not allowed"));
    }
    let jwk = header.jwk.clone().ok_or(ProofError("jwk is missing"))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk.extra.contains_key(*m)) {
        return Err(ProofError("jwk holds a private key"));
    }
    if !jwk.fits(alg) {
        return Err(ProofError("jwk does not fit alg"));
    }
    let key = provider
        .verifying_key(alg, &jwk)
        .map_err(|_| ProofError("jwk is not a usable key"))?;
    let payload = unverified
        .verify(key.as_ref())
        .map_err(|_| ProofError("bad signature"))?;
    let claims = jwt::parse_claims(&payload).map_err(|_| ProofError("claims are not JSON"))?;
    let jti = text(&claims, "jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(ProofError("jti is missing"))?;
    if text(&claims, "htm") != Some(expected.method) {
        return Err(ProofError("htm is not this request's method"));
    }
    if !text(&claims, "htu").is_some_and(|u| {
        same_uri(u, expected.url) || expected.alias.is_some_and(|a| same_uri(u, a))
    }) {
        return Err(ProofError("htu is not this request's URL"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(ProofError("iat is missing"))?;
    if iat > rules.now.saturating_add(rules.leeway) {
        return Err(ProofError("iat is in the future"));
    }
    if iat
        .saturating_add(rules.timeframe)
        .saturating_add(rules.leeway)
        < rules.now
    {
        return Err(ProofError("iat is too old"));
    }
    if let Some(token) = expected.access_token {
        let want = ath(token);
        let got = text(&claims, "ath").ok_or(ProofError("ath is missing"))?;
        if !bool::from(got.as_bytes().ct_eq(want.as_bytes())) {
            return Err(ProofError("ath is not the presented token's"));
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) if !n.is_empty() && n.len() <= 256 => Some(n.clone()),
        Some(_) => return Err(ProofError("nonce is malformed")),
    };
    let jkt = jwk
        .thumbprint()
        .map_err(|_| ProofError("jwk is malformed"))?;
    Ok(Proof {
        jkt,
        jti: jti.to_owned(),
        iat,
        nonce,
    })
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// §4.3 item 9: `htu` names the request's URL, compared after syntax-based normalization
/// (RFC 3986 §6.2.2, §6.2.3: scheme and host case, the default port), ignoring any query
/// and fragment.
fn same_uri(claim: &str, expected: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(claim), url::Url::parse(expected)) else {
        return false;
    };
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
}

/// Why a presented proof (or a bound token's presentation) is refused.
#[derive(Debug)]
pub enum Refusal {
    /// `invalid_dpop_proof`, saying why.
    Proof(&'static str),
    /// `use_dpop_nonce`: the proof must carry a nonce this server issued (§8).
    Nonce,
    /// `invalid_token`: the token was presented other than its binding requires (§7.1).
    Token(&'static str),
    /// `invalid_token`: a certificate-bound token without its certificate (RFC 8705 §3),
    /// answered with a `Bearer` challenge.
    Certificate(&'static str),
    /// The store failed.
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Refusal {
        Refusal::Failed(e)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Failed(e) => write!(f, "{e}"),
            other => write!(f, "{}", other.error()),
        }
    }
}

impl From<ProofError> for Refusal {
    fn from(e: ProofError) -> Refusal {
        Refusal::Proof(e.0)
    }
}

impl Refusal {
    fn error(&self) -> OAuthError {
        match self {
            Refusal::Proof(why) => OAuthError::new(ErrorCode::InvalidDpopProof, *why),
            Refusal::Nonce => OAuthError::new(
                ErrorCode::UseDpopNonce,
                "the DPoP proof must carry the nonce in the DPoP-Nonce header",
            ),
            Refusal::Token(why) | Refusal::Certificate(why) => {
                OAuthError::new(ErrorCode::InvalidToken, *why)
            }
            Refusal::Failed(_) => OAuthError::server_error(),
        }
    }

    /// The answer of the token or PAR endpoint (§5.1, §8): 400 with the error, and a fresh
    /// nonce when one is wanted.
    pub fn at_authorization_server(self, auth: &AuthServer, ctx: &Ctx) -> Result<Response, Error> {
        if let Refusal::Failed(e) = self {
            return Err(e);
        }
        let mut r = Response::with_body(Body::JsonStatus(400, self.error().to_json()));
        if matches!(self, Refusal::Nonce) {
            r = r.header(NONCE_HEADER, nonce(auth, ctx)?);
        }
        Ok(r)
    }

    /// The answer of a protected resource (§7.1, §9): 401 with a `DPoP` challenge naming
    /// the error and the algorithms, and a fresh nonce when one is wanted.
    pub fn at_resource(self, auth: &AuthServer, ctx: &Ctx) -> Result<Response, Error> {
        if let Refusal::Failed(e) = self {
            return Err(e);
        }
        let err = self.error();
        let www = match &self {
            Refusal::Certificate(why) => {
                format!("Bearer error=\"invalid_token\", error_description=\"{why}\"")
            }
            _ => challenge(&auth.config(), Some(&err)),
        };
        let mut r = Response::with_body(Body::JsonStatus(401, err.to_json()))
            .header("www-authenticate", www);
        if matches!(self, Refusal::Nonce) {
            r = r.header(NONCE_HEADER, nonce(auth, ctx)?);
        }
        Ok(r)
    }
}

/// The names of the algorithms proofs may use (`dpopSigningAlgValuesSupported`), EdDSA also
/// by its fully-specified name `Ed25519` (RFC 9864 §2.2), which clients such as
/// oauth4webapi sign with.
pub fn alg_names(config: &Config) -> Vec<&'static str> {
    let mut names = Vec::new();
    for a in config
        .dpop_signing_alg_values_supported
        .iter()
        .filter(|a| crate::auth::oauth::fapi2::alg_allowed(config, **a))
    {
        names.push(a.as_str());
        if *a == Algorithm::EdDSA {
            names.push("Ed25519");
        }
    }
    names
}

/// The `WWW-Authenticate: DPoP` challenge (§7.1): the error, if any, and the algorithms.
pub fn challenge(config: &Config, error: Option<&OAuthError>) -> String {
    let algs = alg_names(config);
    let mut v = String::from("DPoP");
    if let Some(e) = error {
        v.push_str(&format!(" error=\"{}\",", e.code.as_str()));
        if let Some(d) = &e.description {
            v.push_str(&format!(" error_description=\"{d}\","));
        }
    }
    v.push_str(&format!(" algs=\"{}\"", algs.join(" ")));
    v
}

/// A fresh server nonce (§8): the time it was made, sealed under the master key, so every
/// node accepts every node's nonces for `dpopNonceCacheTime` seconds without storing them.
pub fn nonce(auth: &AuthServer, ctx: &Ctx) -> Result<String, Error> {
    Ok(auth
        .secret_box()
        .seal(&ctx.now.to_be_bytes(), NONCE_AAD, ctx.rng.as_ref())?)
}

/// Whether `nonce` is one of ours, still fresh.
fn nonce_is_fresh(auth: &AuthServer, nonce: &str, now: UnixTime) -> bool {
    let Ok(made) = auth.secret_box().open(nonce, NONCE_AAD) else {
        return false;
    };
    let Ok(made) = <[u8; 8]>::try_from(made.as_slice()) else {
        return false;
    };
    let made = u64::from_be_bytes(made);
    made <= now && now - made <= auth.config().dpop_nonce_cache_time
}

/// Verify the proof `proof` for `expected` ([`check`]), then its nonce (with
/// `dpopUseNonce`), then [`remember`] its `jti`.
pub async fn verify_proof(
    auth: &AuthServer,
    proof: &str,
    expected: &Expected<'_>,
    ctx: &Ctx,
) -> Result<Proof, Refusal> {
    let config = auth.config();
    let checked = check(
        proof,
        expected,
        &Rules::of(&config, ctx.now),
        auth.provider().as_ref(),
    )?;
    if config.dpop_use_nonce
        && !checked
            .nonce
            .as_deref()
            .is_some_and(|n| nonce_is_fresh(auth, n, ctx.now))
    {
        return Err(Refusal::Nonce);
    }
    remember(auth, &checked, ctx).await?;
    Ok(checked)
}

/// Remember the `jti` of a checked proof for as long as the proof could be accepted: a
/// proof used twice is refused the second time, on any node (§11.1).
pub async fn remember(auth: &AuthServer, checked: &Proof, ctx: &Ctx) -> Result<(), Refusal> {
    let config = auth.config();
    let key = crate::b64::encode(&Sha256::digest(
        format!("{}\u{0}{}", checked.jkt, checked.jti).as_bytes(),
    ));
    let until = checked
        .iat
        .saturating_add(config.dpop_timeframe)
        .saturating_add(config.clock_skew_seconds)
        .saturating_add(1)
        .max(ctx.now.saturating_add(1));
    let record = GrantRecord::bare(ctx.now, until);
    match auth
        .stores()
        .grants
        .insert(GrantKind::DpopJti, &key, &record, ctx.now)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => Err(Refusal::Proof("the proof was used already")),
        Err(e) => Err(Refusal::Failed(e.into())),
    }
}

/// The absolute URL of `endpoint`, which proofs sent to it name in `htu`.
pub fn endpoint_url(config: &Config, endpoint: &AuthEndpoint) -> String {
    config.endpoint_url(&crate::auth::paths::path(endpoint))
}

/// The proof of a request to the token or PAR endpoint (`POST`), verified, if it has one
/// (§5): `Ok(None)` without a `DPoP` header.
pub async fn at_authorization_server(
    auth: &AuthServer,
    req: &Request,
    endpoint: &AuthEndpoint,
    ctx: &Ctx,
) -> Result<Option<Proof>, Refusal> {
    let Some(proof) = req.dpop.as_deref() else {
        return Ok(None);
    };
    let config = auth.config();
    let url = endpoint_url(&config, endpoint);
    let expected = Expected {
        method: req.method.as_str(),
        url: &url,
        alias: crate::auth::oauth::mtls::alias(&config, endpoint),
        access_token: None,
    };
    verify_proof(auth, proof, &expected, ctx).await.map(Some)
}

/// The key an access or refresh token record is bound to, if any.
pub fn bound_key(rec: &GrantRecord) -> Option<String> {
    rec.read::<crate::auth::oauth::access_token::TokenData>()
        .ok()
        .and_then(|d| d.jkt)
}

/// How an access token was presented at a protected resource: the scheme said `DPoP`
/// (§7.1) or not (a bearer header or form parameter, RFC 6750 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer` or the `access_token` form parameter.
    Bearer,
    /// `Authorization: DPoP`.
    Dpop,
}

/// Check that the access token `token`, whose record is `rec`, was presented at `endpoint`
/// as its binding requires: a token bound to a certificate only over a connection with
/// that certificate (RFC 8705 §3); a DPoP-bound token only with the `DPoP` scheme and a
/// proof of its key over this request and this token (§7); an unbound one only as a
/// bearer token.
pub async fn check_presentation(
    auth: &AuthServer,
    req: &Request,
    endpoint: &AuthEndpoint,
    token: &str,
    scheme: Scheme,
    rec: &GrantRecord,
    ctx: &Ctx,
) -> Result<(), Refusal> {
    let data = rec
        .read::<crate::auth::oauth::access_token::TokenData>()
        .unwrap_or_default();
    crate::auth::oauth::mtls::check_presentation(
        data.x5t.as_deref(),
        crate::auth::oauth::mtls::thumbprint(req).as_deref(),
    )
    .map_err(Refusal::Certificate)?;
    match (data.jkt, scheme) {
        (None, Scheme::Bearer) => Ok(()),
        (None, Scheme::Dpop) => Err(Refusal::Token("the access token is not DPoP-bound")),
        (Some(_), Scheme::Bearer) => Err(Refusal::Token(
            "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
        )),
        (Some(jkt), Scheme::Dpop) => {
            let proof = req
                .dpop
                .as_deref()
                .ok_or(Refusal::Proof("the DPoP header is missing"))?;
            let config = auth.config();
            let url = endpoint_url(&config, endpoint);
            let expected = Expected {
                method: req.method.as_str(),
                url: &url,
                alias: crate::auth::oauth::mtls::alias(&config, endpoint),
                access_token: Some(token),
            };
            let proof = verify_proof(auth, proof, &expected, ctx).await?;
            if proof.jkt == jkt {
                Ok(())
            } else {
                Err(Refusal::Proof("the proof is not of the token's key"))
            }
        }
    }
}
