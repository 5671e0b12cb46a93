//! Casa's admin console (`/jans-casa/admin`), for people with the `CasaAdmin` role (in
//! their SCIM `roles`) or in the configured administrators' group: the methods people may
//! use, the two-factor rules, the policies people may choose among and how long devices
//! and locations stay trusted, the pages' branding, the log level — all written to the
//! shared configuration, so every node runs them — and the reset of a person to
//! password-only (lockout recovery). Anyone else gets a 403 page and changes nothing.

use serde_json::{Value, json};

use crate::casa::{CasaServer, Me, error_page, field, page};
use crate::config::casa::{ADMIN_ROLE, CasaConfiguration, EnforcementPolicy, METHODS, parse_color};
use crate::config::{ConfigError, LOGGING_LEVELS};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::trusted_device::TrustedDevices;
use crate::repo::two_factor::TwoFactorSettings;
use crate::request::Request;
use crate::response::Response;
use crate::services::shared_doc;
use crate::store::StoreError;

/// The name a policy has on the console.
fn policy_label(p: EnforcementPolicy) -> &'static str {
    match p {
        EnforcementPolicy::EveryLogin => "Every sign-in",
        EnforcementPolicy::DeviceUnknown => "On a device the person has not trusted",
        EnforcementPolicy::LocationUnknown => {
            "From a country the person has not signed in from lately"
        }
    }
}

fn method_label(m: &str) -> &'static str {
    match m {
        "fido2" => "Passkeys and security keys",
        _ => "Authenticator apps",
    }
}

impl CasaServer {
    /// Whether `me` administers Casa: the `CasaAdmin` role, or membership of the
    /// configured group.
    pub(super) async fn is_admin(&self, me: &Me) -> Result<bool, Error> {
        if me.user.roles().iter().any(|r| r == ADMIN_ROLE) {
            return Ok(true);
        }
        let Some(group) = self.policy().admin_group else {
            return Ok(false);
        };
        Ok(self
            .services
            .stores()
            .groups
            .of_member(&me.user.inum)
            .await?
            .iter()
            .any(|g| g.inum == group))
    }

    /// The console, with a `notice` or an `error`.
    fn admin_page(
        &self,
        me: &Me,
        notice: Option<&str>,
        error: Option<&str>,
        status: u16,
    ) -> Response {
        let config = self.services.config();
        let c = &config.casa_configuration;
        let methods: Vec<Value> = METHODS
            .iter()
            .map(|m| {
                json!({"name": m, "label": method_label(m),
                       "enabled": c.enabled_methods.iter().any(|e| e == m)})
            })
            .collect();
        let policies: Vec<Value> = EnforcementPolicy::ALL
            .iter()
            .map(|p| {
                json!({"name": p.name(), "label": policy_label(*p),
                       "allowed": c.policy_2fa.contains(p),
                       "default": c.default_policy() == *p})
            })
            .collect();
        page(
            status,
            "casa_admin.html",
            json!({
                "csrf": me.session.csrf,
                "admin": true,
                "notice": notice,
                "error": error,
                "methods": methods,
                "min_creds": c.basic_2fa_settings.min_creds,
                "allow_off": c.basic_2fa_settings.allow_self_enable_disable,
                "policies": policies,
                "countries": self.services.knows_countries(),
                "device_days": c.trusted_dev_settings.device_exp_days,
                "location_days": c.trusted_dev_settings.location_exp_days,
                "admin_group": c.admin_group,
                "use_branding": c.use_branding,
                "accent_color": c.accent_color,
                "background_color": c.background_color,
                "extra_css": c.extra_css,
                "log_levels": LOGGING_LEVELS,
                "log_level": config.logging_level,
            }),
        )
    }

    /// `/jans-casa/admin`: the console (`GET`), its settings (`POST` `action=settings`) or a
    /// person's reset (`POST` `action=reset`, `username`).
    pub(super) async fn admin(&self, me: &Me, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        if !self.is_admin(me).await? {
            return Ok(error_page(
                403,
                "Only Casa's administrators may open the admin console.",
            ));
        }
        match (req.method, field(req, "action").as_str()) {
            (crate::request::Method::Get, _) => {
                let notice = match req.query.get("done").ok().flatten() {
                    Some("settings") => Some("The settings were saved; every node uses them now."),
                    _ => None,
                };
                Ok(self.admin_page(me, notice, None, 200))
            }
            (_, "settings") => self.save_settings(me, req).await,
            (_, "reset") => self.reset_person(me, req, ctx).await,
            _ => Ok(error_page(400, "Unknown action.")),
        }
    }

    /// The settings form as a configuration: what it says, or why it cannot be.
    fn settings_of(&self, req: &Request) -> Result<(CasaConfiguration, String), String> {
        let config = self.services.config();
        let mut c = config.casa_configuration.clone();
        let on = |name: &str| !field(req, name).is_empty();
        c.enabled_methods = METHODS
            .iter()
            .filter(|m| on(&format!("method_{m}")))
            .map(|m| (*m).to_owned())
            .collect();
        c.basic_2fa_settings.min_creds = field(req, "min_creds")
            .parse()
            .map_err(|_| "The minimum number of credentials is a number.".to_owned())?;
        c.basic_2fa_settings.allow_self_enable_disable = on("allow_off");
        let default = EnforcementPolicy::ALL
            .into_iter()
            .find(|p| field(req, "default_policy") == p.name())
            .ok_or("Choose the policy of people who have not chosen one.")?;
        c.policy_2fa = std::iter::once(default)
            .chain(
                EnforcementPolicy::ALL
                    .into_iter()
                    .filter(|p| *p != default && on(&format!("policy_{}", p.name()))),
            )
            .collect();
        let days = |name: &str| {
            field(req, name)
                .parse::<u64>()
                .map_err(|_| "Days are whole numbers.".to_owned())
        };
        c.trusted_dev_settings.device_exp_days = days("device_days")?;
        c.trusted_dev_settings.location_exp_days = days("location_days")?;
        c.admin_group = Some(field(req, "admin_group").trim().to_owned()).filter(|g| !g.is_empty());
        c.use_branding = on("use_branding");
        c.accent_color = field(req, "accent_color").to_ascii_lowercase();
        c.background_color = field(req, "background_color").to_ascii_lowercase();
        c.extra_css = Some(field(req, "extra_css")).filter(|css| !css.trim().is_empty());
        let level = field(req, "log_level");
        if !LOGGING_LEVELS.contains(&level.as_str()) {
            return Err("Choose one of the log levels.".to_owned());
        }
        Ok((c, level))
    }

