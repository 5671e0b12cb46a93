//! Casa's configuration (`casaConfiguration`), with Janssen Casa's own member names
//! (`basic_2fa_settings`, `policy_2fa`, `trusted_dev_settings`): the administrator's rules
//! for two-factor authentication, read by Casa's pages and by the auth-server's `casa`
//! sign-in. Part of the shared configuration, so a change reaches every node.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// When a person with two-factor authentication on is asked for a second factor (Janssen
/// Casa's `EnforcementPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnforcementPolicy {
    /// At every sign-in.
    EveryLogin,
    /// When the browser is not one of the person's trusted devices.
    DeviceUnknown,
    /// When the country the sign-in comes from is not one the person signed in from
    /// lately (by the host's IP-to-country table; without one, every location is unknown).
    LocationUnknown,
}

impl EnforcementPolicy {
    /// Every policy, in the order a page lists them.
    pub const ALL: [EnforcementPolicy; 3] = [
        EnforcementPolicy::EveryLogin,
        EnforcementPolicy::DeviceUnknown,
        EnforcementPolicy::LocationUnknown,
    ];

    /// Its name, as Janssen Casa spells it (`EVERY_LOGIN`).
    pub fn name(self) -> &'static str {
        match self {
            EnforcementPolicy::EveryLogin => "EVERY_LOGIN",
            EnforcementPolicy::DeviceUnknown => "DEVICE_UNKNOWN",
            EnforcementPolicy::LocationUnknown => "LOCATION_UNKNOWN",
        }
    }
}

/// `basic_2fa_settings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Basic2faSettings {
    /// Credentials (keys and apps) a person needs before turning 2FA on, and keeps while
    /// it is on.
    pub min_creds: usize,
    /// Whether people may turn 2FA off once on.
    #[serde(rename = "allowSelfEnableDisable")]
    pub allow_self_enable_disable: bool,
}

impl Default for Basic2faSettings {
    fn default() -> Self {
        Basic2faSettings {
            min_creds: 1,
            allow_self_enable_disable: true,
        }
    }
}

/// `trusted_dev_settings`: how long a trusted device and a known location last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrustedDevSettings {
    /// Days a country stays known after the last sign-in from it.
    pub location_exp_days: u64,
    /// Days a device stays trusted after the second factor last confirmed it.
    pub device_exp_days: u64,
}

impl Default for TrustedDevSettings {
    fn default() -> Self {
        TrustedDevSettings {
            location_exp_days: 15,
            device_exp_days: 30,
        }
    }
}

/// The second-factor methods an administrator may enable (recovery codes, the way back
/// when the others are lost, always are).
pub const METHODS: [&str; 2] = ["fido2", "otp"];

/// The role that makes a person a Casa administrator (Janssen Casa's `CasaAdmin`, in the
/// person's SCIM `roles`).
pub const ADMIN_ROLE: &str = "CasaAdmin";

/// `casaConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasaConfiguration {
    /// The rules of turning 2FA on and off.
    pub basic_2fa_settings: Basic2faSettings,
    /// The policies a person may choose among (Janssen Casa's `policy_2fa`); the first is
    /// theirs until they choose.
    pub policy_2fa: Vec<EnforcementPolicy>,
    /// Trusted devices and known locations.
    pub trusted_dev_settings: TrustedDevSettings,
    /// The methods people may enrol and confirm a `casa` sign-in with, of [`METHODS`]
    /// (Janssen Casa's `enabled_methods`).
    pub enabled_methods: Vec<String>,
    /// A group (its inum) whose members administer Casa, besides the people with the
    /// [`ADMIN_ROLE`] role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_group: Option<String>,
    /// Whether the pages use the host's branding directory (`custom.css`, `logo.png`).
    pub use_branding: bool,
    /// The colour of buttons and links, `#rrggbb`: white text on it meets WCAG AA.
    pub accent_color: String,
    /// The pages' background, `#rrggbb`: the text on it meets WCAG AA.
    pub background_color: String,
    /// CSS added after the pages' own (Janssen Casa's `extra_css`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_css: Option<String>,
}

impl Default for CasaConfiguration {
    fn default() -> Self {
        CasaConfiguration {
            basic_2fa_settings: Basic2faSettings::default(),
            policy_2fa: EnforcementPolicy::ALL.to_vec(),
            trusted_dev_settings: TrustedDevSettings::default(),
            enabled_methods: METHODS.iter().map(|m| (*m).to_owned()).collect(),
            admin_group: None,
            use_branding: false,
            accent_color: "#1a6bd6".to_owned(),
            background_color: "#f3f5f8".to_owned(),
            extra_css: None,
        }
    }
}

/// The pages' text colour (`--fg` of `jans.css`).
pub const TEXT_COLOR: [u8; 3] = [0x1d, 0x24, 0x30];
/// Most bytes of `extra_css`.
pub const MAX_EXTRA_CSS: usize = 16 * 1024;

