//! The second step of a two-factor sign-in (ACRs `fido2`, `otp` and `casa`): which factors
//! a person is offered once their password was right, and the answers that finish it — a
//! one-time password or recovery code ([`AuthServer::interaction_otp`]; a key goes through
//! [`AuthServer::interaction_webauthn`]) — or switch to another factor
//! ([`AuthServer::interaction_choose_factor`], "try another way").
//!
//! - `fido2` asks for a security key or passkey;
//! - `otp` asks for a code of an authenticator app, or a recovery code;
//! - `casa` asks, when the person turned two-factor authentication on
//!   ([`crate::repo::two_factor`]), for their preferred factor, offering the others they
//!   enrolled; when it is off, the password alone signs them in (as Janssen Casa's method).

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{Interaction, LoginResult, Stage, unknown};
use crate::auth::authn::methods::{CASA_ACR, FIDO2_ACR, Factor, OTP_ACR, PASSWORD_ACR};
use crate::auth::authn::otp::OtpCheck;
use crate::auth::oauth::authorize::interaction_url;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::repo::otp::OtpDevices;
use crate::repo::recovery_codes::RecoveryCodes;
use crate::repo::two_factor::TwoFactorSettings;
use crate::repo::user::User;
use crate::request::Browser;
use crate::response::{Body, Response};

impl AuthServer {
    /// The second factors the person `inum` has enrolled, `preferred` first, then in
    /// [`Factor::ALL`]'s order: keys only with the FIDO2 component, recovery codes while
    /// one is left.
    pub async fn enrolled_factors(
        &self,
        inum: &str,
        preferred: Option<Factor>,
    ) -> Result<Vec<Factor>, Error> {
        let stores = self.stores();
        let mut out = Vec::new();
        for f in Factor::ALL {
            let has = match f {
                Factor::SecurityKey => {
                    self.key_ceremonies().is_some() && !stores.fido2.of_user(inum).await?.is_empty()
                }
                Factor::Otp => !OtpDevices::new(stores.documents.clone())
                    .of_user(inum)
                    .await?
                    .is_empty(),
                Factor::RecoveryCode => RecoveryCodes::new(stores.documents.clone())
                    .get(inum)
                    .await?
                    .is_some_and(|s| s.remaining() > 0),
            };
            if has {
                out.push(f);
            }
        }
        if let Some(p) = preferred
            && let Some(at) = out.iter().position(|f| *f == p)
        {
            out.remove(at);
            out.insert(0, p);
        }
        Ok(out)
    }

    /// What a sign-in with `acr` asks of `user` after the password, on `browser`: the
    /// factors offered, the first asked for; `None` when the password is enough.
    async fn second_factors(
        &self,
        acr: &str,
        user: &User,
        browser: Option<&Browser>,
        ctx: &Ctx,
    ) -> Result<Option<Vec<Factor>>, Error> {
        Ok(match acr {
            FIDO2_ACR if self.key_ceremonies().is_some() => Some(vec![Factor::SecurityKey]),
            OTP_ACR => {
                let mut offered: Vec<Factor> = self
                    .enrolled_factors(&user.inum, Some(Factor::Otp))
                    .await?
                    .into_iter()
                    .filter(|f| *f != Factor::SecurityKey)
                    .collect();
                if offered.is_empty() {
                    // The page says there is no authenticator app; nothing else would do.
                    offered.push(Factor::Otp);
                }
                Some(offered)
            }
            CASA_ACR => {
                let settings = TwoFactorSettings::new(self.stores().documents.clone())
                    .get(&user.inum)
                    .await?;
                if !settings.enabled {
                    return Ok(None);
                }
                // The methods the administrator disabled are not offered (recovery codes,
                // the way back, always are).
                let enabled = self.config().casa_configuration.enabled_methods.clone();
                let offered: Vec<Factor> = self
                    .enrolled_factors(&user.inum, settings.preferred)
                    .await?
                    .into_iter()
                    .filter(|f| match f {
                        Factor::RecoveryCode => true,
                        f => enabled.iter().any(|m| m == f.name()),
                    })
                    .collect();
                if offered.is_empty() {
                    tracing::warn!(
                        user = %user.inum,
                        "two-factor authentication is on but nothing is enrolled: password alone"
                    );
                    return Ok(None);
                }
                if !self.second_factor_needed(&settings, browser, ctx).await? {
                    return Ok(None);
                }
                Some(offered)
            }
            _ => None,
        })
    }

