//! Casa's pages for one person: the dashboard (their credentials by method and their
//! two-factor settings) and what its forms do — enrol an authenticator app, rename or
//! remove a credential, make recovery codes, turn 2FA on or off and choose the preferred
//! method. A person cannot remove their last credentials while 2FA needs them, nor touch
//! another person's.

use serde_json::{Value, json};

use crate::casa::otp::nickname;
use crate::casa::{CasaServer, Me, back, error_page, field, page};
use crate::ctx::{Ctx, format_date};
use crate::error::Error;
use crate::repo::fido2::Fido2Registration;
use crate::repo::otp::{OtpDevice, OtpDevices, OtpKind};
use crate::repo::recovery_codes::RecoveryCodes;
use crate::repo::two_factor::Factor;
use crate::repo::two_factor::TwoFactorSettings;
use crate::request::Request;
use crate::response::Response;

/// The message for a dashboard reached with `?done=what`.
pub(super) fn notice(what: &str) -> Option<&'static str> {
    Some(match what {
        "otp-added" => "Your authenticator app was added.",
        "hotp-added" => "Your token was added.",
        "renamed" => "The name was changed.",
        "removed" => "The credential was removed.",
        "2fa-on" => "Two-factor authentication is on.",
        "2fa-off" => "Two-factor authentication is off.",
        "preferred" => "Your preferred method was changed.",
        "password" => "Your password was changed.",
        "password-everywhere" => "Your password was changed, and your other sessions ended.",
        "consent" => "The application's access was withdrawn.",
        "policy" => "We will ask for your second factor as you chose.",
        "device-removed" => "That device is no longer trusted.",
        _ => return None,
    })
}

fn factor_label(f: Factor) -> &'static str {
    match f {
        Factor::SecurityKey => "Security key or passkey",
        Factor::Otp => "Authenticator app",
        Factor::RecoveryCode => "Recovery code",
    }
}

/// What a person has enrolled.
struct Credentials {
    keys: Vec<Fido2Registration>,
    apps: Vec<OtpDevice>,
    codes_left: Option<usize>,
}

impl Credentials {
    /// Keys and apps: what counts towards the minimum.
    fn count(&self) -> usize {
        self.keys.len() + self.apps.len()
    }

    /// The factors the person can sign in with, in [`Factor::ALL`]'s order.
    fn factors(&self) -> Vec<Factor> {
        Factor::ALL
            .into_iter()
            .filter(|f| match f {
                Factor::SecurityKey => !self.keys.is_empty(),
                Factor::Otp => !self.apps.is_empty(),
                Factor::RecoveryCode => self.codes_left.is_some_and(|n| n > 0),
            })
            .collect()
    }
}

impl CasaServer {
    fn settings(&self) -> TwoFactorSettings {
        TwoFactorSettings::new(self.services.stores().documents.clone())
    }

    async fn credentials(&self, me: &Me) -> Result<Credentials, Error> {
        let keys = match self.services.key_ceremonies() {
            Some(k) => k.keys_of(&me.user.uid).await?,
            None => Vec::new(),
        };
        let documents = self.services.stores().documents.clone();
        Ok(Credentials {
            keys,
            apps: OtpDevices::new(documents.clone())
                .of_user(&me.user.inum)
                .await?,
            codes_left: RecoveryCodes::new(documents)
                .get(&me.user.inum)
                .await?
                .map(|s| s.remaining()),
        })
    }

