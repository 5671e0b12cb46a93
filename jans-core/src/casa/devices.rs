//! When a person is asked for their second factor, and the devices they trust: the choice
//! among the policies the administrator allows (every sign-in, an unknown device, an
//! unknown location — offered only when the host has an IP-to-country table), and the
//! list of trusted devices with "stop trusting" (the second factor is asked there again).

use serde_json::{Value, json};

use crate::casa::{CasaServer, Me, back, error_page, field};
use crate::config::casa::EnforcementPolicy::{self, DeviceUnknown, EveryLogin, LocationUnknown};
use crate::ctx::{Ctx, format_date};
use crate::error::Error;
use crate::repo::trusted_device::TrustedDevices;
use crate::repo::two_factor::TwoFactor;
use crate::request::Request;
use crate::response::Response;

/// The choices a page offers, by form value: what each means and its label.
const CHOICES: [(&str, &[EnforcementPolicy], &str); 4] = [
    ("every", &[EveryLogin], "Every time I sign in"),
    (
        "device",
        &[DeviceUnknown],
        "Only on a device I have not trusted yet",
    ),
    (
        "location",
        &[LocationUnknown],
        "Only from a country I have not signed in from lately",
    ),
    (
        "device_location",
        &[DeviceUnknown, LocationUnknown],
        "On a new device or from a new country",
    ),
];

impl CasaServer {
    fn trusted_devices(&self) -> TrustedDevices {
        TrustedDevices::new(self.services.stores().documents.clone())
    }

    /// The choices offered to people now: every part allowed by the administrator, and
    /// locations only when the host can tell a country.
    fn offered(&self) -> Vec<(&'static str, &'static [EnforcementPolicy], &'static str)> {
        let allowed = self.policy().policy_2fa;
        let countries = self.services.knows_countries();
        CHOICES
            .into_iter()
            .filter(|(_, parts, _)| {
                parts
                    .iter()
                    .all(|p| allowed.contains(p) && (*p != LocationUnknown || countries))
            })
            .collect()
    }

    /// The dashboard's part for `settings`: the choices (the one in force checked) and the
    /// person's trusted devices.
    pub(super) async fn devices_context(
        &self,
        me: &Me,
        settings: &TwoFactor,
        ctx: &Ctx,
    ) -> Result<(Vec<Value>, Vec<Value>), Error> {
        let mut in_force = settings.policy_in_force(&self.policy());
        in_force.sort();
        let choices: Vec<Value> = self
            .offered()
            .into_iter()
            .map(|(value, parts, label)| {
                json!({"value": value, "label": label, "checked": parts == in_force.as_slice()})
            })
            .collect();
        let devices: Vec<Value> = self
            .trusted_devices()
            .of_user(&me.user.inum)
            .await?
            .into_iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "name": format!("{} on {}", d.browser, d.os),
                    "added": format_date(d.added_at),
                    "last_used": format_date(d.last_used),
                    "countries": d.origins.iter().map(|o| o.country.clone()).collect::<Vec<_>>(),
                    "until": format_date(d.trusted_until),
                    "expired": d.trusted_until <= ctx.now,
                })
            })
            .collect();
        Ok((choices, devices))
    }

    /// The policy of the form value `when`, when it is offered.
    pub(super) fn chosen_policy(&self, when: &str) -> Option<Vec<EnforcementPolicy>> {
        self.offered()
            .into_iter()
            .find(|(value, _, _)| *value == when)
            .map(|(_, parts, _)| parts.to_vec())
    }

    /// `POST /jans-casa/devices/{id}`: `action` `remove` stops trusting one of the
    /// person's devices (another person's is not found, and nothing changes).
    pub(super) async fn trusted_device(
        &self,
        me: &Me,
        id: &str,
        req: &Request,
    ) -> Result<Response, Error> {
        if field(req, "action") != "remove" {
            return Ok(error_page(400, "Unknown action."));
        }
        if !self.trusted_devices().delete(&me.user.inum, id).await? {
            return Ok(error_page(404, "You have no such trusted device."));
        }
        Ok(back("device-removed", &self.services.config().issuer))
    }
}
