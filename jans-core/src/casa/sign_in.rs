//! Casa signs people in as an OpenID Connect client of this server's auth-server: the
//! authorization code flow with PKCE (OIDC Core §3.1, RFC 7636), `acr_values=casa` so the
//! person's own two-factor settings apply (`auth::authn::second_factor`), the code
//! redeemed at the token endpoint and the ID token checked (§3.1.3.7) before Casa's own
//! session starts: a `casa_session` cookie for `/jans-casa` only.
//!
//! Casa is the registered client [`CLIENT_ID`] (public, PKCE, trusted: no consent), made on
//! first use and kept pointing at this issuer.

use serde::{Deserialize, Serialize};

use crate::casa::paths::{CALLBACK, DASHBOARD};
use crate::casa::{CasaServer, Me, error_page};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::params::Params;
use crate::repo::client::{AuthMethod, Client, ClientMetadata};
use crate::repo::grant::{GrantRecords, token_key};
use crate::repo::user::UserStatus;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::store::{GrantData, GrantKind, GrantRecord};

/// Casa's client id at the auth-server.
pub const CLIENT_ID: &str = "jans-casa";
/// Casa's session cookie (path `/jans-casa`).
pub const SESSION_COOKIE: &str = "casa_session";
/// The cookie binding a sign-in under way to its browser (path `/jans-casa`).
const STATE_COOKIE: &str = "casa_state";
/// Seconds a sign-in may take.
const SIGN_IN_LIFETIME: u64 = 600;

/// A sign-in under way, by its `state`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PendingSignIn {
    verifier: String,
    nonce: String,
    return_to: String,
}

impl GrantData for PendingSignIn {
    const MEMBER: Option<&'static str> = Some("casa_sign_in");
}

/// A browser signed in to Casa.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CasaSession {
    /// The person's inum.
    pub user: String,
    /// The anti-CSRF token every form posts back.
    pub csrf: String,
    /// The ID token of the sign-in (the logout's `id_token_hint`).
    pub id_token: String,
    /// When the person authenticated.
    pub auth_time: u64,
}

impl GrantData for CasaSession {
    const MEMBER: Option<&'static str> = Some("casa_session");
}

/// `Set-Cookie` for a Casa cookie: HttpOnly, SameSite=Lax, `Secure` over https.
fn cookie(issuer: &str, name: &str, value: &str, max_age: u64) -> String {
    crate::first_party::cookie(issuer, name, "/jans-casa", value, max_age)
}

impl CasaServer {
    fn sessions(&self) -> GrantRecords<CasaSession> {
        GrantRecords::new(
            self.services.stores().grants.clone(),
            GrantKind::CasaSession,
        )
    }

    fn sign_ins(&self) -> GrantRecords<PendingSignIn> {
        GrantRecords::new(self.services.stores().grants.clone(), GrantKind::CasaSignIn)
    }

    fn callback_uri(&self) -> String {
        format!("{}{CALLBACK}", self.services.config().issuer)
    }

    /// Casa's client, registered now if it is not, or not for this issuer.
    async fn client(&self, ctx: &Ctx) -> Result<Client, Error> {
        let issuer = self.services.config().issuer.clone();
        let metadata = ClientMetadata {
            redirect_uris: vec![self.callback_uri()],
            post_logout_redirect_uris: vec![format!("{issuer}{DASHBOARD}")],
            token_endpoint_auth_method: AuthMethod::None,
            grant_types: vec!["authorization_code".to_owned()],
            response_types: vec!["code".to_owned()],
            client_name: Some("Casa".to_owned()),
            scope: Some("openid profile".to_owned()),
            trusted_client: true,
            // `sub` is then the person's inum, which Casa looks up.
            subject_type: Some("public".to_owned()),
            ..Default::default()
        };
        crate::first_party::own_client(&self.services, CLIENT_ID, metadata, ctx).await
    }

    /// Send the browser to the auth-server to sign in, then back to `return_to` (a Casa
    /// path).
    pub(crate) async fn start_sign_in(
        &self,
        return_to: &str,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let client = self.client(ctx).await?;
        let state = ctx.random_token(24);
        let pending = PendingSignIn {
            verifier: ctx.random_token(32),
            nonce: ctx.random_token(16),
            return_to: return_to.to_owned(),
        };
        self.sign_ins()
            .insert(
                &token_key(&state),
                GrantRecord::bare(ctx.now, ctx.now.saturating_add(SIGN_IN_LIFETIME)),
                &pending,
                ctx.now,
            )
            .await?;
        let issuer = self.services.config().issuer.clone();
        let url = crate::first_party::authorize_url(
            &issuer,
            &client.client_id,
            &self.callback_uri(),
            "openid profile",
            (&state, &pending.nonce, &pending.verifier),
            &[("acr_values", "casa")],
        );
        Ok(Response::with_body(Body::Redirect(url)).header(
            "set-cookie",
            cookie(&issuer, STATE_COOKIE, &state, SIGN_IN_LIFETIME),
        ))
    }