    /// The dashboard, with a `notice` or an `error`.
    pub(super) async fn dashboard(
        &self,
        me: &Me,
        ctx: &Ctx,
        notice: Option<&str>,
        error: Option<&str>,
        status: u16,
    ) -> Result<Response, Error> {
        let creds = self.credentials(me).await?;
        let settings = self.settings().get(&me.user.inum).await?;
        let policy = self.policy();
        let keys: Vec<Value> = creds
            .keys
            .iter()
            .map(|r| {
                json!({
                    "id": r.credential_id,
                    "name": r.nickname.clone().unwrap_or_else(|| {
                        if r.backup_eligible { "Passkey" } else { "Security key" }.to_owned()
                    }),
                    "authenticator": r.authenticator_name,
                    "created": format_date(r.created_at),
                    "last_used": r.last_used_at.map(format_date),
                    "synced": r.backup_eligible,
                })
            })
            .collect();
        let apps: Vec<Value> = creds
            .apps
            .iter()
            .map(|d| {
                json!({
                    "id": d.id, "name": d.nickname, "added": format_date(d.added_on),
                    "hotp": d.kind == OtpKind::Hotp,
                    "last_used": d.last_used.map(format_date),
                })
            })
            .collect();
        let enrolled = creds.factors();
        let preferred = settings
            .preferred
            .filter(|p| enrolled.contains(p))
            .or_else(|| enrolled.first().copied());
        let factors: Vec<Value> = enrolled
            .iter()
            .map(|f| json!({"name": f.name(), "label": factor_label(*f), "preferred": Some(*f) == preferred}))
            .collect();
        let consents = self.consents(me, ctx).await?;
        let (when, devices) = self.devices_context(me, &settings, ctx).await?;
        let name = me
            .user
            .name
            .clone()
            .or_else(|| me.user.given_name.clone())
            .unwrap_or_else(|| me.user.uid.clone());
        Ok(page(
            status,
            "casa_dashboard.html",
            json!({
                "csrf": me.session.csrf,
                "name": name,
                "username": me.user.uid,
                "notice": notice,
                "error": error,
                "keys_available": self.services.key_ceremonies().is_some()
                    && self.method_enabled("fido2"),
                "apps_available": self.method_enabled("otp"),
                "admin": self.is_admin(me).await?,
                "keys": keys,
                "apps": apps,
                "codes_left": creds.codes_left,
                "two_factor": {
                    "enabled": settings.enabled,
                    "min": policy.basic_2fa_settings.min_creds,
                    "count": creds.count(),
                    "can_turn_on": creds.count() >= policy.basic_2fa_settings.min_creds,
                    "can_turn_off": policy.basic_2fa_settings.allow_self_enable_disable,
                },
                "factors": factors,
                "consents": consents,
                "when": when,
                "devices": devices,
            }),
        ))
    }

    /// `GET /jans-casa/otp`: a new enrolment, its QR code and the first-code form: of an
    /// authenticator app, or with `?kind=hotp` of a counter-based token.
    pub(super) fn otp_page(&self, me: &Me, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let kind = match req.query.get("kind").ok().flatten() {
            None | Some("totp") => OtpKind::Totp,
            Some("hotp") => OtpKind::Hotp,
            Some(_) => return Ok(error_page(400, "Unknown kind of device.")),
        };
        let e = self.start_otp(&me.user.inum, &me.user.uid, kind, ctx)?;
        Ok(otp_form(me, &e, None, 200))
    }

    /// `POST /jans-casa/otp`: the first code; the app stored, or the form again.
    pub(super) async fn otp_confirm(
        &self,
        me: &Me,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let pending = field(req, "pending");
        let stored = self
            .confirm_totp(
                &me.user.inum,
                &pending,
                &field(req, "nickname"),
                &field(req, "code"),
                ctx,
            )
            .await?;
        if let Some(device) = stored {
            let done = match device.kind {
                OtpKind::Totp => "otp-added",
                OtpKind::Hotp => "hotp-added",
            };
            return Ok(back(done, &self.services.config().issuer));
        }
        Ok(match self.resume_totp(&me.user.inum, &pending, ctx)? {
            Some(e) => otp_form(
                me,
                &e,
                Some("That code is not right. Enter the code your app shows now."),
                400,
            ),
            None => error_page(
                400,
                "This enrolment has expired. Start again from your dashboard.",
            ),
        })
    }

    /// Whether removing one of the person's credentials would leave 2FA on with fewer
    /// than the minimum.
    async fn last_credential(&self, me: &Me) -> Result<bool, Error> {
        let settings = self.settings().get(&me.user.inum).await?;
        Ok(settings.enabled
            && self.credentials(me).await?.count() <= self.policy().basic_2fa_settings.min_creds)
    }

