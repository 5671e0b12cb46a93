//! ID tokens (OIDC Core §2, §3.1.3.6, §3.3.2.11): the claims and the signature.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::ctx::UnixTime;
use crate::jose::Algorithm;

/// OIDC Core §3.1.3.6 / §3.3.2.11: `at_hash` and `c_hash` are the base64url encoding of the
/// left-most half of the hash of the ASCII value, with the hash of the ID token's `alg`
/// (SHA-512 for EdDSA over Ed25519).
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match alg.hash_len() {
        32 => Sha256::digest(value.as_bytes()).to_vec(),
        48 => Sha384::digest(value.as_bytes()).to_vec(),
        _ => Sha512::digest(value.as_bytes()).to_vec(),
    };
    let half = digest.get(..digest.len() / 2).unwrap_or_default();
    crate::b64::encode(half)
}

/// What an ID token says.
#[derive(Clone, Debug)]
pub struct IdToken<'a> {
    /// `iss`
    pub issuer: &'a str,
    /// `sub`: public or pairwise subject identifier.
    pub subject: &'a str,
    /// `aud`: the client.
    pub client_id: &'a str,
    /// Issued at.
    pub now: UnixTime,
    /// Lifetime in seconds (`idTokenLifetime`).
    pub lifetime: u64,
    /// `auth_time`: when the user authenticated.
    pub auth_time: UnixTime,
    /// `nonce` from the authentication request.
    pub nonce: Option<&'a str>,
    /// `acr`
    pub acr: Option<&'a str>,
    /// `amr`
    pub amr: &'a [String],
    /// `sid`: the session (OIDC Front-/Back-Channel Logout).
    pub sid: Option<&'a str>,
    /// The access token issued beside it (gives `at_hash`).
    pub access_token: Option<&'a str>,
    /// The code issued beside it (gives `c_hash`).
    pub code: Option<&'a str>,
    /// Delivered by a CIBA push (OpenID CIBA Core §10.3.1).
    pub push: Option<Push<'a>>,
    /// User claims to include (from scopes or the `claims` parameter).
    pub claims: Map<String, Value>,
}

/// What an ID token delivered by a CIBA push carries beyond the usual (OpenID CIBA Core
/// §10.3.1): the request it answers, and the hash of the refresh token beside it.
#[derive(Clone, Copy, Debug)]
pub struct Push<'a> {
    /// `urn:openid:params:jwt:claim:auth_req_id`.
    pub auth_req_id: &'a str,
    /// The refresh token pushed with it (gives `urn:openid:params:jwt:claim:rt_hash`).
    pub refresh_token: Option<&'a str>,
}

