//! The device views' reads and writes over the FIDO2 registrations (see
//! [`super::resource::device`]): a device is found by its credential key and must belong to
//! the view asked for; a PUT renames it (compare-and-set on the registration's revision);
//! POST is 501 as in Janssen (registration goes through the FIDO2 API).

use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::fido2::Fido2Registration;
use crate::request::Request;
use crate::scim::ScimServer;
use crate::scim::resource::device::{self, Family};
use crate::scim::schema::ResourceSchemas;
use crate::scim::write::{Change, Written, precondition};
use crate::store::StoreError;

impl ScimServer {
    /// The registration shown as device `id` in `family`'s view, with its revision.
    pub(super) async fn device(
        &self,
        family: Family,
        id: &str,
    ) -> Result<Option<(u64, Fido2Registration)>, Error> {
        Ok(self
            .services
            .stores()
            .fido2
            .by_credential_key(id)
            .await?
            .filter(|(_, reg)| Family::of(reg) == family))
    }

    /// One attempt at a PUT of device `id`.
    pub(super) async fn modify_device(
        &self,
        family: Family,
        id: &str,
        change: &Change,
        schemas: &ResourceSchemas,
        req: &Request,
        _ctx: &Ctx,
    ) -> Result<Written, Error> {
        let Some((revision, reg)) = self.device(family, id).await? else {
            return Ok(Written::Gone);
        };
        let current = device::to_scim(&reg, &self.base_url());
        precondition(req, &current)?;
        let next = change.apply(&current, schemas)?;
        let new = device::from_scim(&next, reg.clone());
        if new == reg {
            return Ok(Written::Done);
        }
        match self.services.stores().fido2.update(&new, revision).await {
            Ok(()) => Ok(Written::Done),
            Err(StoreError::Conflict) => Ok(Written::Raced),
            Err(StoreError::NotFound) => Ok(Written::Gone),
            Err(e) => Err(e.into()),
        }
    }
}