    async fn refuse_last(&self, me: &Me, ctx: &Ctx) -> Result<Response, Error> {
        let msg = format!(
            "Two-factor authentication is on and needs at least {} credential{}: add another one, or turn it off, before removing this one.",
            self.policy().basic_2fa_settings.min_creds,
            if self.policy().basic_2fa_settings.min_creds == 1 {
                ""
            } else {
                "s"
            }
        );
        self.dashboard(me, ctx, None, Some(&msg), 409).await
    }

    /// Remove a credential of the person (`owns` says it is theirs, `delete` removes it)
    /// unless it is among the last ones 2FA needs, as the only change under way
    /// ([`CasaServer::exclusively`]): `Ok(Some("removed"))`, `Ok(None)` when it is not
    /// theirs, or the refusal's page.
    async fn remove_guarded(
        &self,
        me: &Me,
        ctx: &Ctx,
        owns: impl AsyncFnOnce() -> Result<bool, Error>,
        delete: impl AsyncFnOnce() -> Result<bool, Error>,
    ) -> Result<Result<Option<&'static str>, Response>, Error> {
        enum Outcome {
            Done(bool),
            Last,
        }
        let outcome = self
            .exclusively(&me.user.inum, ctx, async || {
                if !owns().await? {
                    return Ok(Outcome::Done(false));
                }
                if self.last_credential(me).await? {
                    return Ok(Outcome::Last);
                }
                Ok(Outcome::Done(delete().await?))
            })
            .await?;
        Ok(match outcome {
            None => Err(crate::casa::busy()),
            Some(Outcome::Last) => Err(self.refuse_last(me, ctx).await?),
            Some(Outcome::Done(removed)) => Ok(removed.then_some("removed")),
        })
    }

    /// `POST /jans-casa/otp/{id}`: rename or remove one of the person's apps.
    pub(super) async fn otp_device(
        &self,
        me: &Me,
        id: &str,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let devices = OtpDevices::new(self.services.stores().documents.clone());
        let issuer = self.services.config().issuer.clone();
        let done = match field(req, "action").as_str() {
            "rename" => {
                let name = nickname(&field(req, "nickname"));
                if name.is_empty() {
                    return self
                        .dashboard(me, ctx, None, Some("Give it a name."), 400)
                        .await;
                }
                devices
                    .rename(&me.user.inum, id, &name)
                    .await?
                    .then_some("renamed")
            }
            "remove" => {
                let inum = &me.user.inum;
                let removal = self
                    .remove_guarded(
                        me,
                        ctx,
                        async || Ok(devices.get(inum, id).await?.is_some()),
                        async || Ok(devices.delete(inum, id).await?),
                    )
                    .await?;
                match removal {
                    Ok(done) => done,
                    Err(refused) => return Ok(refused),
                }
            }
            _ => return Ok(error_page(400, "Unknown action.")),
        };
        Ok(match done {
            Some(d) => back(d, &issuer),
            None => error_page(404, "You have no such authenticator app."),
        })
    }

    /// `POST /jans-casa/passkeys/{credential id}`: rename or remove one of the person's
    /// keys.
    pub(super) async fn passkey(
        &self,
        me: &Me,
        id: &str,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let Some(keys) = self.services.key_ceremonies() else {
            return Ok(error_page(404, "Security keys are not served here."));
        };
        let issuer = self.services.config().issuer.clone();
        let uid = &me.user.uid;
        let done = match field(req, "action").as_str() {
            "rename" => {
                let name = nickname(&field(req, "nickname"));
                let named = (!name.is_empty()).then_some(name.as_str());
                match keys.rename_key(uid, id, named).await {
                    Ok(found) => found.then_some("renamed"),
                    Err(Error::Fido2(e)) => {
                        return self.dashboard(me, ctx, None, Some(&e.message), 400).await;
                    }
                    Err(e) => return Err(e),
                }
            }
            "remove" => {
                let removal = self
                    .remove_guarded(
                        me,
                        ctx,
                        async || {
                            Ok(keys
                                .keys_of(uid)
                                .await?
                                .iter()
                                .any(|k| k.credential_id == id))
                        },
                        async || keys.remove_key(uid, id).await,
                    )
                    .await?;
                match removal {
                    Ok(done) => done,
                    Err(refused) => return Ok(refused),
                }
            }
            _ => return Ok(error_page(400, "Unknown action.")),
        };
        Ok(match done {
            Some(d) => back(d, &issuer),
            None => error_page(404, "You have no such security key or passkey."),
        })
    }

    /// `POST /jans-casa/recovery-codes`: a new set, shown once (the old one ends).
    pub(super) async fn recovery_codes(&self, me: &Me, ctx: &Ctx) -> Result<Response, Error> {
        let codes = self.new_recovery_codes(&me.user.inum, ctx).await?;
        Ok(page(
            200,
            "casa_codes.html",
            json!({"csrf": me.session.csrf, "codes": codes}),
        ))
    }

    /// `POST /jans-casa/2fa`: `action` `on` (with enough credentials), `off` (when the
    /// administrator allows it), `prefer` (`factor`, one the person enrolled) or `policy`
    /// (`when`, one of the choices offered).
    pub(super) async fn two_factor(
        &self,
        me: &Me,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        // Under the lock: turning 2FA on and a removal never both pass their checks, and
        // no change is lost to another.
        let changed = self
            .exclusively(&me.user.inum, ctx, async || {
                self.change_two_factor(me, req, ctx).await
            })
            .await?;
        Ok(changed.unwrap_or_else(crate::casa::busy))
    }

    async fn change_two_factor(
        &self,
        me: &Me,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let settings = self.settings();
        let mut s = settings.get(&me.user.inum).await?;
        let policy = self.policy();
        let done = match field(req, "action").as_str() {
            "on" => {
                if self.credentials(me).await?.count() < policy.basic_2fa_settings.min_creds {
                    let msg = format!(
                        "Add at least {} security key, passkey or authenticator app before turning two-factor authentication on.",
                        policy.basic_2fa_settings.min_creds
                    );
                    return self.dashboard(me, ctx, None, Some(&msg), 409).await;
                }
                s.enabled = true;
                "2fa-on"
            }
            "off" => {
                if !policy.basic_2fa_settings.allow_self_enable_disable {
                    return self
                        .dashboard(
                            me,
                            ctx,
                            None,
                            Some("Your administrator requires two-factor authentication."),
                            403,
                        )
                        .await;
                }
                s.enabled = false;
                "2fa-off"
            }
            "prefer" => {
                let wanted = Factor::parse(&field(req, "factor"));
                let enrolled = self.credentials(me).await?.factors();
                if !wanted.is_some_and(|f| enrolled.contains(&f)) {
                    return self
                        .dashboard(
                            me,
                            ctx,
                            None,
                            Some("Choose one of the methods you enrolled."),
                            400,
                        )
                        .await;
                }
                s.preferred = wanted;
                "preferred"
            }
            "policy" => {
                let Some(policy) = self.chosen_policy(&field(req, "when")) else {
                    return self
                        .dashboard(
                            me,
                            ctx,
                            None,
                            Some("Choose one of the options offered."),
                            400,
                        )
                        .await;
                };
                s.policy = policy;
                "policy"
            }
            _ => return Ok(error_page(400, "Unknown action.")),
        };
        s.updated_at = ctx.now;
        settings.put(&s).await?;
        Ok(back(done, &self.services.config().issuer))
    }
}

/// The enrolment page of `e`, saying `error`.
fn otp_form(
    me: &Me,
    e: &crate::casa::otp::TotpEnrolment,
    error: Option<&str>,
    status: u16,
) -> Response {
    page(
        status,
        "casa_otp.html",
        json!({
            "csrf": me.session.csrf, "qr": e.qr_svg, "secret": e.secret, "uri": e.uri,
            "pending": e.pending, "error": error, "hotp": e.kind == OtpKind::Hotp,
        }),
    )
}
