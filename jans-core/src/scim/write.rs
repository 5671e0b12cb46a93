//! Writes to users and groups: create (POST, RFC 7644 §3.3), replace (PUT, §3.5.1), modify
//! (PATCH, §3.5.2) and delete (DELETE, §3.6), for tokens with Janssen's write scopes (and
//! the PUT and DELETE of the device views, `super::devices`).
//!
//! - A replacement or a PATCH reads the resource with its store revision, checks `If-Match`
//!   against its version (412 when it names another, §3.14), computes the new resource from
//!   the SCIM form, and writes it only if the revision is still the one read
//!   (compare-and-set): of two writes that read the same version, one wins and the other,
//!   when it named the version in `If-Match`, gets 412. Without `If-Match` the loser reads
//!   again and retries.
//! - Whatever is written is read again as a whole resource ([`input::read`]): a PATCH that
//!   leaves a required attribute without a value, or a value of the wrong type, is refused
//!   like a POST would be, and nothing is stored.
//! - A `userName` another user has (compared case-insensitively) is 409 `uniqueness`.
//! - The user base is the auth-server's (issue 13 item 8): a password is stored as an
//!   argon2id hash and signs in; `active: false` ends the user's sessions (its tokens stop
//!   being active at introspection and userinfo, its refresh tokens stop working); deleting
//!   a user deletes its sessions, its FIDO2 registrations and its group memberships.

use serde_json::{Map, Value};

use crate::ctx::{Ctx, uuid_from};
use crate::error::Error;
use crate::error::scim::{ScimError, ScimType};
use crate::repo::group::{Group, Member, MemberKind};
use crate::repo::user::{User, UserStatus};
use crate::request::Request;
use crate::response::{Body, Response};
use crate::scim::resource::user::LeftOut;
use crate::scim::resource::{self, input};
use crate::scim::schema::ResourceSchemas;
use crate::scim::{Kind, ScimServer, etag_matches, patch};
use crate::store::StoreError;

/// How many times a write without `If-Match` reads again after losing a race.
const RETRIES: usize = 8;

/// What a PUT or PATCH does to the current resource.
pub(super) enum Change {
    /// PUT: the body, read.
    Replace(Map<String, Value>),
    /// PATCH: operations.
    Patch(Vec<patch::Operation>),
}

impl Change {
    /// The change a request asks for: its body read as a resource (PUT) or as a PatchOp.
    pub(super) fn of(req: &Request, schemas: &ResourceSchemas) -> Result<Change, ScimError> {
        if req.method == crate::request::Method::Put {
            return Ok(Change::Replace(input::read(&req.body, schemas)?));
        }
        let body: Value = serde_json::from_slice(&req.body).map_err(|e| {
            ScimError::new(
                ScimType::InvalidSyntax,
                format!("the body is not JSON: {e}"),
            )
        })?;
        Ok(Change::Patch(patch::parse_request(&body)?))
    }

    /// The resource after this change to `current`, read as a whole resource.
    pub(super) fn apply(
        &self,
        current: &Value,
        schemas: &ResourceSchemas,
    ) -> Result<Map<String, Value>, ScimError> {
        match self {
            Change::Replace(next) => {
                let empty = Map::new();
                input::check_immutable(current.as_object().unwrap_or(&empty), next, schemas)?;
                Ok(next.clone())
            }
            Change::Patch(ops) => input::read_value(&patch::apply(current, ops, schemas)?, schemas),
        }
    }
}

/// The version (`meta.version`) of a resource as SCIM shows it.
pub(super) fn version(resource: &Value) -> &str {
    resource
        .pointer("/meta/version")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Refuse a write whose `If-Match` names another version (RFC 7644 §3.14; RFC 9110
/// §13.1.1, weak comparison as SCIM's versions are weak).
pub(super) fn precondition(req: &Request, current: &Value) -> Result<(), ScimError> {
    match &req.if_match {
        Some(h) if !etag_matches(h, version(current)) => Err(ScimError::status(
            412,
            "the resource changed since the version If-Match names",
        )),
        _ => Ok(()),
    }
}

/// A resource answered with `status`, its `ETag` and (for a creation) its `Location`.
fn answer(status: u16, resource: Value) -> Response {
    let etag = version(&resource).to_owned();
    let location = resource
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let r = Response::with_body(Body::Scim(status, resource)).header("etag", etag);
    match location {
        Some(l) if status == 201 => r.header("location", l),
        _ => r,
    }
}

fn not_found(kind: Kind) -> Response {
    Response::error(ScimError::status(
        404,
        format!("no {} here", kind.missing()),
    ))
}

fn taken() -> ScimError {
    ScimError::new(ScimType::Uniqueness, "`userName` is taken by another user")
}

/// A password a Bulk request hashed ahead of its operation (`bulk::prehash`), with the hash.
/// Its `Debug` shows neither.
#[derive(Clone)]
pub(super) struct Prehashed {
    /// The password, as the operation's data gives it.
    pub(super) password: String,
    /// Its argon2id PHC string (a salt of its own).
    pub(super) phc: String,
}

impl std::fmt::Debug for Prehashed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prehashed(..)")
    }
}

