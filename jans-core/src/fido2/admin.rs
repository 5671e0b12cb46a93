//! The registrations through the admin routes this component contributes under
//! `/jans-config-api/fido2/` (Janssen's fido2 plugin, `Fido2RegistrationResource`):
//! `GET registration` lists every registration with Janssen's paging parameters,
//! `GET registration/entries/{username}` a person's, and `DELETE registration/device/{id}`
//! removes one (the person can no longer sign in with that credential). Each is shown as
//! Janssen's `Fido2RegistrationEntry`: the public key id and metadata, never the key.

use serde_json::{Value, json};

use crate::ctx::{Ctx, format_datetime};
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::management::list::ListParams;
use crate::management::{audit, protection};
use crate::repo::fido2::Fido2Registration;
use crate::request::{Fido2Endpoint, Request};
use crate::response::{Body, Response};

use super::{ADMIN_READ, Fido2Server};

/// The scopes that may delete a registration.
pub const ADMIN_DELETE: [&str; 3] = [
    "https://jans.io/oauth/config/fido2.delete",
    "https://jans.io/oauth/config/fido2.admin",
    crate::management::protection::DELETE_ALL,
];

/// A registration as Janssen's `Fido2RegistrationEntry` shows it.
fn shown(reg: &Fido2Registration) -> Value {
    let id = reg.id().unwrap_or_default();
    let name = reg
        .nickname
        .clone()
        .or_else(|| reg.authenticator_name.clone())
        .unwrap_or_default();
    json!({
        "dn": format!("jansId={id},ou=fido2_register,inum={},ou=people,o=jans", reg.user_inum),
        "id": id,
        "displayName": name,
        "creationDate": format_datetime(reg.created_at),
        "lastUsedDate": reg.last_used_at.map(format_datetime),
        "publicKeyId": reg.credential_id,
        "userInum": reg.user_inum,
        "username": reg.username,
        "counter": reg.sign_count,
        "registrationStatus": "registered",
        "rpId": reg.rp_id,
        "registrationData": {
            "username": reg.username,
            "domain": reg.rp_id,
            "origin": reg.origin,
            "type": if reg.app_id.is_some() { "fido_u2f" } else { "webauthn" },
            "status": "registered",
            "attestationType": reg.attestation_format,
            "publicKeyId": reg.credential_id,
            "counter": reg.sign_count,
            "signatureAlgorithm": reg.algorithm,
            "transports": reg.transports,
            "aaguid": reg.aaguid,
            "backupEligible": reg.backup_eligible,
            "backedUp": reg.backed_up,
        },
    })
}

impl Fido2Server {
    /// Serve one of the registration admin routes.
    pub(super) async fn handle_admin_registrations(
        &self,
        endpoint: &Fido2Endpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let services = &self.services;
        let allowed = if matches!(endpoint, Fido2Endpoint::AdminDevice(_)) {
            "DELETE"
        } else {
            "GET"
        };
        if !req.method.is_in(allowed) {
            return Ok(Response::error(AdminError::new(
                405,
                format!("this endpoint answers {allowed} only"),
            ))
            .header("allow", allowed));
        }
        match endpoint {
            Fido2Endpoint::AdminRegistrations => {
                protection::authorize(services, req, &ADMIN_READ, ctx).await?;
                let params = ListParams::parse(req, "id")?;
                let entries = self.stores().fido2.all().await?.iter().map(shown).collect();
                Ok(Response::json(params.page(
                    entries,
                    &["id", "displayName", "username", "userInum", "publicKeyId"],
                )))
            }
            Fido2Endpoint::AdminRegistrationsOf(username) => {
                protection::authorize(services, req, &ADMIN_READ, ctx).await?;
                let Some(user) = self.stores().users.by_uid(username).await? else {
                    return Err(AdminError::new(404, format!("no person named {username}")).into());
                };
                let regs = self.stores().fido2.of_user(&user.inum).await?;
                Ok(Response::json(Value::Array(
                    regs.iter().map(shown).collect(),
                )))
            }
            Fido2Endpoint::AdminDevice(id) => {
                let caller = protection::authorize(services, req, &ADMIN_DELETE, ctx).await?;
                if !self.stores().fido2.delete(id).await? {
                    return Err(AdminError::new(
                        404,
                        format!("No Fido2 registration entry with id {id}"),
                    )
                    .into());
                }
                audit::record(
                    services,
                    &caller,
                    ctx,
                    ("fido2/registration/device", id, "delete"),
                    None,
                )
                .await;
                Ok(Response::with_body(Body::NoContent))
            }
            _ => Err(Error::Internal("not a registration admin route".into())),
        }
    }
}
