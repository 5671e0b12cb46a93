//! Which relying party a ceremony is for (WebAuthn Level 3 §5.1.2 "RP ID"): the configured
//! `rp` entries, chosen by the origin the caller names (`documentDomain`), or the only one.

use crate::config::Config;
use crate::config::fido2::RelyingParty;
use crate::error::webauthn::{Fido2Error, Fido2ErrorCode};

/// The RP of a ceremony and the origins its result may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The RP ID.
    pub id: String,
    /// A name to show (the RP ID: Janssen sends its domain as `rp.name`).
    pub name: String,
    /// The origins accepted in clientDataJSON: the one named, or all of the RP's.
    pub origins: Vec<String>,
}

/// The relying party for `document_domain` (an origin) under `config`.
pub fn resolve(config: &Config, document_domain: Option<&str>) -> Result<Resolved, Fido2Error> {
    let rps = config.fido2_configuration.relying_parties(&config.issuer);
    let pick = |rp: &RelyingParty, origins: Vec<String>| Resolved {
        id: rp.id.clone(),
        name: rp.id.clone(),
        origins,
    };
    match document_domain.map(|d| d.trim_end_matches('/')) {
        Some(origin) => rps
            .iter()
            .find(|rp| rp.origins.iter().any(|o| o == origin))
            .map(|rp| pick(rp, vec![origin.to_owned()]))
            .ok_or_else(|| {
                Fido2Error::new(
                    Fido2ErrorCode::InvalidOrigin,
                    format!(
                        "documentDomain {:?} is not an origin of a relying party",
                        origin.chars().take(256).collect::<String>()
                    ),
                )
            }),
        None => match rps.as_slice() {
            [rp] => Ok(pick(rp, rp.origins.clone())),
            _ => Err(Fido2Error::invalid_request(
                "documentDomain is required: several relying parties are configured",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        let mut c = Config::default();
        let r = resolve(&c, None).unwrap();
        assert_eq!(r.id, "localhost");
        assert_eq!(r.origins, vec!["http://localhost:8080".to_owned()]);
        assert_eq!(
            resolve(&c, Some("http://localhost:8080/")).unwrap().origins,
            vec!["http://localhost:8080".to_owned()]
        );
        let e = resolve(&c, Some("https://evil.example")).unwrap_err();
        assert_eq!(e.code, Fido2ErrorCode::InvalidOrigin);

        c.fido2_configuration.rp = vec![
            RelyingParty {
                id: "a.example".into(),
                origins: vec!["https://a.example".into(), "https://login.a.example".into()],
            },
            RelyingParty {
                id: "b.example".into(),
                origins: vec!["https://b.example".into()],
            },
        ];
        assert_eq!(
            resolve(&c, None).unwrap_err().code,
            Fido2ErrorCode::InvalidRequest
        );
        let r = resolve(&c, Some("https://login.a.example")).unwrap();
        assert_eq!(r.id, "a.example");
        assert_eq!(r.origins, vec!["https://login.a.example".to_owned()]);
        assert_eq!(
            resolve(&c, Some("https://b.example")).unwrap().id,
            "b.example"
        );
    }
}