impl IdToken<'_> {
    /// The JWT claims set, signed later with `alg`.
    pub fn claims(&self, alg: Algorithm) -> Map<String, Value> {
        let mut m = self.claims.clone();
        m.insert("iss".into(), self.issuer.into());
        m.insert("sub".into(), self.subject.into());
        m.insert("aud".into(), self.client_id.into());
        m.insert("exp".into(), self.now.saturating_add(self.lifetime).into());
        m.insert("iat".into(), self.now.into());
        m.insert("auth_time".into(), self.auth_time.into());
        if let Some(n) = self.nonce {
            m.insert("nonce".into(), n.into());
        }
        if let Some(a) = self.acr {
            m.insert("acr".into(), a.into());
        }
        if !self.amr.is_empty() {
            m.insert("amr".into(), self.amr.into());
        }
        if let Some(s) = self.sid {
            m.insert("sid".into(), s.into());
        }
        if let Some(at) = self.access_token {
            m.insert("at_hash".into(), half_hash(alg, at).into());
        }
        if let Some(c) = self.code {
            m.insert("c_hash".into(), half_hash(alg, c).into());
        }
        if let Some(push) = self.push {
            m.insert(
                "urn:openid:params:jwt:claim:auth_req_id".into(),
                push.auth_req_id.into(),
            );
            if let Some(rt) = push.refresh_token {
                m.insert(
                    "urn:openid:params:jwt:claim:rt_hash".into(),
                    half_hash(alg, rt).into(),
                );
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OIDC Core Appendix A.3 / A.4 example: the access token
    /// "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" has at_hash "77QmUPtjPfzWtF2AnpK9RQ"
    /// under RS256.
    #[test]
    fn at_hash_matches_the_spec_example() {
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // OIDC Core A.4: code "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
        // has c_hash "LDktKdoQak3Pk0cnXxCltA".
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            ),
            "LDktKdoQak3Pk0cnXxCltA"
        );
        assert_eq!(half_hash(Algorithm::ES384, "x").len(), 32);
        assert_eq!(half_hash(Algorithm::EdDSA, "x").len(), 43);
    }

    #[test]
    fn claims_set() {
        let amr = vec!["pwd".to_owned()];
        let mut extra = Map::new();
        extra.insert("email".into(), "a@example.com".into());
        let t = IdToken {
            issuer: "https://id.example.com",
            subject: "inum-1",
            client_id: "c1",
            now: 1000,
            lifetime: 3600,
            auth_time: 990,
            nonce: Some("n-0S6_WzA2Mj"),
            acr: Some("simple_password_auth"),
            amr: &amr,
            sid: Some("s1"),
            access_token: Some("at"),
            code: None,
            push: None,
            claims: extra,
        };
        let c = t.claims(Algorithm::ES256);
        assert_eq!(c["exp"], 4600);
        assert_eq!(c["auth_time"], 990);
        assert_eq!(c["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(c["amr"], serde_json::json!(["pwd"]));
        assert_eq!(c["sid"], "s1");
        assert_eq!(c["email"], "a@example.com");
        assert!(c.get("at_hash").is_some() && c.get("c_hash").is_none());
    }
}

/// Everything an issued ID token depends on besides the engine's configuration.
#[derive(Debug)]
pub struct Issue<'a> {
    /// The audience.
    pub client: &'a crate::repo::client::Client,
    /// The person.
    pub user: &'a crate::repo::user::User,
    /// The session the user authenticated in.
    pub session: &'a crate::auth::authn::session::Session,
    /// The authorization request (nonce, scopes, claims parameter).
    pub request: &'a crate::auth::oauth::authorize::AuthorizationRequest,
    /// The access token issued beside it (gives `at_hash`; also moves scope claims to
    /// userinfo, OIDC Core §5.4).
    pub access_token: Option<&'a str>,
    /// The code issued beside it (gives `c_hash`).
    pub code: Option<&'a str>,
    /// Delivered by a CIBA push.
    pub push: Option<Push<'a>>,
    /// The names of the user's groups, read when the request asks for them
    /// (`AuthServer::groups_claim`).
    pub groups: &'a [String],
}

/// [`issue`], then encrypted to the client when it registered `id_token_encrypted_response_alg`
/// (OIDC Core §10.2: a nested JWT, signed then encrypted).
pub async fn issue_for_client(
    auth: &crate::auth::AuthServer,
    what: &Issue<'_>,
    ctx: &crate::ctx::Ctx,
) -> Result<String, crate::error::Error> {
    use crate::auth::oidc::encryption::{Purpose, for_client};
    let signed = issue(auth, what, ctx)?;
    let encrypted = for_client(
        auth,
        what.client,
        Purpose::IdToken,
        signed.as_bytes(),
        Some("JWT"),
        ctx,
    )
    .await?;
    Ok(encrypted.unwrap_or(signed))
}

/// Build and sign an ID token with the client's `id_token_signed_response_alg` (or the
/// server default). Scope claims ride in the token only when neither an access token nor a
/// code comes with it (OIDC Core §5.4); `claims` parameter members for `id_token` always do.
pub fn issue(
    auth: &crate::auth::AuthServer,
    what: &Issue<'_>,
    ctx: &crate::ctx::Ctx,
) -> Result<String, crate::error::Error> {
    use crate::auth::oidc::claims::{self, ClaimsRequest, Target};
    use crate::error::Error;
    let config = auth.config();
    let alg = what
        .client
        .metadata
        .id_token_signed_response_alg
        .unwrap_or(config.default_signature_algorithm);
    let ring = auth.keys().ring();
    let signer = ring
        .signer(alg)
        .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
    let request = what
        .request
        .claims
        .as_deref()
        .and_then(|c| ClaimsRequest::parse(c).ok());
    let scopes: Vec<&str> = what.request.scopes.iter().map(String::as_str).collect();
    let scope_claims_here = what.access_token.is_none() && what.code.is_none();
    let released = claims::release(
        what.user,
        what.groups,
        &auth.scopes(),
        &scopes,
        scope_claims_here,
        request.as_ref(),
        Target::IdToken,
    );
    let subject = auth.subject_for(what.client, &what.user.inum);
    let token = IdToken {
        issuer: &config.issuer,
        subject: &subject,
        client_id: &what.client.client_id,
        now: ctx.now,
        lifetime: config.id_token_lifetime,
        auth_time: what.session.auth_time,
        nonce: what.request.nonce.as_deref(),
        acr: Some(&what.session.acr),
        amr: &what.session.amr,
        sid: Some(&what.session.sid),
        access_token: what.access_token,
        code: what.code,
        push: what.push,
        claims: released,
    };
    let payload =
        serde_json::to_vec(&token.claims(alg)).map_err(|e| Error::Internal(e.to_string()))?;
    signer.sign("JWT", &payload, ctx.rng.as_ref())
}