    /// `GET /jans-casa/callback`: the auth-server's answer. The `state` must be this
    /// browser's sign-in (its cookie) and is used once; the code is redeemed with the PKCE
    /// verifier and the ID token checked: signed by this server, for Casa, with the
    /// sign-in's nonce, unexpired (OIDC Core §3.1.3.7).
    pub(crate) async fn callback(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let q = |n: &str| {
            req.query
                .get(n)
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_owned()
        };
        let pending = match crate::first_party::bound_state(req, STATE_COOKIE) {
            Some(state) => self.sign_ins().take(&token_key(&state), ctx.now).await?,
            None => None,
        };
        let Some(pending) = pending else {
            return Ok(error_page(
                400,
                "This sign-in has expired or was started in another browser. Open Casa again.",
            ));
        };
        if !q("error").is_empty() {
            return Ok(error_page(
                403,
                "You were not signed in. Open Casa again to try once more.",
            ));
        }
        let redeemed = crate::first_party::redeem(
            &self.services,
            CLIENT_ID,
            &self.callback_uri(),
            &q("code"),
            (&pending.verifier, &pending.nonce),
            ctx,
        )
        .await?;
        let Some((id_token, user)) = redeemed.and_then(|(token, claims)| {
            let sub = claims.get("sub").and_then(|v| v.as_str())?.to_owned();
            Some((token, sub))
        }) else {
            return Ok(error_page(
                400,
                "The sign-in could not be completed. Open Casa again.",
            ));
        };
        let active = self
            .services
            .stores()
            .users
            .get(&user)
            .await?
            .is_some_and(|u| u.status == UserStatus::Active);
        if !active {
            return Ok(error_page(403, "This account cannot use Casa."));
        }
        let value = ctx.random_token(32);
        let lifetime = self.services.config().session_id_lifetime;
        let mut stamp = GrantRecord::bare(ctx.now, ctx.now.saturating_add(lifetime));
        stamp.family = format!("casa:{user}");
        stamp.subject = Some(user.clone());
        let session = CasaSession {
            user,
            csrf: ctx.random_token(24),
            id_token,
            auth_time: ctx.now,
        };
        self.sessions()
            .insert(&token_key(&value), stamp, &session, ctx.now)
            .await?;
        let issuer = self.services.config().issuer.clone();
        Ok(
            Response::with_body(Body::Redirect(format!("{issuer}{}", pending.return_to)))
                .header(
                    "set-cookie",
                    cookie(&issuer, SESSION_COOKIE, &value, lifetime),
                )
                .header("set-cookie", cookie(&issuer, STATE_COOKIE, "", 0)),
        )
    }

    /// The person signed in to Casa in the browser of `req`, if any (active).
    pub(crate) async fn me(&self, req: &Request, ctx: &Ctx) -> Result<Option<Me>, Error> {
        let Some(value) = req.cookie(SESSION_COOKIE) else {
            return Ok(None);
        };
        let key = token_key(value);
        let Some(session) = self.sessions().read(&key, ctx.now).await? else {
            return Ok(None);
        };
        let user = self.services.stores().users.get(&session.user).await?;
        Ok(user
            .filter(|u| u.status == UserStatus::Active)
            .map(|user| Me { key, session, user }))
    }

    /// `POST /jans-casa/logout`: Casa's session ends, then the auth-server's (RP-initiated
    /// logout with the sign-in's ID token), which comes back to the dashboard.
    pub(crate) async fn logout(&self, me: &Me) -> Result<Response, Error> {
        self.sessions().remove(&me.key).await?;
        let issuer = self.services.config().issuer.clone();
        let query = Params::from_pairs([
            ("id_token_hint", me.session.id_token.as_str()),
            ("post_logout_redirect_uri", &format!("{issuer}{DASHBOARD}")),
            ("client_id", CLIENT_ID),
        ])
        .encode();
        Ok(Response::with_body(Body::Redirect(format!(
            "{issuer}/jans-auth/restv1/end_session?{query}"
        )))
        .header("set-cookie", cookie(&issuer, SESSION_COOKIE, "", 0)))
    }
}
