//! Interactions: an authorization request waiting for the user (login, account choice,
//! consent), kept as a grant record, and the interaction API (DESIGN.md §3) that the
//! host's pages — or an embedder's own UI — call to finish it.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::authn::protection::{self, Admission};
use crate::auth::authn::session::SESSION_COOKIE;
use crate::auth::oauth::authorize::{
    AuthorizationRequest, Prompt, continue_request, error_redirect, issue_code,
};
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::grant::GrantRecords;
use crate::response::Response;
use crate::store::{GrantData, GrantKind, GrantRecord};

/// The ACR of username + password login (Janssen's built-in method).
pub const PASSWORD_ACR: &str = "simple_password_auth";

/// What the user must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Enter credentials.
    Login,
    /// Approve the client's scopes.
    Consent,
    /// Choose one of the browser's signed-in accounts, or another (`prompt=select_account`).
    SelectAccount,
}

/// An authorization request waiting for the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The validated authorization request.
    pub request: AuthorizationRequest,
    /// Current stage.
    pub stage: Stage,
    /// Anti-CSRF token the page must post back.
    pub csrf: String,
    /// Failed logins so far.
    pub failures: u32,
    /// The session key once the user is authenticated (consent stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
}

impl GrantData for Interaction {
    const MEMBER: Option<&'static str> = Some("interaction");
}

impl AuthServer {
    /// The pending interactions (a kind of grant record).
    fn interactions(&self) -> GrantRecords<Interaction> {
        GrantRecords::new(self.stores().grants.clone(), GrantKind::Interaction)
    }

    /// Store an interaction under a fresh id (or replace the one under `id`); returns the
    /// id. An interaction is keyed by the SHA-256 of its id, which travels in the page URL.
    pub(crate) async fn put_interaction(
        &self,
        interaction: &Interaction,
        id: Option<&str>,
        ctx: &Ctx,
    ) -> Result<String, Error> {
        let id = id
            .map(str::to_owned)
            .unwrap_or_else(|| ctx.random_token(32));
        let mut stamp = GrantRecord::bare(
            ctx.now,
            ctx.now.saturating_add(self.config().interaction_lifetime),
        );
        stamp.client_id = interaction.request.client_id.clone();
        // Replacing an interaction (a failed login, a stage change) is remove + insert.
        self.interactions()
            .replace(&token_key(&id), stamp, interaction, ctx.now)
            .await?;
        Ok(id)
    }

    /// The pending interaction `id`.
    pub(crate) async fn get_interaction(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<Interaction>, Error> {
        Ok(self.interactions().read(&token_key(id), ctx.now).await?)
    }

    /// Atomically consume an interaction: a form posted twice completes once.
    pub(crate) async fn take_interaction(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<Interaction>, Error> {
        Ok(self.interactions().take(&token_key(id), ctx.now).await?)
    }
}

/// What a page needs to show an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionView {
    /// Login or consent.
    pub stage: Stage,
    /// The client asking.
    pub client_id: String,
    /// Its display name.
    pub client_name: Option<String>,
    /// The scopes it asks for.
    pub scopes: Vec<String>,
    /// The anti-CSRF token the form must post back.
    pub csrf: String,
    /// `login_hint` to prefill.
    pub login_hint: Option<String>,
}

/// One signed-in account of the browser, for the account chooser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Position in the browser's session list (what the chooser posts back).
    pub index: usize,
    /// Login name.
    pub uid: String,
    /// Display name, when known.
    pub name: Option<String>,
}

/// The result of a login attempt.
#[derive(Debug)]
pub enum LoginResult {
    /// Wrong credentials; the form may be shown again.
    Retry {
        /// Attempts left before the request is abandoned.
        remaining: u32,
    },
    /// Not checked: the user's brute-force delay applies (Janssen's
    /// `authenticationProtectionConfiguration`); the form may be sent again after this many
    /// seconds.
    Wait {
        /// Seconds to wait.
        seconds: u64,
    },
    /// The flow moved on: follow this response (a redirect, with the session cookie set).
    Done(Response),
}

fn unknown() -> Error {
    OAuthError::invalid_request("unknown or expired interaction").into()
}

fn csrf_ok(expected: &str, got: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(got.as_bytes()))
}