    /// The password of `user` was right at interaction `i`: the second factor follows, on a
    /// new interaction id, or the session starts.
    pub(crate) async fn after_password(
        &self,
        mut i: Interaction,
        user: &User,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        let browser = i.request.browser.as_ref();
        if let Some(factors) = self.second_factors(&i.acr, user, browser, ctx).await? {
            i.stage = Stage::SecondFactor;
            i.pending_user = Some(user.inum.clone());
            i.factors = factors;
            i.failures = 0;
            let id = self.put_interaction(&i, None, ctx).await?;
            return Ok(LoginResult::Done(Response::with_body(Body::Redirect(
                interaction_url(self, &id),
            ))));
        }
        // `casa` with two-factor authentication off is still `casa`: the person's choice
        // was honoured (and a later `casa` request is satisfied by this session).
        let acr = if i.acr == CASA_ACR {
            CASA_ACR
        } else {
            PASSWORD_ACR
        };
        Ok(LoginResult::Done(
            self.signed_in(
                i.request,
                i.return_to,
                &user.inum,
                acr,
                vec!["pwd".to_owned()],
                ctx,
            )
            .await?,
        ))
    }

    /// Answer the second factor of interaction `id` with `code`: a one-time password when
    /// the factor asked is `otp`, a recovery code when it is `recovery_code`. A wrong or
    /// replayed code counts as a failed attempt, and the person's brute-force delay applies
    /// (counted apart from passwords: [`AuthServer::check_otp`]).
    pub async fn interaction_otp(
        &self,
        id: &str,
        csrf: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        let i = self.take_form(id, csrf, Stage::SecondFactor, ctx).await?;
        let Some(inum) = i.pending_user.clone() else {
            return Err(unknown());
        };
        let code = code.trim();
        let checked = match i.factor() {
            // Bounded before any hashing: no code of either kind is longer.
            _ if code.len() > 64 => Ok(OtpCheck::Invalid),
            Factor::Otp => self.check_otp(&inum, code, ctx).await,
            Factor::RecoveryCode => self.check_recovery_code(&inum, code, ctx).await,
            Factor::SecurityKey => {
                self.put_interaction(&i, Some(id), ctx).await?;
                return Err(OAuthError::invalid_request("invalid form submission").into());
            }
        };
        match checked {
            Err(e) => {
                self.put_interaction(&i, Some(id), ctx).await?;
                Err(e)
            }
            Ok(OtpCheck::Wait(seconds)) => {
                self.put_interaction(&i, Some(id), ctx).await?;
                Ok(LoginResult::Wait { seconds })
            }
            Ok(OtpCheck::Invalid) => self.failed_attempt(i, id, ctx).await,
            Ok(OtpCheck::Valid(_)) => Ok(LoginResult::Done(
                self.second_factor_done(i, &inum, Factor::code_amr(), ctx)
                    .await?,
            )),
        }
    }

    /// The second factor of interaction `i` confirmed the person `inum` (`amr`): the
    /// session starts; at a `casa` sign-in under a device or location policy, the browser
    /// is trusted from now on ([`AuthServer::trust_device`]).
    pub(crate) async fn second_factor_done(
        &self,
        i: Interaction,
        inum: &str,
        amr: Vec<String>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let device_cookie = if i.acr == CASA_ACR {
            let settings = TwoFactorSettings::new(self.stores().documents.clone())
                .get(inum)
                .await?;
            self.trust_device(&settings, i.request.browser.as_ref(), ctx)
                .await?
        } else {
            None
        };
        let acr = i.acr.clone();
        let response = self
            .signed_in(i.request, i.return_to, inum, &acr, amr, ctx)
            .await?;
        Ok(match device_cookie {
            Some(c) => response.header("set-cookie", c),
            None => response,
        })
    }

    /// "Try another way": ask interaction `id` for `factor`, one of those it offers, instead.
    /// Anything else is `invalid_request` and changes nothing.
    pub async fn interaction_choose_factor(
        &self,
        id: &str,
        csrf: &str,
        factor: &str,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let mut i = self.take_form(id, csrf, Stage::SecondFactor, ctx).await?;
        let at = Factor::parse(factor).and_then(|f| i.factors.iter().position(|g| *g == f));
        let Some(at) = at else {
            self.put_interaction(&i, Some(id), ctx).await?;
            return Err(OAuthError::invalid_request("that way is not offered").into());
        };
        let f = i.factors.remove(at);
        i.factors.insert(0, f);
        self.put_interaction(&i, Some(id), ctx).await?;
        Ok(())
    }
}
