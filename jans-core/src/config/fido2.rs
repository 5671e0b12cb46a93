//! Janssen's `fido2Configuration` (jans-fido2's dynamic configuration), with its property
//! names: the relying parties this server acts for, how long a ceremony may stay
//! unfinished, which credential algorithms are accepted.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::jose::Algorithm;

/// One relying party (Janssen's `rp` entry): the RP ID (a domain, WebAuthn Level 3 §5.1.2
/// "RP ID") and the full origins (`https://login.example.com`) its pages run on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelyingParty {
    /// The RP ID: a registrable domain or one of its subdomains (`example.com`), or
    /// `localhost`.
    pub id: String,
    /// The origins ceremonies for this RP may come from; each one's host is the RP ID or
    /// a subdomain of it (§5.1.2).
    pub origins: Vec<String>,
}

/// What a signature counter that went backwards (§6.1.1, §7.2 step 22) does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CounterRegression {
    /// Refuse the assertion (the authenticator may be cloned).
    #[default]
    Reject,
    /// Accept it, and mark the registration (`cloneWarning`) for the operator to see.
    Record,
}

/// Janssen's `attestationMode`: what attestation trust (WebAuthn Level 3 §7.1 steps 22–24,
/// judged against FIDO metadata) does to a registration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationMode {
    /// No trust judgement: the statement is verified, the metadata not consulted.
    Disabled,
    /// Judge and record the result on the registration (`attestationTrusted`, and the
    /// `JFS_*` code of a failure), never refuse: Janssen's default.
    #[default]
    Monitor,
    /// Refuse a registration whose attestation is not trusted; options then ask for
    /// `direct` attestation whatever the caller asked.
    Enforced,
}

/// One metadata service (Janssen's `metadataServers` entry): where its BLOB is fetched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataServer {
    /// The BLOB's URL (`https://mds3.fidoalliance.org/`).
    pub url: String,
}

/// `fido2Configuration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Fido2Configuration {
    /// Janssen's `rp`: the relying parties. Empty (the default) means one, made from the
    /// issuer: its host as the RP ID and its origin as the one origin, so `jans serve` on
    /// `http://localhost:8080` works as it is.
    pub rp: Vec<RelyingParty>,
    /// Seconds a started ceremony waits for its result before its challenge expires.
    pub unfinished_request_expiration: u64,
    /// Credential algorithms accepted (`ES256`, `ES384`, `ES512`, `EdDSA`, `RS256`,
    /// `PS256`), offered in this order.
    pub enabled_fido_algorithms: Vec<Algorithm>,
    /// Hints sent with options (`security-key`, `client-device`, `hybrid`; §5.8.7).
    pub hints: Vec<String>,
    /// Top-level origins from which a cross-origin iframe may run a ceremony
    /// (`crossOrigin: true` in clientDataJSON, §7.1 step 10); empty refuses them all.
    pub allowed_top_origins: Vec<String>,
    /// What a signature counter that went backwards does.
    pub counter_regression: CounterRegression,
    /// What attestation trust does to a registration.
    pub attestation_mode: AttestationMode,
    /// Janssen's `disableMetadataService`: load no metadata at all (trust then comes from
    /// `authenticatorCertsFolder` alone).
    pub disable_metadata_service: bool,
    /// Metadata services whose BLOB is fetched through the outbound client, again at each
    /// BLOB's `nextUpdate`. None by default: `jans` makes no request nobody configured.
    pub metadata_servers: Vec<MetadataServer>,
    /// Seconds before a failed metadata fetch is tried again.
    pub metadata_refresh_interval: u64,
    /// A folder of metadata BLOBs (JWT files, as downloaded from a metadata service).
    pub mds_tocs_folder: Option<String>,
    /// A folder of the roots BLOB signing chains must reach (PEM or DER), and of CRLs
    /// (`.crl`, PEM or DER). Without roots, the FIDO Alliance's MDS3 root (GlobalSign Root
    /// CA - R3) is the one root.
    pub mds_certs_folder: Option<String>,
    /// A folder of metadata statements (JSON), for authenticators not in any BLOB.
    pub server_metadata_folder: Option<String>,
    /// A folder of attestation roots (PEM or DER) trusted for every authenticator.
    pub authenticator_certs_folder: Option<String>,
}

