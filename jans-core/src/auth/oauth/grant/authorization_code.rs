//! RFC 6749 §4.1.3 – §4.1.4: redeeming an authorization code, with PKCE (RFC 7636 §4.6) and
//! an ID token (OIDC Core §3.1.3.3).

use super::invalid_grant;
use crate::auth::AuthServer;
use crate::auth::oauth::authorize::CodeGrant;
use crate::auth::oauth::grant::{Decision, Granted, IdTokenBasis, refresh_token};
use crate::auth::oauth::{pkce, token_key};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::UserStatus;
use crate::store::{GrantKind, Taken};

/// `grant_type=authorization_code`; `jkt` is the key of the request's DPoP proof, if any.
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let config = auth.config();
    let code = super::required(params, "code")?;
    let key = token_key(code);
    let grants = &auth.stores().grants;
    // Single use: one atomic take, which leaves a tombstone as long as what the code issues
    // can live, so a second presentation is known as one (DESIGN.md §4).
    let tombstone_until = ctx.now.saturating_add(
        config
            .access_token_lifetime
            .max(client.metadata.access_token_lifetime.unwrap_or(0))
            .max(config.authorization_code_lifetime),
    );
    let rec = match grants
        .take(
            GrantKind::AuthorizationCode,
            &key,
            ctx.now,
            Some(tombstone_until),
        )
        .await?
    {
        Taken::Record(rec) => rec,
        Taken::AlreadyUsed(tomb) => {
            // RFC 6749 §4.1.2: a code used twice revokes what it issued, even while the first
            // use is still issuing (family::settle).
            let n = crate::auth::oauth::family::revoke(auth, &tomb.family, ctx).await?;
            tracing::warn!(client_id = %tomb.client_id, revoked = n, "authorization code replayed; grant revoked");
            return Err(invalid_grant(
                "the code is invalid, expired or already used",
            ));
        }
        Taken::Absent => {
            return Err(invalid_grant(
                "the code is invalid, expired or already used",
            ));
        }
    };
    let grant: CodeGrant = rec.read()?;
    check(
        &rec.client_id,
        client,
        &grant,
        params.get("redirect_uri")?,
        params.get("code_verifier")?,
    )?;
    // RFC 9449 §10: a code whose request named a DPoP key is redeemed only with that key.
    if let Some(bound) = &grant.request.dpop_jkt
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "the code is bound to another DPoP key (dpop_jkt)",
        )
        .into());
    }
    let user = match auth.stores().users.get(&grant.session.user_inum).await? {
        Some(u) if u.status == UserStatus::Active => u,
        _ => return Err(invalid_grant("the user is no longer active")),
    };
    let refresh = refresh_scope(auth, client, &grant);
    let scope = grant.request.scopes.join(" ");
    let claims = grant.request.claims.clone();
    let openid = grant.request.scopes.iter().any(|s| s == "openid");
    let authorization_details = grant.request.authorization_details.clone();
    let CodeGrant { request, session } = grant;
    Ok(Granted {
        grant_type: "authorization_code",
        subject: Some(user),
        scope,
        family: rec.family,
        claims,
        id_token: openid.then_some(IdTokenBasis { session, request }),
        refresh,
        // A replay racing this redemption may revoke the family while tokens are stored.
        settle: true,
        extras: crate::auth::oauth::access_token::Extras {
            authorization_details,
            ..Default::default()
        },
    }
    .into())
}

/// The refresh token's scope, when the code also gets one.
fn refresh_scope(auth: &AuthServer, client: &Client, grant: &CodeGrant) -> Option<String> {
    refresh_token::wanted(auth, client, &grant.request.scopes)
        .then(|| grant.request.scopes.join(" "))
}

/// RFC 6749 §4.1.3 and RFC 7636 §4.6: the code was issued to this client, for this
/// redirect URI, and the verifier matches its challenge (or neither was used).
pub(crate) fn check(
    issued_to: &str,
    client: &Client,
    grant: &CodeGrant,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<(), Error> {
    if issued_to != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if redirect_uri != Some(grant.request.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.request.code_challenge, verifier) {
        (Some((challenge, method)), Some(v)) if pkce::verify(v, challenge, *method) => Ok(()),
        (None, None) => Ok(()),
        (Some(_), None) => Err(invalid_grant("code_verifier is missing")),
        (None, Some(_)) => Err(invalid_grant(
            "code_verifier sent but no code_challenge was",
        )),
        (Some(_), Some(_)) => Err(invalid_grant("code_verifier does not match")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::authn::session::Session;
    use crate::auth::oauth::authorize::AuthorizationRequest;
    use crate::auth::oauth::pkce::Method;
    use crate::error::oauth::ErrorCode;
    use crate::repo::client::{Client, ClientMetadata};

    const CB: &str = "https://rp.example.com/cb";
    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client(id: &str) -> Client {
        Client {
            client_id: id.to_owned(),
            client_secret_sealed: None,
            client_id_issued_at: 0,
            client_secret_expires_at: 0,
            disabled: false,
            registration_access_token_hash: None,
            description: None,
            metadata: ClientMetadata::default(),
        }
    }

    fn grant(challenge: Option<&str>) -> CodeGrant {
        CodeGrant {
            request: AuthorizationRequest {
                client_id: "rp".to_owned(),
                response_type: Default::default(),
                response_mode: Default::default(),
                redirect_uri: CB.to_owned(),
                scopes: vec!["openid".to_owned()],
                state: None,
                nonce: None,
                code_challenge: challenge.map(|c| (c.to_owned(), Method::S256)),
                prompt: Vec::new(),
                max_age: None,
                login_hint: None,
                claims: None,
                hint_subject: None,
                acr_values: Vec::new(),
                dpop_jkt: None,
                device: None,
                authorization_details: None,
                browser: None,
            },
            session: Session {
                sid: "s".to_owned(),
                user_inum: "u".to_owned(),
                auth_time: 0,
                acr: String::new(),
                amr: Vec::new(),
                opbs: String::new(),
                clients: Vec::new(),
            },
        }
    }

    fn refused(r: Result<(), Error>) -> String {
        match r {
            Err(Error::OAuth(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidGrant);
                e.description.unwrap_or_default().into_owned()
            }
            other => panic!("expected invalid_grant, got {other:?}"),
        }
    }

    #[test]
    fn a_code_is_checked_against_its_client_redirect_and_verifier() {
        let rp = client("rp");
        let pkce = grant(Some(CHALLENGE));
        let plain = grant(None);
        assert!(check("rp", &rp, &pkce, Some(CB), Some(VERIFIER)).is_ok());
        assert!(check("rp", &rp, &plain, Some(CB), None).is_ok());
        let cases = [
            (
                check("rp", &client("other"), &pkce, Some(CB), Some(VERIFIER)),
                "another client",
            ),
            (
                check("rp", &rp, &pkce, None, Some(VERIFIER)),
                "redirect_uri",
            ),
            (
                check(
                    "rp",
                    &rp,
                    &pkce,
                    Some("https://rp.example.com/cb/"),
                    Some(VERIFIER),
                ),
                "redirect_uri",
            ),
            (check("rp", &rp, &pkce, Some(CB), None), "missing"),
            (
                check("rp", &rp, &pkce, Some(CB), Some(CHALLENGE)),
                "does not match",
            ),
            (
                check("rp", &rp, &plain, Some(CB), Some(VERIFIER)),
                "no code_challenge",
            ),
        ];
        for (outcome, why) in cases {
            let d = refused(outcome);
            assert!(d.contains(why), "{d:?} should say {why:?}");
        }
    }
}
