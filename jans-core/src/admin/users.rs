//! People through the config API (Janssen's `mgt/configuser`, its `CustomUser`): listed,
//! read, created, replaced, patched (Janssen's `UserPatchRequest`: a JSON Patch as text in
//! `jsonPatchString`, and `customAttributes` to set) and deleted, the same people the
//! auth-server signs in and SCIM serves.
//!
//! Janssen's JSON: `inum`, `userId` (the login name), `mail`, `displayName`, `givenName`,
//! `jansStatus` (`active`/`inactive`), `userPassword` (written, never shown: stored as
//! argon2id), and the other claims as `customAttributes` (`{name, multiValued, values}`)
//! under Janssen's attribute names (`sn`, `nickname`, `middleName` ...). The members
//! `userMandatoryAttributes` names must be given on creation. Disabling a person ends their
//! sessions; deleting one removes their group memberships, FIDO2 registrations and
//! sessions too. Every write is compare-and-set on the stored revision and audited.

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, format_datetime, uuid_from};
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::user::{User, UserStatus};
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::StoreError;

use super::json_patch;
use super::list::ListParams;
use super::protection::Caller;

/// Janssen's attribute names of the claims kept as `customAttributes`.
pub(super) const CUSTOM: [&str; 9] = [
    "sn",
    "nickname",
    "preferredUsername",
    "picture",
    "locale",
    "zoneinfo",
    "birthdate",
    "telephoneNumber",
    "emailVerified",
];

/// Janssen's `role` (multi-valued; Casa's administrators have `CasaAdmin`), kept as the
/// person's SCIM `roles` (RFC 7643 §4.1.2), so SCIM and the config API see the same.
const ROLE: &str = "role";
/// Most roles one person has, and the longest.
const MAX_ROLES: usize = 20;
const MAX_ROLE: usize = 128;

/// The top-level members read and shown.
pub(super) const MEMBERS: [&str; 7] = [
    "inum",
    "userId",
    "mail",
    "displayName",
    "givenName",
    "jansStatus",
    "userPassword",
];

/// Members Janssen shows that a write does not change.
const IGNORED: [&str; 6] = [
    "dn",
    "baseDn",
    "createdAt",
    "updatedAt",
    "customObjectClasses",
    "status",
];

fn bad(msg: impl Into<String>) -> AdminError {
    AdminError::new(400, msg.into())
}

fn missing(inum: &str) -> AdminError {
    AdminError::new(404, format!("The requested user {inum} doesn't exist"))
}

/// A person as Janssen's JSON shows them (never the password).
pub(super) fn show(u: &User) -> Value {
    let mut out = Map::new();
    out.insert(
        "dn".into(),
        format!("inum={},ou=people,o=jans", u.inum).into(),
    );
    out.insert("inum".into(), u.inum.clone().into());
    out.insert("userId".into(), u.uid.clone().into());
    for (name, v) in [
        ("mail", &u.mail),
        ("displayName", &u.name),
        ("givenName", &u.given_name),
    ] {
        if let Some(v) = v {
            out.insert(name.into(), v.clone().into());
        }
    }
    let status = match u.status {
        UserStatus::Active => "active",
        UserStatus::Inactive => "inactive",
    };
    out.insert("jansStatus".into(), status.into());
    let mut custom = Vec::new();
    for name in CUSTOM {
        let value: Option<Value> = match name {
            "sn" => u.family_name.clone().map(Value::from),
            "nickname" => u.nickname.clone().map(Value::from),
            "preferredUsername" => u.preferred_username.clone().map(Value::from),
            "picture" => u.picture.clone().map(Value::from),
            "locale" => u.locale.clone().map(Value::from),
            "zoneinfo" => u.zoneinfo.clone().map(Value::from),
            "birthdate" => u.birthdate.clone().map(Value::from),
            "telephoneNumber" => u.phone_number.clone().map(Value::from),
            _ => u.email_verified.then_some(Value::Bool(true)),
        };
        if let Some(v) = value {
            custom.push(json!({"name": name, "multiValued": false, "values": [v]}));
        }
    }
    let roles = u.roles();
    if !roles.is_empty() {
        custom.push(json!({"name": ROLE, "multiValued": true, "values": roles}));
    }
    out.insert("customAttributes".into(), Value::Array(custom));
    out.insert("createdAt".into(), format_datetime(u.created_at).into());
    out.insert("updatedAt".into(), format_datetime(u.updated_at).into());
    Value::Object(out)
}

