//! Interactions: an authorization request waiting for the user (login, account choice,
//! consent), kept as a grant record, and the interaction API (DESIGN.md §3) that the
//! host's pages — or an embedder's own UI — call to finish it.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::authn::methods::{self, Factor, PASSKEY_ACR};
use crate::auth::authn::protection::{self, Admission};
use crate::auth::authn::session::SESSION_COOKIE;
use crate::auth::oauth::authorize::{
    AuthorizationRequest, Prompt, continue_request, error_redirect, interaction_url, issue_code,
};
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::grant::GrantRecords;
use crate::response::Response;
use crate::store::{GrantData, GrantKind, GrantRecord};

pub use crate::auth::authn::methods::PASSWORD_ACR;

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
    /// Confirm with a second factor after the password (ACRs `fido2`, `otp`, `casa`):
    /// the interaction's first [`Factor`], or another it offers.
    SecondFactor,
    /// Create an account, then go on signed in (`prompt=create`; `authn::create`).
    Create,
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
    /// The method the user signs in with (an ACR of [`methods`]).
    #[serde(default = "password_acr")]
    pub acr: String,
    /// The user whose password was right, waiting for the second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_user: Option<String>,
    /// The second factors the user may finish with, the one asked for first (empty from
    /// before there was a choice: a security key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<Factor>,
    /// A sign-in for another component ([`crate::services::SignIn`]): once signed in,
    /// the browser goes here (a URL of this server) instead of on with the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

fn password_acr() -> String {
    PASSWORD_ACR.to_owned()
}

