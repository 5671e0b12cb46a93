//! The auth-server's sign-in as other components use it ([`SignIn`]): who the browser is
//! signed in as, and a login interaction that ends back at a URL of the component (UMA's
//! claims gathering, UMA 2.0 Grant §3.3.2) rather than with a code.

use serde_json::{Map, Value};

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{Interaction, Stage};
use crate::auth::authn::methods;
use crate::auth::authn::session::SESSION_COOKIE;
use crate::auth::oauth::authorize::{AuthorizationRequest, interaction_url};
use crate::auth::oidc::claims::{GROUPS, SUPPORTED, user_claim};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::client::Client;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::SignIn;

/// The claims of the person's entry a signed-in person is described by: every claim this
/// server releases but `sub` (the client's subject, added first), `acr` (the session's)
/// and `groups` (not in the entry).
fn described_by(name: &&str) -> bool {
    !["sub", "acr", GROUPS].contains(name)
}

#[async_trait::async_trait]
impl SignIn for AuthServer {
    async fn signed_in_claims(
        &self,
        req: &Request,
        client: &Client,
        ctx: &Ctx,
    ) -> Result<Option<Map<String, Value>>, Error> {
        let Some(cookie) = req.cookie(SESSION_COOKIE) else {
            return Ok(None);
        };
        let Some(user) = self.signed_in_user(cookie, ctx).await? else {
            return Ok(None);
        };
        let mut claims = Map::new();
        claims.insert("sub".into(), self.subject_for(client, &user.inum).into());
        for name in SUPPORTED.into_iter().filter(described_by) {
            if let Some(v) = user_claim(&user, name) {
                claims.insert(name.to_owned(), v);
            }
        }
        Ok(Some(claims))
    }

    async fn sign_in(
        &self,
        client_id: &str,
        redirect_uri: &str,
        state: Option<&str>,
        return_to: &str,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let mut request = AuthorizationRequest::new(client_id, redirect_uri, vec!["openid".into()]);
        request.state = state.map(str::to_owned);
        let acr = methods::choose(
            &request.acr_values,
            self.key_ceremonies().is_some(),
            &self.config().default_acr,
        );
        let interaction = Interaction {
            request,
            stage: Stage::Login,
            csrf: ctx.random_token(24),
            failures: 0,
            session_key: None,
            acr: acr.to_owned(),
            pending_user: None,
            factors: Vec::new(),
            return_to: Some(return_to.to_owned()),
        };
        let id = self.put_interaction(&interaction, None, ctx).await?;
        Ok(Response::with_body(Body::Redirect(interaction_url(
            self, &id,
        ))))
    }

    async fn check_password(
        &self,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<crate::services::PasswordVerdict, Error> {
        use crate::auth::authn::interaction::PasswordCheck;
        use crate::services::PasswordVerdict;
        Ok(
            match self.check_password_counted(uid, password, ctx).await? {
                PasswordCheck::Valid(_) => PasswordVerdict::Valid,
                PasswordCheck::Invalid => PasswordVerdict::Invalid,
                PasswordCheck::Wait(s) => PasswordVerdict::Wait(s),
            },
        )
    }

    async fn token_endpoint(
        &self,
        params: crate::params::Params,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let mut req = Request::new(
            crate::request::AuthEndpoint::Token,
            crate::request::Method::Post,
        )
        .with_form(params);
        req.content_type = Some("application/x-www-form-urlencoded".to_owned());
        self.handle(&crate::request::AuthEndpoint::Token, &req, ctx)
            .await
    }
}
