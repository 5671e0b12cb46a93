//! The FIDO registrations as Janssen's SCIM device resources: views of what the FIDO2
//! component registered, for provisioning tools to list, rename and remove (registration
//! itself goes through the FIDO2 API).
//!
//! - `Fido2Device` (`urn:ietf:params:scim:schemas:core:2.0:Fido2Device`, at
//!   `/Fido2Devices`): passkeys and security keys registered through WebAuthn;
//! - `FidoDevice` (`urn:ietf:params:scim:schemas:core:2.0:FidoDevice`, at `/FidoDevices`):
//!   the legacy U2F ones, registered under a U2F AppID (`application`).
//!
//! The id of a device is its credential key (the base64url SHA-256 of its credential id,
//! unique among all registrations). `displayName` is the registration's nickname and the one
//! attribute written (PUT); `userId` (the owner's `inum`), `creationDate` and `counter` are
//! immutable, the rest read-only.

use serde_json::{Map, Value, json};

use crate::repo::fido2::{Fido2Registration, Registrations};
use crate::scim::schema::{AttrType, Attribute, Mutability, ResourceSchemas, Schema};

/// The Fido2Device schema's URN.
pub const FIDO2_DEVICE: &str = "urn:ietf:params:scim:schemas:core:2.0:Fido2Device";
/// The FidoDevice schema's URN.
pub const FIDO_DEVICE: &str = "urn:ietf:params:scim:schemas:core:2.0:FidoDevice";

/// Which of the two views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Fido2Devices.
    Fido2,
    /// FidoDevices (U2F).
    U2f,
}

impl Family {
    /// The view a registration belongs to.
    pub fn of(reg: &Fido2Registration) -> Family {
        if reg.app_id.is_some() {
            Family::U2f
        } else {
            Family::Fido2
        }
    }

    /// The resource type's name.
    pub fn resource_type(self) -> &'static str {
        match self {
            Family::Fido2 => "Fido2Device",
            Family::U2f => "FidoDevice",
        }
    }

    /// The endpoint (relative to the SCIM root).
    pub fn endpoint(self) -> &'static str {
        match self {
            Family::Fido2 => "/Fido2Devices",
            Family::U2f => "/FidoDevices",
        }
    }

    /// The schema's URN.
    pub fn urn(self) -> &'static str {
        match self {
            Family::Fido2 => FIDO2_DEVICE,
            Family::U2f => FIDO_DEVICE,
        }
    }
}

/// The schema of `family`'s devices.
pub fn schema(family: Family) -> Schema {
    use Attribute as A;
    let immutable = |a: Attribute| a.required().mutability(Mutability::Immutable);
    let read_only = |a: Attribute| a.mutability(Mutability::ReadOnly);
    let mut attributes = vec![
        immutable(A::string("userId", "The inum of the device's owner.")).case_exact(),
        immutable(A::new(
            "creationDate",
            AttrType::DateTime,
            "When the device was registered.",
        )),
        immutable(A::new(
            "counter",
            AttrType::Integer,
            "The signature counter last seen.",
        )),
        read_only(A::string("status", "The registration's state.")).canonical(match family {
            Family::Fido2 => &["registered", "compromised"],
            Family::U2f => &["active", "compromised"],
        }),
        A::string("displayName", "The name the user gave the device."),
    ];
    if family == Family::U2f {
        attributes.extend([
            read_only(A::string(
                "application",
                "The U2F AppID the device was registered under.",
            )),
            read_only(A::string(
                "deviceKeyHandle",
                "The key handle (the credential id, base64url).",
            ))
            .case_exact(),
            read_only(A::new(
                "lastAccessTime",
                AttrType::DateTime,
                "When the device last signed in.",
            )),
        ]);
    }
    Schema {
        id: family.urn().into(),
        name: family.resource_type().into(),
        description: match family {
            Family::Fido2 => "Fido 2 Device",
            Family::U2f => "Fido Device",
        }
        .into(),
        attributes,
    }
}

/// The schemas of `family`'s resources.
pub fn schemas(family: Family) -> ResourceSchemas {
    ResourceSchemas {
        core: schema(family),
        extensions: Vec::new(),
        common: crate::scim::schema::common_attributes(),
    }
}

