//! The SCIM server's path table: Janssen's jans-scim paths (DESIGN.md §3) to
//! [`ScimEndpoint`]s and back.

use crate::request::ScimEndpoint;

/// Path prefix of the SCIM 2.0 endpoints (Janssen's jans-scim `v2` root).
pub const SCIM_PREFIX: &str = "/jans-scim/restv1/v2";

/// Janssen's SCIM discovery document.
pub const WELL_KNOWN: &str = "/.well-known/scim-configuration";

/// The paths served as they are.
pub const EXACT: [(&str, ScimEndpoint); 17] = [
    (
        "/jans-config-api/scim/scim-config",
        ScimEndpoint::AdminConfig,
    ),
    (WELL_KNOWN, ScimEndpoint::Configuration),
    (
        "/jans-scim/restv1/v2/ServiceProviderConfig",
        ScimEndpoint::ServiceProviderConfig,
    ),
    (
        "/jans-scim/restv1/v2/ResourceTypes",
        ScimEndpoint::ResourceTypes,
    ),
    ("/jans-scim/restv1/v2/Schemas", ScimEndpoint::Schemas),
    ("/jans-scim/restv1/v2/.search", ScimEndpoint::Search),
    ("/jans-scim/restv1/v2/Bulk", ScimEndpoint::Bulk),
    ("/jans-scim/restv1/v2/Me", ScimEndpoint::Me),
    (
        "/jans-scim/restv1/v2/UpdatedUsers",
        ScimEndpoint::UpdatedUsers,
    ),
    ("/jans-scim/restv1/v2/Users", ScimEndpoint::Users),
    (
        "/jans-scim/restv1/v2/Users/.search",
        ScimEndpoint::UsersSearch,
    ),
    ("/jans-scim/restv1/v2/Groups", ScimEndpoint::Groups),
    (
        "/jans-scim/restv1/v2/FidoDevices",
        ScimEndpoint::FidoDevices,
    ),
    (
        "/jans-scim/restv1/v2/FidoDevices/.search",
        ScimEndpoint::FidoDevicesSearch,
    ),
    (
        "/jans-scim/restv1/v2/Fido2Devices",
        ScimEndpoint::Fido2Devices,
    ),
    (
        "/jans-scim/restv1/v2/Fido2Devices/.search",
        ScimEndpoint::Fido2DevicesSearch,
    ),
    (
        "/jans-scim/restv1/v2/Groups/.search",
        ScimEndpoint::GroupsSearch,
    ),
];

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 6] = [
    "/jans-scim/restv1/v2/ResourceTypes",
    "/jans-scim/restv1/v2/Schemas",
    "/jans-scim/restv1/v2/Users",
    "/jans-scim/restv1/v2/Groups",
    "/jans-scim/restv1/v2/FidoDevices",
    "/jans-scim/restv1/v2/Fido2Devices",
];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<ScimEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    let rest = path.strip_prefix(SCIM_PREFIX)?.strip_prefix('/')?;
    let (collection, id) = rest.split_once('/')?;
    if id.is_empty() || id.contains('/') {
        return None;
    }
    match collection {
        "ResourceTypes" => Some(ScimEndpoint::ResourceType(id.to_owned())),
        "Schemas" => Some(ScimEndpoint::Schema(id.to_owned())),
        "Users" => Some(ScimEndpoint::User(id.to_owned())),
        "Groups" => Some(ScimEndpoint::Group(id.to_owned())),
        "FidoDevices" => Some(ScimEndpoint::FidoDevice(id.to_owned())),
        "Fido2Devices" => Some(ScimEndpoint::Fido2Device(id.to_owned())),
        _ => None,
    }
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &ScimEndpoint) -> String {
    match endpoint {
        ScimEndpoint::ResourceType(id) => format!("{SCIM_PREFIX}/ResourceTypes/{id}"),
        ScimEndpoint::Schema(id) => format!("{SCIM_PREFIX}/Schemas/{id}"),
        ScimEndpoint::User(id) => format!("{SCIM_PREFIX}/Users/{id}"),
        ScimEndpoint::Group(id) => format!("{SCIM_PREFIX}/Groups/{id}"),
        ScimEndpoint::FidoDevice(id) => format!("{SCIM_PREFIX}/FidoDevices/{id}"),
        ScimEndpoint::Fido2Device(id) => format!("{SCIM_PREFIX}/Fido2Devices/{id}"),
        other => EXACT
            .iter()
            .find(|(_, e)| e == other)
            .map_or_else(|| SCIM_PREFIX.to_owned(), |(p, _)| (*p).to_owned()),
    }
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &ScimEndpoint) -> &'static str {
    match endpoint {
        ScimEndpoint::Configuration => "scim_configuration",
        ScimEndpoint::AdminConfig => "scim_admin_config",
        ScimEndpoint::ServiceProviderConfig => "scim_service_provider_config",
        ScimEndpoint::ResourceTypes | ScimEndpoint::ResourceType(_) => "scim_resource_types",
        ScimEndpoint::Schemas | ScimEndpoint::Schema(_) => "scim_schemas",
        ScimEndpoint::Search => "scim_search",
        ScimEndpoint::Bulk => "scim_bulk",
        ScimEndpoint::Me => "scim_me",
        ScimEndpoint::UpdatedUsers => "scim_updated_users",
        ScimEndpoint::Users | ScimEndpoint::User(_) | ScimEndpoint::UsersSearch => "scim_users",
        ScimEndpoint::Groups | ScimEndpoint::Group(_) | ScimEndpoint::GroupsSearch => "scim_groups",
        ScimEndpoint::FidoDevices
        | ScimEndpoint::FidoDevice(_)
        | ScimEndpoint::FidoDevicesSearch => "scim_fido_devices",
        ScimEndpoint::Fido2Devices
        | ScimEndpoint::Fido2Device(_)
        | ScimEndpoint::Fido2DevicesSearch => "scim_fido2_devices",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for e in [
            ScimEndpoint::Configuration,
            ScimEndpoint::ServiceProviderConfig,
            ScimEndpoint::ResourceTypes,
            ScimEndpoint::ResourceType("User".into()),
            ScimEndpoint::Schemas,
            ScimEndpoint::Schema("urn:ietf:params:scim:schemas:core:2.0:User".into()),
            ScimEndpoint::Search,
            ScimEndpoint::Bulk,
            ScimEndpoint::Me,
            ScimEndpoint::UpdatedUsers,
            ScimEndpoint::Users,
            ScimEndpoint::User("8d1c-2".into()),
            ScimEndpoint::UsersSearch,
            ScimEndpoint::Groups,
            ScimEndpoint::Group("g-1".into()),
            ScimEndpoint::GroupsSearch,
            ScimEndpoint::FidoDevices,
            ScimEndpoint::FidoDevice("k".into()),
            ScimEndpoint::FidoDevicesSearch,
            ScimEndpoint::Fido2Devices,
            ScimEndpoint::Fido2Device("k".into()),
            ScimEndpoint::Fido2DevicesSearch,
        ] {
            assert_eq!(from_path(&path(&e)), Some(e.clone()), "{e:?}");
        }
        for p in [
            "/jans-scim/restv1/v2",
            "/jans-scim/restv1/v2/",
            "/jans-scim/restv1/v2/Schemas/",
            "/jans-scim/restv1/v2/Schemas/a/b",
            "/jans-scim/restv1/v2/Nope/x",
            "/jans-scim/restv1/v1/Schemas",
        ] {
            assert_eq!(from_path(p), None, "{p}");
        }
    }
}