impl Default for Fido2Configuration {
    fn default() -> Self {
        Fido2Configuration {
            rp: Vec::new(),
            unfinished_request_expiration: 180,
            enabled_fido_algorithms: vec![
                Algorithm::ES256,
                Algorithm::EdDSA,
                Algorithm::ES384,
                Algorithm::ES512,
                Algorithm::PS256,
                Algorithm::RS256,
            ],
            hints: Vec::new(),
            allowed_top_origins: Vec::new(),
            counter_regression: CounterRegression::Reject,
            attestation_mode: AttestationMode::Monitor,
            disable_metadata_service: false,
            metadata_servers: Vec::new(),
            metadata_refresh_interval: 3600,
            mds_tocs_folder: None,
            mds_certs_folder: None,
            server_metadata_folder: None,
            authenticator_certs_folder: None,
        }
    }
}

/// Algorithms a credential may use (§5.8.3 `pubKeyCredParams`; RFC 8812 §2).
pub const FIDO_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// Longest ceremony lifetime accepted (an hour).
const MAX_UNFINISHED: u64 = 3600;

/// The host of `origin` when it is an origin (`scheme://host[:port]`, nothing more).
pub fn origin_host(origin: &str) -> Option<String> {
    let u = url::Url::parse(origin).ok()?;
    let o = u.origin();
    if !o.is_tuple() || o.ascii_serialization() != origin {
        return None;
    }
    u.host_str().map(str::to_owned)
}

/// Whether `host` may use the RP ID `rp_id`: it is the RP ID or a subdomain of it (§5.1.2;
/// HTML's "is a registrable domain suffix of or is equal to").
pub fn host_fits_rp_id(host: &str, rp_id: &str) -> bool {
    host == rp_id
        || host
            .strip_suffix(rp_id)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
}

