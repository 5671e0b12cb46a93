//! Trusted devices and known locations at a `casa` sign-in (Janssen Casa's enforcement
//! policies): whether a person with two-factor authentication on is asked for the second
//! factor on this browser, from this country; and, once they confirmed it, the browser
//! remembered as one of their trusted devices.
//!
//! A browser is named by [`DEVICE_COOKIE`]: 32 random bytes sealed under the master key
//! (AES-256-GCM, [`crate::keys::SecretBox`]), so a forged or altered cookie does not open
//! and the browser is simply unknown. The record ([`crate::repo::trusted_device`]) is the
//! person's: the same browser is a separate device for each person, and revoking it in
//! Casa brings the second factor back there. A location is the country of the address
//! the authorization request came from, by the host's IP-to-country table; without a
//! table (or for an address it does not know), the location is unknown.

use sha2::{Digest, Sha256};

use crate::auth::AuthServer;
use crate::config::casa::EnforcementPolicy;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::trusted_device::{TrustedDevice, TrustedDevices};
use crate::repo::two_factor::TwoFactor;
use crate::request::{Browser, DEVICE_COOKIE};

/// What a device cookie's seal is bound to.
const DEVICE_AAD: &[u8] = b"jans:device-cookie";
/// How long the browser keeps the cookie (its trust, per person, is the record's).
const COOKIE_MAX_AGE: u64 = 400 * 86_400;
/// Longest cookie opened (a sealed 32-byte id is 80 characters).
const MAX_COOKIE: usize = 256;
const DAY: u64 = 86_400;

/// The browser and operating system a `User-Agent` names, for a person to recognise the
/// device in their list ("Chrome 131", "Linux"); "Unknown" when it says nothing known.
pub fn describe(user_agent: &str) -> (String, String) {
    let version = |marker: &str| -> Option<String> {
        let (_, rest) = user_agent.split_once(marker)?;
        let v: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some(v)
    };
    let named = |name: &str, marker: &str| {
        version(marker).map(|v| {
            if v.is_empty() {
                name.to_owned()
            } else {
                format!("{name} {v}")
            }
        })
    };
    let browser = named("Edge", "Edg/")
        .or_else(|| named("Opera", "OPR/"))
        .or_else(|| named("Firefox", "Firefox/"))
        .or_else(|| named("Chromium", "Chromium/"))
        .or_else(|| named("Chrome", "HeadlessChrome/"))
        .or_else(|| named("Chrome", "Chrome/"))
        .or_else(|| {
            user_agent
                .contains("Safari/")
                .then(|| named("Safari", "Version/"))
                .flatten()
        })
        .unwrap_or_else(|| "Unknown browser".to_owned());
    let os = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map_or("Unknown system", |(_, name)| name)
    .to_owned();
    (browser, os)
}

/// The record id of the device `device_id` of the person `inum`.
fn record_id(inum: &str, device_id: &str) -> String {
    let digest = Sha256::digest(format!("jans:trusted-device:{inum}:{device_id}").as_bytes());
    crate::b64::encode(digest.get(..18).unwrap_or_default())
}

impl AuthServer {
    fn trusted_devices(&self) -> TrustedDevices {
        TrustedDevices::new(self.stores().documents.clone())
    }

    /// The device id the browser's cookie carries, when it opens.
    fn device_id(&self, browser: &Browser) -> Option<String> {
        let cookie = browser.device_cookie.as_deref()?;
        let opened = (cookie.len() <= MAX_COOKIE)
            .then(|| self.secret_box().open(cookie, DEVICE_AAD).ok())
            .flatten()
            .filter(|id| id.len() == 32);
        if opened.is_none() {
            tracing::info!("a device cookie that does not open: the browser is unknown");
        }
        opened.map(|id| crate::b64::encode(&id))
    }