/// The SCIM id of a registration: its credential key.
pub fn id_of(reg: &Fido2Registration) -> String {
    reg.credential_id_bytes()
        .map(|c| Registrations::credential_key(&c))
        .unwrap_or_default()
}

/// The device resource of `reg`; `base` is the SCIM root URL.
pub fn to_scim(reg: &Fido2Registration, base: &str) -> Value {
    let family = Family::of(reg);
    let id = id_of(reg);
    let mut r = Map::new();
    r.insert("schemas".into(), json!([family.urn()]));
    r.insert("id".into(), id.clone().into());
    r.insert("userId".into(), reg.user_inum.clone().into());
    r.insert(
        "creationDate".into(),
        crate::scim::datetime::format(reg.created_at).into(),
    );
    r.insert("counter".into(), reg.sign_count.into());
    let status = match (family, reg.clone_warning) {
        (_, true) => "compromised",
        (Family::Fido2, false) => "registered",
        (Family::U2f, false) => "active",
    };
    r.insert("status".into(), status.into());
    if let Some(n) = &reg.nickname {
        r.insert("displayName".into(), n.clone().into());
    }
    if family == Family::U2f {
        if let Some(app) = &reg.app_id {
            r.insert("application".into(), app.clone().into());
        }
        r.insert("deviceKeyHandle".into(), reg.credential_id.clone().into());
        if let Some(t) = reg.last_used_at {
            r.insert(
                "lastAccessTime".into(),
                crate::scim::datetime::format(t).into(),
            );
        }
    }
    r.insert(
        "meta".into(),
        super::meta(
            family.resource_type(),
            reg.created_at,
            reg.last_used_at
                .unwrap_or(reg.created_at)
                .max(reg.created_at),
            format!("{base}{}/{id}", family.endpoint()),
            super::version_of(reg),
        ),
    );
    Value::Object(r)
}

/// `reg` as the read resource `r` (a PUT) says it is: its display name.
pub fn from_scim(r: &Map<String, Value>, mut reg: Fido2Registration) -> Fido2Registration {
    reg.nickname = r
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    reg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(app_id: Option<&str>) -> Fido2Registration {
        serde_json::from_value(json!({
            "userInum": "u-1", "username": "alice", "credentialId": "AQID", "publicKey": "pk",
            "algorithm": -7, "signCount": 7, "aaguid": "00000000-0000-0000-0000-000000000000",
            "backupEligible": false, "backedUp": false, "attestationFormat": "none",
            "attestationType": "none", "rpId": "id.example.com",
            "origin": "https://id.example.com", "createdAt": 1_305_261_754,
            "appId": app_id, "nickname": "YubiKey",
        }))
        .unwrap()
    }

    #[test]
    fn mapping() {
        let r = to_scim(&reg(None), "https://x/v2");
        let id = Registrations::credential_key(&[1, 2, 3]);
        assert_eq!(r["id"], id.as_str());
        assert_eq!(r["schemas"], json!([FIDO2_DEVICE]));
        assert_eq!(r["userId"], "u-1");
        assert_eq!(r["counter"], 7);
        assert_eq!(r["status"], "registered");
        assert_eq!(r["displayName"], "YubiKey");
        assert_eq!(r["creationDate"], "2011-05-13T04:42:34Z");
        assert_eq!(
            r["meta"]["location"],
            format!("https://x/v2/Fido2Devices/{id}")
        );
        assert!(r.get("application").is_none());
        let u2f = to_scim(&reg(Some("https://id.example.com")), "https://x/v2");
        assert_eq!(u2f["schemas"], json!([FIDO_DEVICE]));
        assert_eq!(u2f["application"], "https://id.example.com");
        assert_eq!(u2f["deviceKeyHandle"], "AQID");
        assert_eq!(u2f["status"], "active");
        let renamed = from_scim(
            json!({"displayName": "Blue key"}).as_object().unwrap(),
            reg(None),
        );
        assert_eq!(renamed.nickname.as_deref(), Some("Blue key"));
        // Every attribute shown is in the schema.
        for (family, r) in [(Family::Fido2, r), (Family::U2f, u2f)] {
            let s = schemas(family);
            for k in r.as_object().unwrap().keys().filter(|k| *k != "schemas") {
                assert!(s.resolve(None, k).is_some(), "{family:?} {k}");
            }
        }
    }
}