/// RFC 6265 §4.1 `Set-Cookie` for the session: HttpOnly, SameSite=Lax, Secure when the
/// issuer is https (DESIGN.md §6).
fn session_cookie(auth: &AuthServer, value: &str) -> String {
    let config = auth.config();
    let secure = if config.issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        config.session_id_lifetime
    )
}

/// What a password check counted by the brute-force protection found.
#[derive(Debug)]
pub enum PasswordCheck {
    /// The password is this active user's.
    Valid(Box<crate::repo::user::User>),
    /// Wrong password, unknown or inactive user (indistinguishable on purpose).
    Invalid,
    /// Not checked: the user's brute-force delay applies; try again in this many seconds.
    Wait(u64),
}

impl AuthServer {
    /// [`crate::Engine::check_password`] behind the per-user brute-force protection
    /// ([`crate::auth::authn::protection`]): the attempt is counted and, once the allowance is
    /// spent, refused unchecked within `delayTime` of the last admitted one. Every channel
    /// that checks passwords goes through here (login pages, the password grant, embedders).
    pub async fn check_password_counted(
        &self,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<PasswordCheck, Error> {
        if let Admission::Wait(seconds) = protection::admit(self, uid, ctx).await? {
            return Ok(PasswordCheck::Wait(seconds));
        }
        match self.check_password(uid, password).await? {
            Some(user) => {
                protection::succeeded(self, uid).await?;
                Ok(PasswordCheck::Valid(Box::new(user)))
            }
            None => Ok(PasswordCheck::Invalid),
        }
    }

    /// The pending interaction `id`, for rendering.
    pub async fn interaction(&self, id: &str, ctx: &Ctx) -> Result<Option<InteractionView>, Error> {
        let Some(i) = self.get_interaction(id, ctx).await? else {
            return Ok(None);
        };
        let client = self.client(&i.request.client_id).await?;
        Ok(Some(InteractionView {
            stage: i.stage,
            client_id: i.request.client_id.clone(),
            client_name: client.and_then(|c| c.metadata.client_name),
            scopes: i.request.scopes.clone(),
            csrf: i.csrf.clone(),
            login_hint: i.request.login_hint.clone(),
        }))
    }

    /// Submit username and password for interaction `id`. On success a new session starts
    /// (a fresh `session_id` on every authentication) and the request continues.
    pub async fn interaction_login(
        &self,
        id: &str,
        csrf: &str,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        // Taken, not read: two racing submissions cannot both complete it.
        let mut i = self.take_interaction(id, ctx).await?.ok_or_else(unknown)?;
        if !csrf_ok(&i.csrf, csrf) || i.stage != Stage::Login {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("invalid form submission").into());
        }
        let checked = self.check_password_counted(uid, password, ctx).await;
        let user = match checked {
            Err(e) => {
                // The hashing pool was full or the store failed: the user may send it again.
                self.put_interaction(&i, Some(id), ctx).await?;
                return Err(e);
            }
            Ok(PasswordCheck::Valid(user)) => *user,
            Ok(PasswordCheck::Wait(seconds)) => {
                // Not an attempt of this interaction: it stays as it was.
                self.put_interaction(&i, Some(id), ctx).await?;
                return Ok(LoginResult::Wait { seconds });
            }
            Ok(PasswordCheck::Invalid) => {
                i.failures += 1;
                let max = self.config().login_max_failures;
                if i.failures >= max {
                    tracing::warn!(client_id = %i.request.client_id, "login abandoned after repeated failures");
                    return Ok(LoginResult::Done(error_redirect(
                        self,
                        &i.request,
                        &OAuthError::new(ErrorCode::AccessDenied, "too many failed logins"),
                    )));
                }
                self.put_interaction(&i, Some(id), ctx).await?;
                return Ok(LoginResult::Retry {
                    remaining: max - i.failures,
                });
            }
        };
        let client = self
            .client(&i.request.client_id)
            .await?
            .ok_or_else(unknown)?;
        let (cookie, session) = self
            .create_session(&user.inum, PASSWORD_ACR, vec!["pwd".to_owned()], ctx)
            .await?;
        // The user just authenticated: prompt=login and max_age are satisfied.
        let mut request = i.request;
        request.prompt.retain(|p| *p != Prompt::Login);
        let key = crate::auth::oauth::token_key(&cookie);
        let opbs = session.opbs.clone();
        let response = continue_request(self, &client, request, Some((key, session)), ctx).await?;
        let secure = self.config().issuer.starts_with("https://");
        Ok(LoginResult::Done(
            response
                .header("set-cookie", session_cookie(self, &cookie))
                .header(
                    "set-cookie",
                    crate::auth::oidc::session_management::opbs_cookie(Some(&opbs), secure),
                ),
        ))
    }