impl Fido2Configuration {
    /// The relying parties in force: those configured, or the one made from `issuer`.
    pub fn relying_parties(&self, issuer: &str) -> Vec<RelyingParty> {
        if !self.rp.is_empty() {
            return self.rp.clone();
        }
        let origin = url::Url::parse(issuer)
            .ok()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        let id = origin_host(&origin).unwrap_or_default();
        vec![RelyingParty {
            id,
            origins: vec![origin],
        }]
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("fido2Configuration.{k}");
        if self.unfinished_request_expiration == 0
            || self.unfinished_request_expiration > MAX_UNFINISHED
        {
            return Err(ConfigError::new(
                &key("unfinishedRequestExpiration"),
                format!("must be between 1 and {MAX_UNFINISHED} seconds"),
            ));
        }
        if self.enabled_fido_algorithms.is_empty() {
            return Err(ConfigError::new(
                &key("enabledFidoAlgorithms"),
                "must list at least one algorithm",
            ));
        }
        if let Some(a) = self
            .enabled_fido_algorithms
            .iter()
            .find(|a| !FIDO_ALGORITHMS.contains(a))
        {
            return Err(ConfigError::new(
                &key("enabledFidoAlgorithms"),
                format!(
                    "{a} is not a credential algorithm (use ES256, ES384, ES512, EdDSA, RS256 or PS256)"
                ),
            ));
        }
        for (i, rp) in self.rp.iter().enumerate() {
            let at = key(&format!("rp[{i}]"));
            let domain_ok = !rp.id.is_empty()
                && rp.id.len() <= 253
                && url::Host::parse(&rp.id).is_ok_and(|h| matches!(h, url::Host::Domain(_)))
                && rp.id == rp.id.to_ascii_lowercase();
            if !domain_ok {
                return Err(ConfigError::new(
                    &format!("{at}.id"),
                    format!("{:?} is not a lowercase domain", rp.id),
                ));
            }
            if rp.origins.is_empty() {
                return Err(ConfigError::new(
                    &format!("{at}.origins"),
                    "must list at least one origin",
                ));
            }
            for o in &rp.origins {
                match origin_host(o) {
                    Some(h) if host_fits_rp_id(&h, &rp.id) => {}
                    Some(_) => {
                        return Err(ConfigError::new(
                            &format!("{at}.origins"),
                            format!("{o}: its host is neither {} nor a subdomain of it", rp.id),
                        ));
                    }
                    None => {
                        return Err(ConfigError::new(
                            &format!("{at}.origins"),
                            format!("{o:?} is not an origin (scheme://host[:port])"),
                        ));
                    }
                }
            }
        }
        if self.metadata_refresh_interval == 0 {
            return Err(ConfigError::new(
                &key("metadataRefreshInterval"),
                "must be at least 1 second",
            ));
        }
        for (i, m) in self.metadata_servers.iter().enumerate() {
            let ok = url::Url::parse(&m.url)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !ok {
                return Err(ConfigError::new(
                    &key(&format!("metadataServers[{i}].url")),
                    format!("{:?} is not an http(s) URL", m.url),
                ));
            }
        }
        for o in &self.allowed_top_origins {
            if origin_host(o).is_none() {
                return Err(ConfigError::new(
                    &key("allowedTopOrigins"),
                    format!("{o:?} is not an origin (scheme://host[:port])"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_relying_party_comes_from_the_issuer() {
        let c = Fido2Configuration::default();
        assert_eq!(
            c.relying_parties("http://localhost:8080"),
            vec![RelyingParty {
                id: "localhost".into(),
                origins: vec!["http://localhost:8080".into()]
            }]
        );
        assert_eq!(
            c.relying_parties("https://id.example.com/")[0].origins,
            vec!["https://id.example.com".to_owned()]
        );
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rp_id_suffix_rule() {
        assert!(host_fits_rp_id("example.com", "example.com"));
        assert!(host_fits_rp_id("login.example.com", "example.com"));
        assert!(!host_fits_rp_id("badexample.com", "example.com"));
        assert!(!host_fits_rp_id(".example.com", "example.com"));
        assert!(!host_fits_rp_id("example.com", "login.example.com"));
    }

    #[test]
    fn refused_configurations() {
        let rp = |id: &str, origins: &[&str]| Fido2Configuration {
            rp: vec![RelyingParty {
                id: id.into(),
                origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            }],
            ..Fido2Configuration::default()
        };
        for (bad, field) in [
            (rp("example.com", &["https://evil.com"]), "rp[0].origins"),
            (
                rp("example.com", &["https://example.com/path"]),
                "rp[0].origins",
            ),
            (rp("Example.com", &["https://example.com"]), "rp[0].id"),
            (rp("10.0.0.1", &["https://10.0.0.1"]), "rp[0].id"),
            (rp("example.com", &[]), "rp[0].origins"),
            (
                Fido2Configuration {
                    unfinished_request_expiration: 0,
                    ..Fido2Configuration::default()
                },
                "unfinishedRequestExpiration",
            ),
            (
                Fido2Configuration {
                    enabled_fido_algorithms: vec![Algorithm::HS256],
                    ..Fido2Configuration::default()
                },
                "enabledFidoAlgorithms",
            ),
        ] {
            let e = bad.validate().expect_err(field);
            assert_eq!(e.key, format!("fido2Configuration.{field}"), "{e}");
        }
        assert!(
            rp(
                "example.com",
                &["https://login.example.com", "https://example.com:8443"]
            )
            .validate()
            .is_ok()
        );
    }
}