impl Interaction {
    /// The second factor asked for now.
    pub fn factor(&self) -> Factor {
        self.factors.first().copied().unwrap_or(Factor::SecurityKey)
    }
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
    /// The types of the authorization details it asks for (RFC 9396), to show beside them.
    pub authorization_details: Vec<String>,
    /// The anti-CSRF token the form must post back.
    pub csrf: String,
    /// `login_hint` to prefill.
    pub login_hint: Option<String>,
    /// The method asked for (an ACR of [`methods`]).
    pub acr: String,
    /// WebAuthn request options (`PublicKeyCredentialRequestOptionsJSON`) for the page to
    /// pass to `navigator.credentials.get()`: at the login stage any passkey (when the
    /// FIDO2 component is there), at the second factor the user's credentials.
    pub webauthn: Option<serde_json::Value>,
    /// At the second factor: the one asked for, then the others the user may choose
    /// instead ("try another way").
    pub factors: Vec<Factor>,
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

pub(crate) fn unknown() -> Error {
    OAuthError::invalid_request("unknown or expired interaction").into()
}

pub(crate) fn csrf_ok(expected: &str, got: &str) -> bool {
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

/// `response` with the cookies of the session `cookie`: `session_id` and the browser state
/// `opbs` (OIDC Session Management 1.0 §3).
fn with_session_cookies(
    auth: &AuthServer,
    response: Response,
    cookie: &str,
    opbs: &str,
) -> Response {
    let secure = auth.config().issuer.starts_with("https://");
    response
        .header("set-cookie", session_cookie(auth, cookie))
        .header(
            "set-cookie",
            crate::auth::oidc::session_management::opbs_cookie(Some(opbs), secure),
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

    /// The pending interaction `id`, for rendering. A WebAuthn ceremony is started for
    /// the page when it offers one.
    pub async fn interaction(&self, id: &str, ctx: &Ctx) -> Result<Option<InteractionView>, Error> {
        let Some(i) = self.get_interaction(id, ctx).await? else {
            return Ok(None);
        };
        let client = self.client(&i.request.client_id).await?;
        // A passkey is offered at the login stage when it is enough for the method asked
        // (not for `fido2`, whose first factor is the password).
        let passkey_enough = methods::level(PASSKEY_ACR) >= methods::level(&i.acr);
        let webauthn = match (self.key_ceremonies(), i.stage) {
            // A passkey alone signs in only with user verification (a possession-only key
            // would otherwise earn the `passkey` ACR and satisfy later requests for it).
            (Some(keys), Stage::Login) if passkey_enough => {
                keys.start_sign_in(None, "required", ctx).await?
            }
            (Some(keys), Stage::SecondFactor) if i.factor() == Factor::SecurityKey => {
                match &i.pending_user {
                    Some(inum) => match self.stores().users.get(inum).await? {
                        Some(u) => keys.start_sign_in(Some(&u.uid), "discouraged", ctx).await?,
                        None => None,
                    },
                    None => None,
                }
            }
            _ => None,
        };
        Ok(Some(InteractionView {
            stage: i.stage,
            client_id: i.request.client_id.clone(),
            client_name: client.and_then(|c| c.metadata.client_name),
            scopes: i.request.scopes.clone(),
            authorization_details: crate::auth::oauth::rar::types(
                i.request.authorization_details.as_ref(),
            ),
            csrf: i.csrf.clone(),
            login_hint: i.request.login_hint.clone(),
            acr: i.acr.clone(),
            webauthn,
            factors: match i.stage {
                Stage::SecondFactor if i.factors.is_empty() => vec![Factor::SecurityKey],
                Stage::SecondFactor => i.factors.clone(),
                _ => Vec::new(),
            },
        }))
    }

    /// Take interaction `id` for a form answering its `stage` with `csrf`; a form of another
    /// stage, or with the wrong token, puts it back and is `invalid_request`.
    pub(crate) async fn take_form(
        &self,
        id: &str,
        csrf: &str,
        stage: Stage,
        ctx: &Ctx,
    ) -> Result<Interaction, Error> {
        let i = self.take_interaction(id, ctx).await?.ok_or_else(unknown)?;
        if !csrf_ok(&i.csrf, csrf) || i.stage != stage {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("invalid form submission").into());
        }
        Ok(i)
    }

    /// Start the session of `inum` signed in with `acr`/`amr` and continue the request
    /// (or go back to `return_to`, for a sign-in of another component).
    pub(crate) async fn signed_in(
        &self,
        request: AuthorizationRequest,
        return_to: Option<String>,
        inum: &str,
        acr: &str,
        amr: Vec<String>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let (cookie, session) = self.create_session(inum, acr, amr, ctx).await?;
        if let Some(to) = return_to {
            let back = Response::with_body(crate::response::Body::Redirect(to));
            return Ok(with_session_cookies(self, back, &cookie, &session.opbs));
        }
        let client = self.client(&request.client_id).await?.ok_or_else(unknown)?;
        // The user just authenticated: prompt=login and max_age are satisfied.
        let mut request = request;
        request.prompt.retain(|p| *p != Prompt::Login);
        let key = crate::auth::oauth::token_key(&cookie);
        let opbs = session.opbs.clone();
        let response = continue_request(self, &client, request, Some((key, session)), ctx).await?;
        Ok(with_session_cookies(self, response, &cookie, &opbs))
    }

    /// Submit a WebAuthn assertion (the browser's `AuthenticationResponseJSON`) for
    /// interaction `id`: at the login stage a passkey signs the user in (ACR `passkey`); at
    /// the second factor it must be the password's user (ACR `fido2`). A refused assertion
    /// counts as a failed attempt.
    pub async fn interaction_webauthn(
        &self,
        id: &str,
        csrf: &str,
        response: &[u8],
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        let i = self.take_interaction(id, ctx).await?.ok_or_else(unknown)?;
        let keys = self.key_ceremonies();
        let stage_ok = match i.stage {
            Stage::Login => methods::level(PASSKEY_ACR) >= methods::level(&i.acr),
            Stage::SecondFactor => i.factor() == Factor::SecurityKey,
            _ => false,
        };
        let Some(keys) = keys.filter(|_| csrf_ok(&i.csrf, csrf) && stage_ok) else {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("invalid form submission").into());
        };
        let checked = keys.finish_sign_in(response, ctx).await;
        let signed_in = match checked {
            // The key's user is active (`KeyCeremonies::finish_sign_in` says so).
            Ok(k) if i.stage == Stage::Login || i.pending_user.as_deref() == Some(&k.user_inum) => {
                Some(k)
            }
            Ok(_) => None,
            Err(Error::Fido2(e)) => {
                tracing::info!(client_id = %i.request.client_id, error = %e, "WebAuthn sign-in refused");
                None
            }
            Err(e) => {
                self.put_interaction(&i, Some(id), ctx).await?;
                return Err(e);
            }
        };
        let Some(k) = signed_in else {
            return self.failed_attempt(i, id, ctx).await;
        };
        if i.stage == Stage::SecondFactor {
            let amr = methods::key_amr(&k, true);
            return Ok(LoginResult::Done(
                self.second_factor_done(i, &k.user_inum, amr, ctx).await?,
            ));
        }
        let amr = methods::key_amr(&k, false);
        Ok(LoginResult::Done(
            self.signed_in(i.request, i.return_to, &k.user_inum, PASSKEY_ACR, amr, ctx)
                .await?,
        ))
    }

    /// One more failed attempt at interaction `id` (a wrong password, key or code): the
    /// form again with the attempts left, or, at `loginMaxFailures`, the request abandoned
    /// with `access_denied`.
    pub(crate) async fn failed_attempt(
        &self,
        mut i: Interaction,
        id: &str,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        i.failures += 1;
        let max = self.config().login_max_failures;
        if i.failures >= max {
            tracing::warn!(client_id = %i.request.client_id, "login abandoned after repeated failures");
            return Ok(LoginResult::Done(
                error_redirect(
                    self,
                    &i.request,
                    &OAuthError::new(ErrorCode::AccessDenied, "too many failed logins"),
                    ctx,
                )
                .await,
            ));
        }
        self.put_interaction(&i, Some(id), ctx).await?;
        Ok(LoginResult::Retry {
            remaining: max - i.failures,
        })
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
        let i = self.take_form(id, csrf, Stage::Login, ctx).await?;
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
            Ok(PasswordCheck::Invalid) => return self.failed_attempt(i, id, ctx).await,
        };
        self.after_password(i, &user, ctx).await
    }

