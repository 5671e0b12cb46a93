//! Janssen's components, which one `jans serve` process may serve all of (the all-in-one
//! image) or some of (one Deployment per component in the microservices chart).

use crate::host::HostError;

/// The components a process serves; those not selected expose no routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Components {
    /// auth-server: OAuth 2.0, OpenID Connect, discovery, JWKS, the login pages.
    pub auth: bool,
    /// FIDO2 / WebAuthn server: registration and authentication ceremonies.
    pub fido2: bool,
    /// SCIM 2.0 server.
    pub scim: bool,
    /// The admin configuration API (its health endpoints so far).
    pub config_api: bool,
    /// Casa, the self-service portal (`/jans-casa/`).
    pub casa: bool,
    /// The SAML 2.0 identity provider (`/jans-saml/`).
    pub saml: bool,
}

impl Components {
    /// Every component.
    pub const ALL: Components = Components {
        auth: true,
        fido2: true,
        scim: true,
        config_api: true,
        casa: true,
        saml: true,
    };

    /// The names, as `--components` takes them.
    pub const NAMES: [&'static str; 6] = ["auth", "fido2", "scim", "config-api", "casa", "saml"];

    /// The names of the components chosen.
    pub fn names(&self) -> Vec<&'static str> {
        let chosen = [
            self.auth,
            self.fido2,
            self.scim,
            self.config_api,
            self.casa,
            self.saml,
        ];
        Components::NAMES
            .iter()
            .zip(chosen)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Parse a comma-separated list of [`Components::NAMES`] (at least one).
    pub fn parse(list: &str) -> Result<Components, HostError> {
        let mut c = Components {
            auth: false,
            fido2: false,
            scim: false,
            config_api: false,
            casa: false,
            saml: false,
        };
        let mut any = false;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let slot = match name {
                "auth" => &mut c.auth,
                "fido2" => &mut c.fido2,
                "scim" => &mut c.scim,
                "config-api" => &mut c.config_api,
                "casa" => &mut c.casa,
                "saml" => &mut c.saml,
                other => {
                    return Err(HostError::setting(
                        "--components",
                        format!(
                            "unknown component {other:?} (known: {})",
                            Components::NAMES.join(", ")
                        ),
                    ));
                }
            };
            *slot = true;
            any = true;
        }
        if !any {
            return Err(HostError::setting(
                "--components",
                format!(
                    "name at least one component ({})",
                    Components::NAMES.join(", ")
                ),
            ));
        }
        Ok(c)
    }
}

impl Default for Components {
    fn default() -> Self {
        Components::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_unknown_names_are_refused() {
        assert_eq!(
            Components::parse("auth,fido2,scim,config-api,casa,saml").unwrap(),
            Components::ALL
        );
        let only_scim = Components::parse(" scim ").unwrap();
        assert!(only_scim.scim && !only_scim.auth);
        assert!(
            Components::parse("auth,oauth")
                .unwrap_err()
                .to_string()
                .contains("\"oauth\"")
        );
        assert!(Components::parse("").is_err());
        assert!(Components::parse(",").is_err());
    }
}