/// `#rrggbb` as its three channels.
pub fn parse_color(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The contrast ratio of two colours (WCAG 2.2, "contrast ratio" and "relative luminance").
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let luminance = |c: [u8; 3]| {
        let lin = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.040_45 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = c;
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// WCAG 2.2 success criterion 1.4.3 (AA): normal text needs 4.5:1.
pub const AA_CONTRAST: f64 = 4.5;

/// Most credentials an administrator may require (a person keeps at most 20 apps).
const MAX_MIN_CREDS: usize = 5;
/// Longest a device or location may stay trusted.
const MAX_DAYS: u64 = 365;

impl CasaConfiguration {
    /// The policy of a person who never chose: the administrator's first.
    pub fn default_policy(&self) -> EnforcementPolicy {
        self.policy_2fa
            .first()
            .copied()
            .unwrap_or(EnforcementPolicy::EveryLogin)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("casaConfiguration.{k}");
        let min = self.basic_2fa_settings.min_creds;
        if min == 0 || min > MAX_MIN_CREDS {
            return Err(ConfigError::new(
                &key("basic_2fa_settings.min_creds"),
                format!("must be between 1 and {MAX_MIN_CREDS}"),
            ));
        }
        if self.policy_2fa.is_empty() {
            return Err(ConfigError::new(
                &key("policy_2fa"),
                "must allow at least one policy",
            ));
        }
        let mut seen = self.policy_2fa.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.policy_2fa.len() {
            return Err(ConfigError::new(&key("policy_2fa"), "names a policy twice"));
        }
        if self
            .enabled_methods
            .iter()
            .any(|m| !METHODS.contains(&m.as_str()))
        {
            return Err(ConfigError::new(
                &key("enabled_methods"),
                format!("each is one of {}", METHODS.join(", ")),
            ));
        }
        for (name, color, against) in [
            ("accent_color", &self.accent_color, [0xff, 0xff, 0xff]),
            ("background_color", &self.background_color, TEXT_COLOR),
        ] {
            let Some(c) = parse_color(color) else {
                return Err(ConfigError::new(&key(name), "must be a colour as #rrggbb"));
            };
            if contrast(c, against) < AA_CONTRAST {
                return Err(ConfigError::new(
                    &key(name),
                    format!(
                        "leaves too little contrast for its text ({:.1}:1; WCAG AA asks \
                         {AA_CONTRAST}:1)",
                        contrast(c, against)
                    ),
                ));
            }
        }
        if let Some(css) = &self.extra_css
            && (css.len() > MAX_EXTRA_CSS || css.contains('<'))
        {
            return Err(ConfigError::new(
                &key("extra_css"),
                format!("at most {MAX_EXTRA_CSS} bytes of CSS, without '<'"),
            ));
        }
        if self
            .admin_group
            .as_ref()
            .is_some_and(|g| g.is_empty() || g.len() > 128)
        {
            return Err(ConfigError::new(
                &key("admin_group"),
                "a group's inum, 1 to 128 characters",
            ));
        }
        for (name, days) in [
            (
                "trusted_dev_settings.location_exp_days",
                self.trusted_dev_settings.location_exp_days,
            ),
            (
                "trusted_dev_settings.device_exp_days",
                self.trusted_dev_settings.device_exp_days,
            ),
        ] {
            if days == 0 || days > MAX_DAYS {
                return Err(ConfigError::new(
                    &key(name),
                    format!("must be between 1 and {MAX_DAYS}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janssen_names_read_and_bad_values_are_refused() {
        let c: CasaConfiguration = serde_json::from_value(serde_json::json!({
            "basic_2fa_settings": {"min_creds": 2, "allowSelfEnableDisable": false},
            "policy_2fa": ["DEVICE_UNKNOWN", "EVERY_LOGIN"],
            "trusted_dev_settings": {"location_exp_days": 7, "device_exp_days": 60},
        }))
        .unwrap();
        assert_eq!(c.basic_2fa_settings.min_creds, 2);
        assert!(!c.basic_2fa_settings.allow_self_enable_disable);
        assert_eq!(c.default_policy(), EnforcementPolicy::DeviceUnknown);
        assert_eq!(c.trusted_dev_settings.device_exp_days, 60);
        c.validate().unwrap();
        CasaConfiguration::default().validate().unwrap();
        for bad in [
            serde_json::json!({"basic_2fa_settings": {"min_creds": 0}}),
            serde_json::json!({"policy_2fa": []}),
            serde_json::json!({"policy_2fa": ["EVERY_LOGIN", "EVERY_LOGIN"]}),
            serde_json::json!({"trusted_dev_settings": {"device_exp_days": 0}}),
            serde_json::json!({"trusted_dev_settings": {"location_exp_days": 366}}),
            serde_json::json!({"enabled_methods": ["sms"]}),
            serde_json::json!({"accent_color": "blue"}),
            // Yellow under white text, dark grey behind dark text: too little contrast.
            serde_json::json!({"accent_color": "#ffd700"}),
            serde_json::json!({"background_color": "#333333"}),
            serde_json::json!({"extra_css": "</style><script>"}),
            serde_json::json!({"admin_group": ""}),
        ] {
            let c: CasaConfiguration = serde_json::from_value(bad.clone()).unwrap();
            assert!(c.validate().is_err(), "{bad}");
        }
        assert!(
            serde_json::from_value::<CasaConfiguration>(
                serde_json::json!({"policy_2fa": ["CUSTOM"]})
            )
            .is_err()
        );
    }

    #[test]
    fn contrast_is_wcag_s() {
        // WCAG's own extremes, and the default accent under white text (5.0:1 or so).
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([9, 9, 9], [9, 9, 9]) - 1.0).abs() < 1e-9);
        let accent = parse_color("#1a6bd6").unwrap();
        assert!(contrast(accent, [255; 3]) > AA_CONTRAST);
        assert_eq!(parse_color("#A0b1C2"), Some([0xa0, 0xb1, 0xc2]));
        for bad in ["", "#12345", "#1234567", "123456", "#12345g"] {
            assert_eq!(parse_color(bad), None, "{bad}");
        }
    }
}
