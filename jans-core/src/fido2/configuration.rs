//! The FIDO2 discovery document, served at `/jans-fido2/restv1/configuration` and
//! `/.well-known/fido2-configuration` as Janssen's `ConfigurationController` builds it:
//! `version`, `issuer`, and per ceremony its `base_path`, `options_endpoint` and
//! `result_endpoint`.

use serde_json::{Value, json};

use super::paths::FIDO2_PREFIX;
use crate::config::Config;

/// The document for `config`.
pub fn document(config: &Config) -> Value {
    let base = config.endpoint_url(FIDO2_PREFIX);
    let ceremony = |name: &str| {
        json!({
            "base_path": format!("{base}/{name}"),
            "options_endpoint": format!("{base}/{name}/options"),
            "result_endpoint": format!("{base}/{name}/result"),
        })
    };
    json!({
        "version": "1.1",
        "issuer": config.issuer,
        "attestation": ceremony("attestation"),
        "assertion": ceremony("assertion"),
    })
}

/// The U2F discovery document (Janssen's `U2fConfiguration`, version 2.1).
pub fn u2f_document(config: &Config) -> Value {
    let base = config.endpoint_url(FIDO2_PREFIX);
    json!({
        "version": "2.1",
        "issuer": config.issuer,
        "registration_endpoint": format!("{base}/fido/u2f/registration"),
        "authentication_endpoint": format!("{base}/fido/u2f/authentication"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn janssen_shape() {
        let d = document(&Config::default());
        assert_eq!(d["version"], "1.1");
        assert_eq!(d["issuer"], "http://localhost:8080");
        assert_eq!(
            d["attestation"]["options_endpoint"],
            "http://localhost:8080/jans-fido2/restv1/attestation/options"
        );
        assert_eq!(
            d["assertion"]["result_endpoint"],
            "http://localhost:8080/jans-fido2/restv1/assertion/result"
        );
        assert_eq!(
            d["assertion"]["base_path"],
            "http://localhost:8080/jans-fido2/restv1/assertion"
        );
        let u = u2f_document(&Config::default());
        assert_eq!(u["version"], "2.1");
        assert_eq!(
            u["registration_endpoint"],
            "http://localhost:8080/jans-fido2/restv1/fido/u2f/registration"
        );
        assert_eq!(
            u["authentication_endpoint"],
            "http://localhost:8080/jans-fido2/restv1/fido/u2f/authentication"
        );
    }
}