    /// The active user signed in by the session behind the `session_id` cookie value
    /// `cookie` (an account page's user).
    pub async fn signed_in_user(
        &self,
        cookie: &str,
        ctx: &Ctx,
    ) -> Result<Option<crate::repo::user::User>, Error> {
        let Some((_, s)) = self.session_by_cookie_peek(cookie, ctx).await? else {
            return Ok(None);
        };
        Ok(self
            .stores()
            .users
            .get(&s.user_inum)
            .await?
            .filter(|u| u.status == crate::repo::user::UserStatus::Active))
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
        let mut i = self.take_form(id, csrf, Stage::SelectAccount, ctx).await?;
        let picked = match chosen {
            Some(c) => self.session(c, ctx).await?.map(|s| (c.to_owned(), s)),
            None => None,
        };
        let Some((cookie, (key, session))) = picked else {
            // Another account: the same request continues with a login.
            i.stage = Stage::Login;
            let id = self.put_interaction(&i, None, ctx).await?;
            return Ok(Response::with_body(crate::response::Body::Redirect(
                interaction_url(self, &id),
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
        Ok(with_session_cookies(self, response, &cookie, &opbs))
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
        let i = self.take_form(id, csrf, Stage::Consent, ctx).await?;
        let session = match &i.session_key {
            Some(k) => self.session_by_key(k, ctx).await?,
            None => None,
        };
        let Some(session) = session else {
            return Ok(error_redirect(
                self,
                &i.request,
                &OAuthError::new(ErrorCode::LoginRequired, "the session ended"),
                ctx,
            )
            .await);
        };
        if !allow {
            if let Some(device) = &i.request.device {
                return crate::auth::oauth::device::deny(self, device, ctx).await;
            }
            return Ok(error_redirect(
                self,
                &i.request,
                &OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
                ctx,
            )
            .await);
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