/// A person as the API shows them, read back (a program's view: `jans user list` through
/// a running server).
pub fn from_janssen(v: &Value) -> Result<User, AdminError> {
    let at = |name: &str| {
        v.get(name)
            .and_then(Value::as_str)
            .and_then(crate::ctx::parse_datetime)
            .unwrap_or(0)
    };
    let base = User {
        inum: v
            .get("inum")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        created_at: at("createdAt"),
        updated_at: at("updatedAt"),
        ..User::default()
    };
    read(v, base).map(|(u, _)| u)
}

fn text(m: &Map<String, Value>, name: &str) -> Result<Option<String>, AdminError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() > 4096 => Err(bad(format!("{name} is too long"))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} must be a string"))),
    }
}

/// A person read from Janssen's JSON over `base` (the stored person, or a new one), and
/// the password given, if any.
fn read(v: &Value, mut base: User) -> Result<(User, Option<String>), AdminError> {
    let Value::Object(m) = v else {
        return Err(bad("a user is a JSON object"));
    };
    for (key, value) in m {
        let known = MEMBERS.contains(&key.as_str())
            || IGNORED.contains(&key.as_str())
            || key == "customAttributes";
        if !known && !value.is_null() {
            return Err(bad(format!("{key} is not a member of a user here")));
        }
    }
    if let Some(uid) = text(m, "userId")? {
        base.uid = uid;
    }
    base.mail = text(m, "mail")?;
    base.name = text(m, "displayName")?;
    base.given_name = text(m, "givenName")?;
    base.status = match text(m, "jansStatus")?.as_deref() {
        None | Some("active") => UserStatus::Active,
        Some("inactive") => UserStatus::Inactive,
        Some(other) => {
            return Err(bad(format!(
                "jansStatus is active or inactive, not {other:?}"
            )));
        }
    };
    if let Some(custom) = m.get("customAttributes") {
        set_custom(&mut base, custom, true)?;
    }
    Ok((base, text(m, "userPassword")?))
}

/// Set the claims `custom` names (Janssen's `customAttributes`); with `all`, the claims it
/// leaves out are cleared (the whole set given), else kept (a patch's).
fn set_custom(u: &mut User, custom: &Value, all: bool) -> Result<(), AdminError> {
    let list = match custom {
        Value::Null => return Ok(()),
        Value::Array(a) => a,
        _ => return Err(bad("customAttributes must be a list")),
    };
    if all {
        u.family_name = None;
        u.nickname = None;
        u.preferred_username = None;
        u.picture = None;
        u.locale = None;
        u.zoneinfo = None;
        u.birthdate = None;
        u.phone_number = None;
        u.email_verified = false;
        u.set_roles(&[]);
    }
    for a in list {
        let Some(name) = a.get("name").and_then(Value::as_str) else {
            return Err(bad("each of customAttributes has a name"));
        };
        if name == ROLE {
            let values = match (a.get("values"), a.get("value")) {
                (Some(Value::Array(v)), _) => v.clone(),
                (_, Some(v)) if !v.is_null() => vec![v.clone()],
                _ => Vec::new(),
            };
            let mut roles = Vec::new();
            for v in values {
                match v {
                    Value::String(r) if !r.is_empty() && r.len() <= MAX_ROLE => {
                        if !roles.contains(&r) {
                            roles.push(r);
                        }
                    }
                    _ => return Err(bad("customAttributes: role takes text values")),
                }
            }
            if roles.len() > MAX_ROLES {
                return Err(bad(format!("customAttributes: at most {MAX_ROLES} roles")));
            }
            u.set_roles(&roles);
            continue;
        }
        if !CUSTOM.contains(&name) {
            return Err(bad(format!(
                "customAttributes: {name} is not an attribute of a user here (one of {}, {ROLE})",
                CUSTOM.join(", ")
            )));
        }
        let values = match (a.get("values"), a.get("value")) {
            (Some(Value::Array(v)), _) => v.clone(),
            (_, Some(v)) if !v.is_null() => vec![v.clone()],
            _ => Vec::new(),
        };
        if values.len() > 1 {
            return Err(bad(format!("customAttributes: {name} takes one value")));
        }
        let one = values.into_iter().next();
        if name == "emailVerified" {
            u.email_verified = match &one {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
                Some(_) => return Err(bad("customAttributes: emailVerified is true or false")),
            };
            continue;
        }
        let value = match one {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() <= 4096 => (!s.is_empty()).then_some(s),
            Some(_) => return Err(bad(format!("customAttributes: {name} takes text"))),
        };
        let slot = match name {
            "sn" => &mut u.family_name,
            "nickname" => &mut u.nickname,
            "preferredUsername" => &mut u.preferred_username,
            "picture" => &mut u.picture,
            "locale" => &mut u.locale,
            "zoneinfo" => &mut u.zoneinfo,
            "birthdate" => &mut u.birthdate,
            _ => &mut u.phone_number,
        };
        *slot = value;
    }
    Ok(())
}

