//! The FIDO2 server's path table: Janssen's jans-fido2 paths (DESIGN.md §3) to
//! [`Fido2Endpoint`]s and back.

use crate::request::Fido2Endpoint;

/// Path prefix of the FIDO2 REST endpoints (Janssen's `baseEndpoint`).
pub const FIDO2_PREFIX: &str = "/jans-fido2/restv1";

/// The discovery document's well-known path.
pub const WELL_KNOWN: &str = "/.well-known/fido2-configuration";

/// The U2F discovery document's well-known path.
pub const U2F_WELL_KNOWN: &str = "/.well-known/fido-configuration";

/// Every path served, and its endpoint (the first path of an endpoint is its own).
pub const EXACT: [(&str, Fido2Endpoint); 14] = [
    (
        "/jans-fido2/restv1/configuration",
        Fido2Endpoint::Configuration,
    ),
    (WELL_KNOWN, Fido2Endpoint::Configuration),
    (
        "/jans-fido2/restv1/attestation/options",
        Fido2Endpoint::AttestationOptions,
    ),
    (
        "/jans-fido2/restv1/attestation/result",
        Fido2Endpoint::AttestationResult,
    ),
    (
        "/jans-fido2/restv1/assertion/options",
        Fido2Endpoint::AssertionOptions,
    ),
    (
        "/jans-fido2/restv1/assertion/result",
        Fido2Endpoint::AssertionResult,
    ),
    (
        "/jans-fido2/restv1/trust/mds/health",
        Fido2Endpoint::MdsHealth,
    ),
    (
        "/jans-fido2/restv1/trust/attestation/config",
        Fido2Endpoint::AttestationTrustConfig,
    ),
    (
        "/jans-fido2/restv1/fido/u2f/registration",
        Fido2Endpoint::U2fRegistration,
    ),
    (
        "/jans-fido2/restv1/fido/u2f/authentication",
        Fido2Endpoint::U2fAuthentication,
    ),
    (
        "/jans-fido2/restv1/fido-configuration",
        Fido2Endpoint::U2fConfiguration,
    ),
    (U2F_WELL_KNOWN, Fido2Endpoint::U2fConfiguration),
    (
        "/jans-config-api/fido2/fido2-config",
        Fido2Endpoint::AdminConfig,
    ),
    (
        "/jans-config-api/fido2/registration",
        Fido2Endpoint::AdminRegistrations,
    ),
];

/// A person's registrations, by login name after this (Janssen's fido2 plugin).
const ENTRIES: &str = "/jans-config-api/fido2/registration/entries";

/// One registration, by id after this.
const DEVICE: &str = "/jans-config-api/fido2/registration/device";

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them.
pub const WITH_ID: [&str; 2] = [ENTRIES, DEVICE];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<Fido2Endpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    WITH_ID.iter().find_map(|prefix| {
        let id = path.strip_prefix(prefix)?.strip_prefix('/')?;
        if id.is_empty() || id.contains('/') {
            return None;
        }
        Some(if *prefix == ENTRIES {
            Fido2Endpoint::AdminRegistrationsOf(id.to_owned())
        } else {
            Fido2Endpoint::AdminDevice(id.to_owned())
        })
    })
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &Fido2Endpoint) -> String {
    match endpoint {
        Fido2Endpoint::AdminRegistrationsOf(id) => format!("{ENTRIES}/{id}"),
        Fido2Endpoint::AdminDevice(id) => format!("{DEVICE}/{id}"),
        _ => EXACT
            .iter()
            .find(|(_, e)| e == endpoint)
            .map_or(FIDO2_PREFIX, |(p, _)| *p)
            .to_owned(),
    }
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &Fido2Endpoint) -> &'static str {
    match endpoint {
        Fido2Endpoint::Configuration => "fido2_configuration",
        Fido2Endpoint::AdminConfig => "fido2_admin_config",
        Fido2Endpoint::AdminRegistrations | Fido2Endpoint::AdminRegistrationsOf(_) => {
            "fido2_admin_registrations"
        }
        Fido2Endpoint::AdminDevice(_) => "fido2_admin_device",
        Fido2Endpoint::AttestationOptions => "fido2_attestation_options",
        Fido2Endpoint::AttestationResult => "fido2_attestation_result",
        Fido2Endpoint::AssertionOptions => "fido2_assertion_options",
        Fido2Endpoint::AssertionResult => "fido2_assertion_result",
        Fido2Endpoint::MdsHealth => "fido2_mds_health",
        Fido2Endpoint::AttestationTrustConfig => "fido2_attestation_config",
        Fido2Endpoint::U2fRegistration => "fido2_u2f_registration",
        Fido2Endpoint::U2fAuthentication => "fido2_u2f_authentication",
        Fido2Endpoint::U2fConfiguration => "fido2_u2f_configuration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for (p, e) in EXACT {
            assert_eq!(from_path(p).as_ref(), Some(&e));
            assert_eq!(from_path(&path(&e)).as_ref(), Some(&e));
        }
        for e in [
            Fido2Endpoint::AdminRegistrationsOf("alice".into()),
            Fido2Endpoint::AdminDevice("d-1".into()),
        ] {
            assert_eq!(from_path(&path(&e)), Some(e));
        }
        assert_eq!(
            path(&Fido2Endpoint::Configuration),
            "/jans-fido2/restv1/configuration"
        );
        assert_eq!(
            from_path("/jans-config-api/fido2/registration/entries/a/b"),
            None
        );
        assert_eq!(
            from_path("/jans-config-api/fido2/registration/device/"),
            None
        );
        assert_eq!(from_path("/jans-fido2/restv1/nope"), None);
    }
}
