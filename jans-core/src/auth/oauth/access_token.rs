//! Access token issuance: reference tokens (opaque, Janssen's default) or RFC 9068 JWTs,
//! chosen per client (`access_token_as_jwt`, `access_token_signing_alg`).

use crate::auth::AuthServer;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::client::Client;
use crate::store::{GrantData, GrantKind, GrantRecord};

/// What to issue.
#[derive(Debug)]
pub struct Issue<'a> {
    /// The client the token is for.
    pub client: &'a Client,
    /// The resource owner (none for client_credentials).
    pub subject: Option<&'a str>,
    /// Granted scopes, space-separated.
    pub scope: &'a str,
    /// Grant family id; empty when the token belongs to no family (client_credentials).
    pub family: &'a str,
    /// The `claims` request parameter (OIDC Core §5.5) the userinfo answer must honour.
    pub claims: Option<&'a str>,
    /// The grant type it is issued under (`implicit` from the authorization endpoint).
    pub grant_type: &'static str,
    /// What it is bound to, if anything.
    pub binding: &'a Binding<'a>,
    /// Its audience, actor and authorization details, if any.
    pub extras: &'a Extras,
}

/// What a token is bound to (its `cnf`): the thumbprint of a DPoP key (RFC 9449 §6.1,
/// `jkt`), of a mutual-TLS client certificate (RFC 8705 §3.1, `x5t#S256`), both or
/// neither. A bound token is accepted only from whoever shows each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Binding<'a> {
    /// RFC 9449 §6.1 `jkt`.
    pub jkt: Option<&'a str>,
    /// RFC 8705 §3.1 `x5t#S256`.
    pub x5t: Option<&'a str>,
}

impl Binding<'_> {
    /// Not bound.
    pub const NONE: Binding<'static> = Binding {
        jkt: None,
        x5t: None,
    };

    /// The `cnf` claim (RFC 7800 §3.1) of a token bound so, if it is bound.
    pub fn cnf(&self) -> Option<serde_json::Value> {
        confirmation(self.jkt, self.x5t)
    }
}

/// `cnf` with the members that are set (RFC 9449 §6.1, RFC 8705 §3.1); `None` when neither.
pub fn confirmation(jkt: Option<&str>, x5t: Option<&str>) -> Option<serde_json::Value> {
    let mut m = serde_json::Map::new();
    if let Some(j) = jkt {
        m.insert("jkt".into(), j.into());
    }
    if let Some(x) = x5t {
        m.insert("x5t#S256".into(), x.into());
    }
    (!m.is_empty()).then_some(serde_json::Value::Object(m))
}

/// What a token may carry beyond its scope: the audience and actor of an exchanged token
/// (RFC 8693 §2.1, §4.1) and the authorization details granted (RFC 9396 §7, §9).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extras {
    /// The audience it was issued for (RFC 8693 `audience`/`resource`); empty: its client.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    /// The acting party (RFC 8693 §4.1 `act`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// The authorization details granted (RFC 9396).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<serde_json::Value>,
}

impl Extras {
    /// Nothing beyond the scope.
    pub fn is_empty(&self) -> bool {
        self.audience.is_empty() && self.act.is_none() && self.authorization_details.is_none()
    }

    /// The `aud` of a token of `client_id` with these extras: its audience (one value, or
    /// an array of several), else the client.
    pub fn aud(&self, client_id: &str) -> serde_json::Value {
        match self.audience.as_slice() {
            [] => client_id.into(),
            [one] => one.as_str().into(),
            many => many.into(),
        }
    }
}

/// RFC 9068 §2.2 claims, serialized in this order.
#[derive(serde::Serialize)]
struct AtClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: serde_json::Value,
    client_id: &'a str,
    exp: u64,
    iat: u64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    /// RFC 9449 §6.1, RFC 8705 §3.1: what a bound token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<serde_json::Value>,
    /// RFC 8693 §4.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<&'a serde_json::Value>,
    /// RFC 9396 §9.1.
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_details: Option<&'a serde_json::Value>,
}

/// An issued access token.
#[derive(Debug)]
pub struct Issued {
    /// The bearer value.
    pub token: String,
    /// Seconds until expiry.
    pub expires_in: u64,
    /// Bound to a DPoP key: `token_type` is `DPoP` (RFC 9449 §5). A token bound to a
    /// certificate only is a `Bearer` token (RFC 8705 §3).
    pub dpop_bound: bool,
}