    /// The live, active accounts behind the browser's session cookie values (in order).
    pub async fn accounts(&self, cookies: &[String], ctx: &Ctx) -> Result<Vec<Account>, Error> {
        let mut out = Vec::new();
        for (index, c) in cookies
            .iter()
            .enumerate()
            .take(crate::auth::authn::session::MAX_BROWSER_SESSIONS)
        {
            let Some((_, s)) = self.session_by_cookie_peek(c, ctx).await? else {
                continue;
            };
            if let Some(u) = self.stores().users.get(&s.user_inum).await?
                && u.status == crate::repo::user::UserStatus::Active
            {
                let name = u
                    .name
                    .clone()
                    .or_else(|| u.given_name.clone())
                    .or_else(|| u.preferred_username.clone());
                out.push(Account {
                    index,
                    uid: u.uid,
                    name,
                });
            }
        }
        Ok(out)
    }

    /// Answer the account chooser of interaction `id`: continue as the account behind
    /// `chosen` (a session cookie value of this browser), or, with `None`, sign in as
    /// another account.
    pub async fn interaction_select(
        &self,
        id: &str,
        csrf: &str,
        chosen: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let mut i = self.take_interaction(id, ctx).await?.ok_or_else(unknown)?;
        if !csrf_ok(&i.csrf, csrf) || i.stage != Stage::SelectAccount {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("invalid form submission").into());
        }
        let picked = match chosen {
            Some(c) => self.session(c, ctx).await?.map(|s| (c.to_owned(), s)),
            None => None,
        };
        let Some((cookie, (key, session))) = picked else {
            // Another account: the same request continues with a login.
            i.stage = Stage::Login;
            let id = self.put_interaction(&i, None, ctx).await?;
            let config = self.config();
            let base = if config.interaction_uri.is_empty() {
                config.endpoint_url("/jans-auth/interaction")
            } else {
                config.interaction_uri.clone()
            };
            let sep = if base.contains('?') { '&' } else { '?' };
            return Ok(Response::with_body(crate::response::Body::Redirect(
                format!("{base}{sep}interaction={id}"),
            )));
        };
        let client = self
            .client(&i.request.client_id)
            .await?
            .ok_or_else(unknown)?;
        let opbs = session.opbs.clone();
        let response =
            continue_request(self, &client, i.request, Some((key, session)), ctx).await?;
        // The chosen account's session becomes the browser's current one.
        let secure = self.config().issuer.starts_with("https://");
        Ok(response
            .header("set-cookie", session_cookie(self, &cookie))
            .header(
                "set-cookie",
                crate::auth::oidc::session_management::opbs_cookie(Some(&opbs), secure),
            ))
    }

    /// Answer the consent question of interaction `id`. With `remember`, the approval is
    /// kept for this user and client.
    pub async fn interaction_consent(
        &self,
        id: &str,
        csrf: &str,
        allow: bool,
        remember: bool,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let i = self.take_interaction(id, ctx).await?.ok_or_else(unknown)?;
        if !csrf_ok(&i.csrf, csrf) || i.stage != Stage::Consent {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("invalid form submission").into());
        }
        let session = match &i.session_key {
            Some(k) => self.session_by_key(k, ctx).await?,
            None => None,
        };
        let Some(session) = session else {
            return Ok(error_redirect(
                self,
                &i.request,
                &OAuthError::new(ErrorCode::LoginRequired, "the session ended"),
            ));
        };
        if !allow {
            return Ok(error_redirect(
                self,
                &i.request,
                &OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
            ));
        }
        if let Some(k) = &i.session_key {
            self.add_session_client(k, &i.request.client_id, ctx)
                .await?;
        }
        if remember {
            self.remember_consent(
                &session.user_inum,
                &i.request.client_id,
                &i.request.scopes,
                ctx,
            )
            .await?;
        }
        issue_code(self, &i.request, &session, ctx).await
    }
}
