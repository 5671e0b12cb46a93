//! Ceremonies as typed state (DESIGN.md §3): what `start_registration` and
//! `start_assertion` decided, stored under the challenge until the result comes back, and
//! taken atomically by it, so a challenge is used once whatever the outcome (WebAuthn
//! Level 3 §13.4.3: challenges are single use). A ceremony expires after
//! `unfinishedRequestExpiration` seconds.

use serde::{Deserialize, Serialize};

use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::repo::grant::{GrantRecords, token_key};
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore};

/// Random bytes in a challenge (§13.4.3 asks for at least 16).
pub const CHALLENGE_BYTES: usize = 32;

/// What kind of ceremony.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Registration (`navigator.credentials.create`, §7.1).
    Registration,
    /// Authentication (`navigator.credentials.get`, §7.2).
    Assertion,
    /// A FIDO U2F registration (Janssen's `/fido/u2f/registration`).
    #[serde(rename = "u2f-registration")]
    U2fRegistration,
    /// A FIDO U2F authentication (Janssen's `/fido/u2f/authentication`).
    #[serde(rename = "u2f-authentication")]
    U2fAuthentication,
}

/// `userVerification` (§5.8.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserVerification {
    /// UV must be done (flag UV set).
    Required,
    /// UV if the authenticator can.
    #[default]
    Preferred,
    /// UV not wanted.
    Discouraged,
}

impl UserVerification {
    /// Parse the wire value; unknown values are treated as `preferred` (§5.8.6: "client
    /// platforms MUST ignore unknown values", and so do we).
    pub fn parse(v: Option<&str>) -> UserVerification {
        match v {
            Some("required") => UserVerification::Required,
            Some("discouraged") => UserVerification::Discouraged,
            _ => UserVerification::Preferred,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserVerification::Required => "required",
            UserVerification::Preferred => "preferred",
            UserVerification::Discouraged => "discouraged",
        }
    }
}

/// A started ceremony, waiting for its result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ceremony {
    /// Registration or assertion.
    pub kind: Kind,
    /// The challenge (base64url).
    pub challenge: String,
    /// The RP ID of the ceremony.
    pub rp_id: String,
    /// The origins the result may come from: the RP's, or the one `documentDomain` named.
    pub origins: Vec<String>,
    /// The user, when known at start (always for a registration; for an assertion unless
    /// usernameless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_inum: Option<String>,
    /// Their login name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// What was asked of user verification.
    pub user_verification: UserVerification,
    /// Registration: the attestation conveyance asked (`none`, `indirect`, `direct`,
    /// `enterprise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
    /// Registration: the COSE algorithms offered (`pubKeyCredParams`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub algorithms: Vec<i64>,
    /// Registration: whether a discoverable credential was required.
    #[serde(default)]
    pub resident_key_required: bool,
    /// Assertion: the credential ids allowed (base64url); empty for a usernameless
    /// ceremony, where any discoverable credential may answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_credentials: Vec<String>,
    /// Assertion: the U2F AppID offered with the `appid` extension, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

impl GrantData for Ceremony {
    const MEMBER: Option<&'static str> = Some("ceremony");
}

/// The pending ceremonies, by the SHA-256 of their challenge.
#[derive(Clone, Debug)]
pub struct Ceremonies(GrantRecords<Ceremony>);

impl Ceremonies {
    /// The ceremonies kept in `grants`.
    pub fn new(grants: std::sync::Arc<dyn GrantStore>) -> Ceremonies {
        Ceremonies(GrantRecords::new(grants, GrantKind::Fido2Ceremony))
    }

    /// A fresh challenge (base64url of [`CHALLENGE_BYTES`] random bytes).
    pub fn challenge(ctx: &Ctx) -> String {
        ctx.random_token(CHALLENGE_BYTES)
    }

    /// Store `ceremony` under its challenge for `lifetime` seconds. Durable when it
    /// returns.
    pub async fn insert(&self, ceremony: &Ceremony, lifetime: u64, ctx: &Ctx) -> Result<(), Error> {
        let mut stamp = GrantRecord::bare(ctx.now, ctx.now.saturating_add(lifetime));
        stamp.subject.clone_from(&ceremony.user_inum);
        self.0
            .insert(&token_key(&ceremony.challenge), stamp, ceremony, ctx.now)
            .await?;
        Ok(())
    }

    /// Take the live ceremony of `challenge` (base64url, as clientDataJSON carries it):
    /// of concurrent callers, one gets it; expired, used and unknown challenges are `None`.
    pub async fn take(&self, challenge: &str, now: UnixTime) -> Result<Option<Ceremony>, Error> {
        Ok(self.0.take(&token_key(challenge), now).await?)
    }
}