    /// `action=settings`: the whole form, checked as the configuration is, written to the
    /// shared configuration by compare-and-set.
    async fn save_settings(&self, me: &Me, req: &Request) -> Result<Response, Error> {
        let (casa, level) = match self.settings_of(req) {
            Ok(s) => s,
            Err(why) => return Ok(self.admin_page(me, None, Some(&why), 400)),
        };
        let mut doc = shared_doc(&self.services.config())?;
        if let Value::Object(m) = &mut doc {
            m.insert(
                "casaConfiguration".into(),
                serde_json::to_value(&casa).map_err(|e| Error::Internal(e.to_string()))?,
            );
            m.insert("loggingLevel".into(), level.into());
        }
        match self
            .services
            .store_config(doc, self.services.config_revision())
            .await
        {
            Ok(_) => {}
            Err(Error::Config(ConfigError { key, message })) => {
                let why = format!("{key}: {message}");
                return Ok(self.admin_page(me, None, Some(&why), 400));
            }
            Err(Error::Store(StoreError::Conflict)) => {
                return Ok(self.admin_page(
                    me,
                    None,
                    Some("The settings changed meanwhile. Reload the page and try again."),
                    409,
                ));
            }
            Err(e) => return Err(e),
        }
        tracing::info!(
            target: "jans::audit",
            admin = %me.user.uid,
            resource = "casaConfiguration",
            "Casa's settings changed"
        );
        Ok(crate::response::Response::with_body(
            crate::response::Body::Redirect(format!(
                "{}{}?done=settings",
                self.services.config().issuer,
                crate::casa::paths::ADMIN
            )),
        ))
    }

    /// `action=reset`: the person `username` signs in with the password alone again — their
    /// two-factor settings and trusted devices forgotten, under their lock; their
    /// credentials stay for them to remove or use again.
    async fn reset_person(&self, me: &Me, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let username = field(req, "username");
        let username = username.trim();
        let Some(person) = self.services.stores().users.by_uid(username).await? else {
            return Ok(self.admin_page(me, None, Some("There is no such person."), 404));
        };
        let documents = self.services.stores().documents.clone();
        let reset = self
            .exclusively(&person.inum, ctx, async || {
                TwoFactorSettings::new(documents.clone())
                    .remove(&person.inum)
                    .await?;
                TrustedDevices::new(documents.clone())
                    .delete_all(&person.inum)
                    .await?;
                Ok(())
            })
            .await?;
        if reset.is_none() {
            return Ok(crate::casa::busy());
        }
        tracing::info!(
            target: "jans::audit",
            admin = %me.user.uid,
            person = %person.inum,
            "a person was reset to password-only"
        );
        let done = format!("{} signs in with the password alone now.", person.uid);
        Ok(self.admin_page(me, Some(&done), None, 200))
    }
}

/// The stylesheet of Casa's branding (`/jans-casa/static/brand.css`, served by the host
/// after `jans.css`): the configured colours, the branding directory's logo and
/// `custom.css` when `use_branding` is on, then `extra_css`.
pub fn brand_css(c: &CasaConfiguration) -> String {
    let color = |text: &str, fallback: &str| {
        parse_color(text).map_or_else(
            || fallback.to_owned(),
            |[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}"),
        )
    };
    let mut css = String::new();
    if c.use_branding {
        // @import comes before every other rule (CSS Cascade 4 §2).
        css.push_str("@import url(\"/jans-casa/custom/custom.css\");\n");
    }
    css.push_str(&format!(
        ":root {{ --accent: {}; --bg: {}; }}\n",
        color(&c.accent_color, "#1a6bd6"),
        color(&c.background_color, "#f3f5f8"),
    ));
    if c.use_branding {
        css.push_str(
            ".casa .logo { background: url(\"/jans-casa/custom/logo.png\") center / contain no-repeat; \
             color: transparent; }\n",
        );
    }
    if let Some(extra) = c.extra_css.as_deref().filter(|e| !e.contains('<')) {
        css.push_str(extra);
        css.push('\n');
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brand_stylesheet_follows_the_configuration() {
        let mut c = CasaConfiguration::default();
        let plain = brand_css(&c);
        assert!(plain.contains("--accent: #1a6bd6"));
        assert!(!plain.contains("custom"));
        c.use_branding = true;
        c.accent_color = "#0B5D1E".into();
        c.extra_css = Some("h1 { letter-spacing: .01em; }".into());
        let branded = brand_css(&c);
        assert!(branded.starts_with("@import url(\"/jans-casa/custom/custom.css\");"));
        assert!(branded.contains("--accent: #0b5d1e"));
        assert!(branded.contains("logo.png"));
        assert!(branded.ends_with("h1 { letter-spacing: .01em; }\n"));
        c.accent_color = "red; } body { display: none".into();
        assert!(
            brand_css(&c).contains("--accent: #1a6bd6"),
            "never written as given"
        );
    }
}