impl ScimServer {
    /// The PHC string to store for `password`: the one hashed ahead when it is this
    /// password's, else a new hash on the pool.
    async fn password_hash(
        &self,
        password: &str,
        prehashed: Option<&Prehashed>,
        ctx: &Ctx,
    ) -> Result<String, Error> {
        match prehashed {
            Some(h) if h.password == password => Ok(h.phc.clone()),
            _ => self.services.hash_password(password, ctx).await,
        }
    }

    /// POST `/Users` or `/Groups` (devices: 501); `prehashed`, the password a Bulk request
    /// hashed ahead.
    pub(super) async fn create(
        &self,
        kind: Kind,
        req: &Request,
        ctx: &Ctx,
        prehashed: Option<&Prehashed>,
    ) -> Result<Response, Error> {
        let schemas = self.schemas_of(kind)?;
        let inum = uuid_from(&ctx.random_bytes(16));
        let stores = self.services.stores();
        match kind {
            Kind::Device(_) => Err(ScimError::status(
                501,
                "devices are registered through the FIDO2 API, not created here",
            )
            .into()),
            Kind::User => {
                let r = input::read(&req.body, &schemas)?;
                let (mut user, password) =
                    resource::user::from_scim(&r, User::default(), LeftOut::Unassigned)?;
                user.inum = inum;
                user.created_at = ctx.now;
                user.updated_at = ctx.now;
                if let Some(p) = password {
                    user.password_hash = Some(self.password_hash(&p, prehashed, ctx).await?);
                }
                match stores.users.insert(&user).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict) => return Err(taken().into()),
                    Err(e) => return Err(e.into()),
                }
                Ok(answer(
                    201,
                    resource::user::to_scim(&user, &[], &self.base_url()),
                ))
            }
            Kind::Group => {
                let r = input::read(&req.body, &schemas)?;
                let (mut group, ids) = resource::group::from_scim(&r, Group::default())?;
                group.inum = inum;
                group.members = self.members(&ids, &group.inum).await?;
                group.created_at = ctx.now;
                group.updated_at = ctx.now;
                stores.groups.insert(&group).await?;
                Ok(answer(
                    201,
                    resource::group::to_scim(&group, &self.base_url()),
                ))
            }
        }
    }

    /// PUT or PATCH `/Users/{id}` or `/Groups/{id}`; PUT of a device. `prehashed`, the
    /// password a Bulk request hashed ahead.
    pub(super) async fn modify(
        &self,
        kind: Kind,
        id: &str,
        req: &Request,
        ctx: &Ctx,
        prehashed: Option<&Prehashed>,
    ) -> Result<Response, Error> {
        let schemas = self.schemas_of(kind)?;
        let change = Change::of(req, &schemas)?;
        for _ in 0..RETRIES {
            let written = match kind {
                Kind::User => {
                    self.modify_user(id, &change, &schemas, req, ctx, prehashed)
                        .await?
                }
                Kind::Group => self.modify_group(id, &change, &schemas, req, ctx).await?,
                Kind::Device(family) => {
                    self.modify_device(family, id, &change, &schemas, req, ctx)
                        .await?
                }
            };
            match written {
                Written::Done => {
                    return Ok(match self.resource(kind, id).await? {
                        Some(r) => answer(200, r),
                        None => not_found(kind),
                    });
                }
                Written::Gone => return Ok(not_found(kind)),
                Written::Raced if req.if_match.is_some() => {
                    return Err(ScimError::status(
                        412,
                        "the resource changed since the version If-Match names",
                    )
                    .into());
                }
                Written::Raced => {}
            }
        }
        Err(ScimError::status(503, "the resource is changing too often; try again").into())
    }

    /// One attempt at changing the user `id`.
    async fn modify_user(
        &self,
        id: &str,
        change: &Change,
        schemas: &ResourceSchemas,
        req: &Request,
        ctx: &Ctx,
        prehashed: Option<&Prehashed>,
    ) -> Result<Written, Error> {
        let users = &self.services.stores().users;
        let Some((revision, user)) = users.get_revision(id).await? else {
            return Ok(Written::Gone);
        };
        let current = self.user_resource(&user).await?;
        precondition(req, &current)?;
        let next = change.apply(&current, schemas)?;
        let left_out = match change {
            Change::Replace(_) => LeftOut::KeepsStatus,
            Change::Patch(_) => LeftOut::Unassigned,
        };
        let (mut new, password) = resource::user::from_scim(&next, user.clone(), left_out)?;
        if let Some(p) = password {
            new.password_hash = Some(self.password_hash(&p, prehashed, ctx).await?);
        }
        if new == user {
            return Ok(Written::Done);
        }
        new.updated_at = ctx.now;
        match users.update_at(&new, revision).await {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                // The new userName is another user's, or another write came first.
                return match users.by_uid(&new.uid).await? {
                    Some(other) if other.inum != id => Err(taken().into()),
                    _ => Ok(Written::Raced),
                };
            }
            Err(StoreError::NotFound) => return Ok(Written::Gone),
            Err(e) => return Err(e.into()),
        }
        if user.status == UserStatus::Active && new.status == UserStatus::Inactive {
            self.services.stores().end_sessions(id).await?;
        }
        Ok(Written::Done)
    }

    /// One attempt at changing the group `id`.
    async fn modify_group(
        &self,
        id: &str,
        change: &Change,
        schemas: &ResourceSchemas,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Written, Error> {
        let groups = &self.services.stores().groups;
        let Some((revision, group)) = groups.get(id).await? else {
            return Ok(Written::Gone);
        };
        let current = resource::group::to_scim(&group, &self.base_url());
        precondition(req, &current)?;
        let next = change.apply(&current, schemas)?;
        let (mut new, ids) = resource::group::from_scim(&next, group.clone())?;
        new.members = self.members(&ids, id).await?;
        if new == group {
            return Ok(Written::Done);
        }
        new.updated_at = ctx.now;
        match groups.update(&new, revision).await {
            Ok(_) => Ok(Written::Done),
            Err(StoreError::Conflict) => Ok(Written::Raced),
            Err(StoreError::NotFound) => Ok(Written::Gone),
            Err(e) => Err(e.into()),
        }
    }

    /// DELETE `/Users/{id}`, `/Groups/{id}` or a device: 204, and what referred to it goes
    /// too.
    pub(super) async fn delete(
        &self,
        kind: Kind,
        id: &str,
        req: &Request,
    ) -> Result<Response, Error> {
        let Some(current) = self.resource(kind, id).await? else {
            return Ok(not_found(kind));
        };
        precondition(req, &current)?;
        let stores = self.services.stores();
        let deleted = match kind {
            Kind::User => stores.users.delete(id).await?,
            Kind::Group => stores.groups.delete(id).await?,
            Kind::Device(family) => match self.device(family, id).await? {
                Some((_, reg)) => stores.fido2.delete(&reg.id()?).await?,
                None => false,
            },
        };
        if !deleted {
            return Ok(not_found(kind));
        }
        if let Kind::Device(_) = kind {
            return Ok(Response::with_body(Body::NoContent));
        }
        stores.forget(id, kind == Kind::User).await?;
        Ok(Response::with_body(Body::NoContent))
    }

    /// The user `u` as SCIM shows it, with its groups.
    pub(super) async fn user_resource(&self, u: &User) -> Result<Value, Error> {
        let groups = self.services.stores().groups.of_member(&u.inum).await?;
        let groups: Vec<&Group> = groups.iter().collect();
        Ok(resource::user::to_scim(u, &groups, &self.base_url()))
    }

    /// The members `ids` of the group `group`: each a user or a group that exists
    /// (`invalidValue` otherwise), never the group itself.
    async fn members(&self, ids: &[String], group: &str) -> Result<Vec<Member>, Error> {
        let stores = self.services.stores();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let kind = if id == group {
                None
            } else if stores.users.get(id).await?.is_some() {
                Some(MemberKind::User)
            } else if stores.groups.get(id).await?.is_some() {
                Some(MemberKind::Group)
            } else {
                None
            };
            let kind = kind.ok_or_else(|| {
                ScimError::new(
                    ScimType::InvalidValue,
                    format!("member `{id}` is no user or other group here"),
                )
            })?;
            out.push(Member {
                value: id.clone(),
                kind,
            });
        }
        Ok(out)
    }
}

/// How one attempt at a write went.
pub(super) enum Written {
    /// Written (or nothing to change).
    Done,
    /// The resource is gone.
    Gone,
    /// Another write came first.
    Raced,
}