impl Issued {
    /// The RFC 6749 §5.1 token response for this token, plus `extra` members (refresh
    /// token, ID token), marked for the host's metrics with `grant`.
    pub fn response(
        self,
        scope: &str,
        extra: serde_json::Map<String, serde_json::Value>,
        grant: &'static str,
    ) -> crate::response::Response {
        let mut body = extra;
        body.insert("access_token".into(), self.token.into());
        let token_type = if self.dpop_bound {
            crate::auth::oauth::dpop::TOKEN_TYPE
        } else {
            "Bearer"
        };
        body.insert("token_type".into(), token_type.into());
        body.insert("expires_in".into(), self.expires_in.into());
        if !scope.is_empty() {
            body.insert("scope".into(), scope.into());
        }
        let mut r = crate::response::Response::json(serde_json::Value::Object(body));
        r.issued_grant = Some(grant);
        r
    }
}

/// What an access or refresh token record holds beyond its grant: the JWT's `jti`, and the
/// OIDC `claims` request (Core §5.5) the userinfo endpoint and refreshes honour.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenData {
    /// `jti` of a JWT access token (RFC 9068 §2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The `claims` request parameter of the authorization, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// The grant type it was issued under (what the config API's token search shows as
    /// Janssen's `grantType`); none in tokens stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// The thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// The thumbprint of the client certificate the token is bound to (RFC 8705 §3.1), if
    /// any.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Audience, actor, authorization details (absent for most tokens).
    #[serde(default, skip_serializing_if = "Extras::is_empty")]
    pub extras: Extras,
}

impl GrantData for TokenData {
    const MEMBER: Option<&'static str> = None;
}

/// `typ` of RFC 9068 access tokens (§2.1).
pub const AT_JWT_TYP: &str = "at+jwt";

/// Issue and store an access token.
pub async fn issue(auth: &AuthServer, what: &Issue<'_>, ctx: &Ctx) -> Result<Issued, Error> {
    let config = auth.config();
    let lifetime = what
        .client
        .metadata
        .access_token_lifetime
        .unwrap_or(config.access_token_lifetime);
    let expires_at = ctx.now.saturating_add(lifetime);
    let mut data = TokenData {
        jti: None,
        claims: what.claims.map(str::to_owned),
        grant_type: Some(what.grant_type.to_owned()),
        jkt: what.binding.jkt.map(str::to_owned),
        x5t: what.binding.x5t.map(str::to_owned),
        extras: what.extras.clone(),
    };
    let token = if what.client.metadata.access_token_as_jwt {
        let alg = what
            .client
            .metadata
            .access_token_signing_alg
            .unwrap_or(config.default_signature_algorithm);
        let ring = auth.keys().ring();
        let signer = ring
            .signer(alg)
            .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
        let jti = ctx.random_token(16);
        // RFC 9068 §2.2. With no resource owner, `sub` is the client (§2.2 "sub").
        let claims = AtClaims {
            iss: &config.issuer,
            sub: what.subject.unwrap_or(&what.client.client_id),
            aud: what.extras.aud(&what.client.client_id),
            client_id: &what.client.client_id,
            exp: expires_at,
            iat: ctx.now,
            jti: &jti,
            scope: (!what.scope.is_empty()).then_some(what.scope),
            cnf: what.binding.cnf(),
            act: what.extras.act.as_ref(),
            authorization_details: what.extras.authorization_details.as_ref(),
        };
        let payload = serde_json::to_vec(&claims).map_err(|e| Error::Internal(e.to_string()))?;
        let jwt = signer.sign(AT_JWT_TYP, &payload, ctx.rng.as_ref())?;
        data.jti = Some(jti);
        jwt
    } else {
        // 256 bits of entropy.
        ctx.random_token(32)
    };
    let record = GrantRecord {
        family: what.family.to_owned(),
        client_id: what.client.client_id.clone(),
        subject: what.subject.map(str::to_owned),
        scope: what.scope.to_owned(),
        issued_at: ctx.now,
        expires_at,
        data: serde_json::Map::new(),
    }
    .with(&data)?;
    auth.stores()
        .grants
        .insert(GrantKind::AccessToken, &token_key(&token), &record, ctx.now)
        .await?;
    if let Some(inum) = what.subject
        && !what.family.is_empty()
    {
        // The person's families are known, for global token revocation: for as long as
        // this token, or a refresh token issued beside it, lives.
        let until = expires_at.max(ctx.now.saturating_add(config.refresh_token_lifetime));
        auth.stores()
            .person_grants
            .remember(inum, what.family, until, ctx.now)
            .await?;
    }
    Ok(Issued {
        token,
        expires_in: lifetime,
        dpop_bound: what.binding.jkt.is_some(),
    })
}