/// The members `userMandatoryAttributes` names that `v` lacks (a creation's), at the top
/// level or among the person's custom attributes.
fn lacking(services: &Services, v: &Value, u: &User) -> Vec<String> {
    let shown = show(u);
    let custom: Vec<&str> = shown
        .get("customAttributes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| c.get("name")?.as_str()).collect())
        .unwrap_or_default();
    services
        .config()
        .user_mandatory_attributes
        .iter()
        .filter(|name| {
            let top = v
                .get(name.as_str())
                .is_some_and(|x| !x.is_null() && x != "");
            !top && !custom.contains(&name.as_str())
        })
        .cloned()
        .collect()
}

fn checked(u: &User) -> Result<(), AdminError> {
    u.validate().map_err(|e| bad(e.to_string()))
}

/// The password's hash, or the password policy's 400.
async fn hash(services: &Services, password: &str, ctx: &Ctx) -> Result<String, Error> {
    match services.hash_password(password, ctx).await {
        Err(Error::Password(e @ crate::password::PasswordError::Length)) => {
            Err(bad(format!("userPassword: {e}")).into())
        }
        other => other,
    }
}

fn taken(uid: &str) -> Error {
    AdminError::new(409, format!("the userId {uid} is another user's")).into()
}

/// `GET mgt/configuser`.
pub(super) async fn list(services: &Services, req: &Request) -> Result<Response, Error> {
    let params = ListParams::parse(req, "inum")?;
    let users = services.stores().users.list().await?;
    let entries: Vec<Value> = users.iter().map(show).collect();
    Ok(Response::json(params.page(
        entries,
        &["inum", "userId", "mail", "displayName", "givenName"],
    )))
}

/// `GET mgt/configuser/{inum}`.
pub(super) async fn read_one(services: &Services, inum: &str) -> Result<Response, Error> {
    match services.stores().users.get(inum).await? {
        Some(u) => Ok(Response::json(show(&u))),
        None => Err(missing(inum).into()),
    }
}

/// `POST mgt/configuser`: 201 with the person, their `inum` drawn.
pub(super) async fn create(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let v = super::body(req)?;
    let fresh = User {
        inum: uuid_from(&ctx.random_bytes(16)),
        created_at: ctx.now,
        updated_at: ctx.now,
        ..User::default()
    };
    if v.get("inum").is_some_and(|i| !i.is_null()) {
        return Err(bad("a new user's inum is drawn by the server").into());
    }
    let (mut user, password) = read(&v, fresh)?;
    let lacking = lacking(services, &v, &user);
    if !lacking.is_empty() {
        return Err(bad(format!(
            "a new user needs {} (userMandatoryAttributes)",
            lacking.join(", ")
        ))
        .into());
    }
    checked(&user)?;
    if let Some(p) = password {
        user.password_hash = Some(hash(services, &p, ctx).await?);
    }
    match services.stores().users.insert(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(taken(&user.uid)),
        Err(e) => return Err(e.into()),
    }
    super::audit::record(
        services,
        caller,
        ctx,
        ("mgt/configuser", &user.inum, "create"),
        None,
    )
    .await;
    Ok(Response::with_body(Body::Created(show(&user))))
}

/// Write `new` over `stored` at `revision`: `Ok(None)` when another write came first.
async fn write(
    services: &Services,
    stored: &User,
    mut new: User,
    password: Option<String>,
    revision: u64,
    ctx: &Ctx,
) -> Result<Option<User>, Error> {
    new.inum.clone_from(&stored.inum);
    new.created_at = stored.created_at;
    new.updated_at = ctx.now;
    checked(&new)?;
    if let Some(p) = password {
        new.password_hash = Some(hash(services, &p, ctx).await?);
    }
    let users = &services.stores().users;
    match users.update_at(&new, revision).await {
        Ok(_) => {}
        Err(StoreError::Conflict) => {
            return match users.by_uid(&new.uid).await? {
                Some(other) if other.inum != new.inum => Err(taken(&new.uid)),
                _ => Ok(None),
            };
        }
        Err(StoreError::NotFound) => return Err(missing(&new.inum).into()),
        Err(e) => return Err(e.into()),
    }
    if stored.status == UserStatus::Active && new.status == UserStatus::Inactive {
        services.stores().end_sessions(&new.inum).await?;
    }
    Ok(Some(new))
}

/// `PUT mgt/configuser`: the person its `inum` names, replaced (their password kept
/// unless `userPassword` is given).
pub(super) async fn replace(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let v = super::body(req)?;
    let Some(inum) = v.get("inum").and_then(Value::as_str).map(str::to_owned) else {
        return Err(bad("inum names the user to replace").into());
    };
    let users = &services.stores().users;
    let Some((revision, stored)) = users.get_revision(&inum).await? else {
        return Err(missing(&inum).into());
    };
    let (new, password) = read(&v, stored.clone())?;
    let Some(written) = write(services, &stored, new, password, revision, ctx).await? else {
        return Err(AdminError::new(
            409,
            "the user changed while this request ran: read it again",
        )
        .into());
    };
    super::audit::record(
        services,
        caller,
        ctx,
        ("mgt/configuser", &inum, "replace"),
        None,
    )
    .await;
    Ok(Response::json(show(&written)))
}

/// `PATCH mgt/configuser/{inum}`: Janssen's `UserPatchRequest` — `jsonPatchString` (an RFC
/// 6902 patch as text, applied to the person as shown) and `customAttributes` (set after).
pub(super) async fn patch(
    services: &Services,
    caller: &Caller,
    inum: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let v = super::body(req)?;
    let Value::Object(m) = &v else {
        return Err(bad("a UserPatchRequest is a JSON object").into());
    };
    if let Some(k) = m
        .keys()
        .find(|k| *k != "jsonPatchString" && *k != "customAttributes")
    {
        return Err(bad(format!("{k} is not a member of a UserPatchRequest")).into());
    }
    let patch: Value = match m.get("jsonPatchString") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Value::Array(Vec::new()),
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|e| bad(format!("jsonPatchString is not JSON: {e}")))?
        }
        Some(_) => return Err(bad("jsonPatchString is a JSON Patch as text").into()),
    };
    let ops = json_patch::parse(&patch).map_err(|e| bad(e.0))?;
    if ops.iter().any(json_patch::Op::touches_root) {
        return Err(bad("a user is patched a member at a time").into());
    }
    let custom = m.get("customAttributes").cloned().unwrap_or(Value::Null);
    let users = &services.stores().users;
    for _ in 0..crate::management::PATCH_ATTEMPTS {
        let Some((revision, stored)) = users.get_revision(inum).await? else {
            return Err(missing(inum).into());
        };
        let patched = json_patch::apply(&show(&stored), &ops).map_err(|e| bad(e.0))?;
        if patched.get("inum").and_then(Value::as_str) != Some(inum) {
            return Err(bad("a user's inum does not change").into());
        }
        let (mut new, password) = read(&patched, stored.clone())?;
        set_custom(&mut new, &custom, false)?;
        if let Some(written) = write(services, &stored, new, password, revision, ctx).await? {
            // The patch itself (never its text): a password in it is redacted.
            super::audit::record(
                services,
                caller,
                ctx,
                ("mgt/configuser", inum, "patch"),
                Some(&patch),
            )
            .await;
            return Ok(Response::json(show(&written)));
        }
    }
    Err(AdminError::new(409, "the user kept changing while this patch ran").into())
}

/// `DELETE mgt/configuser/{inum}`: 204; what refers to the person goes too.
pub(super) async fn delete(
    services: &Services,
    caller: &Caller,
    inum: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let stores = services.stores();
    if !stores.users.delete(inum).await? {
        return Err(missing(inum).into());
    }
    stores.forget(inum, true).await?;
    super::audit::record(
        services,
        caller,
        ctx,
        ("mgt/configuser", inum, "delete"),
        None,
    )
    .await;
    Ok(Response::with_body(Body::NoContent))
}