    /// Whether the `casa` sign-in of the person `settings` are of must ask for the second
    /// factor on `browser` (the authorization request's): always under
    /// [`EnforcementPolicy::EveryLogin`]; else when the device is not trusted (under
    /// `DeviceUnknown`) or the country was not seen lately (under `LocationUnknown`).
    /// A sign-in it lets through is noted on the device's record.
    pub(crate) async fn second_factor_needed(
        &self,
        settings: &TwoFactor,
        browser: Option<&Browser>,
        ctx: &Ctx,
    ) -> Result<bool, Error> {
        let config = self.config();
        let casa = &config.casa_configuration;
        let policy = settings.policy_in_force(casa);
        let Some(browser) = browser else {
            return Ok(true);
        };
        if policy.contains(&EnforcementPolicy::EveryLogin) {
            return Ok(true);
        }
        let inum = &settings.user;
        let devices = self.trusted_devices();
        let device = match self.device_id(browser) {
            Some(d) => devices
                .get(inum, &record_id(inum, &d))
                .await?
                .filter(|t| t.trusted_until > ctx.now),
            None => None,
        };
        let country = browser.ip.and_then(|ip| self.country(ip));
        let location_known = match &country {
            None => false,
            Some(c) => {
                let since = ctx
                    .now
                    .saturating_sub(casa.trusted_dev_settings.location_exp_days * DAY);
                devices.of_user(inum).await?.iter().any(|d| {
                    d.origins
                        .iter()
                        .any(|o| o.country == *c && o.seen_at >= since)
                })
            }
        };
        let ask = (policy.contains(&EnforcementPolicy::DeviceUnknown) && device.is_none())
            || (policy.contains(&EnforcementPolicy::LocationUnknown) && !location_known);
        if !ask && let Some(d) = device {
            devices
                .seen(inum, &d.id, country.as_deref(), ctx.now)
                .await?;
        }
        Ok(ask)
    }

    /// The person `settings` are of confirmed a second factor on `browser` at a `casa`
    /// sign-in: under a device or location policy the browser becomes (or stays) one of
    /// their trusted devices, for `device_exp_days` from now, with the sign-in's country.
    /// Returns the `Set-Cookie` of the device cookie (a new one, or the same renewed).
    pub(crate) async fn trust_device(
        &self,
        settings: &TwoFactor,
        browser: Option<&Browser>,
        ctx: &Ctx,
    ) -> Result<Option<String>, Error> {
        let config = self.config();
        let casa = &config.casa_configuration;
        let Some(browser) = browser else {
            return Ok(None);
        };
        if settings
            .policy_in_force(casa)
            .contains(&EnforcementPolicy::EveryLogin)
        {
            return Ok(None);
        }
        let (device_id, cookie) = match self.device_id(browser) {
            Some(id) => (id, browser.device_cookie.clone().unwrap_or_default()),
            None => {
                let raw = ctx.random_bytes(32);
                let sealed = self
                    .secret_box()
                    .seal(&raw, DEVICE_AAD, ctx.rng.as_ref())
                    .map_err(|_| Error::Internal("a device cookie could not be sealed".into()))?;
                (crate::b64::encode(&raw), sealed)
            }
        };
        let inum = &settings.user;
        let id = record_id(inum, &device_id);
        let devices = self.trusted_devices();
        let (browser_name, os) = describe(browser.user_agent.as_deref().unwrap_or_default());
        let mut record = devices
            .get(inum, &id)
            .await?
            .unwrap_or_else(|| TrustedDevice {
                id: id.clone(),
                user: inum.clone(),
                browser: browser_name,
                os,
                added_at: ctx.now,
                last_used: ctx.now,
                trusted_until: 0,
                origins: Vec::new(),
            });
        record.trusted_until = ctx
            .now
            .saturating_add(casa.trusted_dev_settings.device_exp_days * DAY);
        let country = browser.ip.and_then(|ip| self.country(ip));
        record.seen(country.as_deref(), ctx.now);
        devices.put(&record).await?;
        let secure = if config.issuer.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        Ok(Some(format!(
            "{DEVICE_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE}{secure}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn user_agents_are_named() {
        for (ua, browser, os) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
                "Chrome 131",
                "Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Edge 120",
                "Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                "Safari 17",
                "iOS",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox 121",
                "macOS",
            ),
            ("curl/8.5.0", "Unknown browser", "Unknown system"),
            ("", "Unknown browser", "Unknown system"),
        ] {
            assert_eq!(describe(ua), (browser.to_owned(), os.to_owned()), "{ua}");
        }
    }
}
