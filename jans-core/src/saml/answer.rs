//! What the IdP posts back to an SP: the signed `Response` for a person signed in (their
//! `NameID` in the SP's format, the authentication context from the ACR, the attributes
//! the trust relationship releases), or a `Response` with an error status.

use super::response::{self, Assertion, Released, Signing, status};
use super::sso::PendingSignOn;
use super::{SamlServer, name_id};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::jose::Algorithm;
use crate::repo::attribute::Attribute;
use crate::repo::saml::TrustRelationship;
use crate::repo::user::{User, UserStatus};
use crate::response::{Body, Response};

/// The SAML names (the `urn:oid:` of the LDAP attribute, as Janssen's `saml2Uri`s and the
/// eduPerson/SAML2 attribute profiles write them) of the server's own attributes that have one, for an
/// attribute whose `saml2Uri` is unset; any other goes out under its name.
const OID_NAMES: [(&str, &str); 6] = [
    ("uid", "urn:oid:0.9.2342.19200300.100.1.1"),
    ("mail", "urn:oid:0.9.2342.19200300.100.1.3"),
    ("givenName", "urn:oid:2.5.4.42"),
    ("sn", "urn:oid:2.5.4.4"),
    ("displayName", "urn:oid:2.16.840.1.113730.3.1.241"),
    ("telephoneNumber", "urn:oid:2.5.4.20"),
];

/// The SAML name of the attribute `a`.
fn saml_name(a: &Attribute) -> String {
    a.saml2_uri.clone().unwrap_or_else(|| {
        OID_NAMES
            .iter()
            .find(|(n, _)| *n == a.name)
            .map_or_else(|| a.name.clone(), |(_, oid)| (*oid).to_owned())
    })
}

/// The released attribute `a`'s values for `user`: the user's member named like the
/// attribute or its claim (the users repository keeps claims by name).
fn values_of(user: &serde_json::Value, a: &Attribute) -> Vec<String> {
    let v = user
        .get(&a.name)
        .or_else(|| a.claim_name.as_deref().and_then(|c| user.get(c)));
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(one) => text(one).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Whether the released-attribute entry `r` (Janssen's DN `inum=…,ou=attributes,o=jans`,
/// an inum, or a name) is the attribute `a`.
fn names(r: &str, a: &Attribute) -> bool {
    let inum = r
        .strip_prefix("inum=")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or(r);
    inum == a.inum || r == a.name
}

impl SamlServer {
    /// The key the relationship's responses are signed with (its `signatureAlgorithm`, else
    /// the first XML-DSig algorithm the key ring has an active key for), and its
    /// certificate.
    pub(crate) fn signing(
        &self,
        sp: &TrustRelationship,
    ) -> Result<(std::sync::Arc<crate::keys::Signer>, Option<Vec<u8>>), Error> {
        let wanted = match sp.signature_algorithm.as_str() {
            "ES256" => Algorithm::ES256,
            _ => Algorithm::RS256,
        };
        let ring = self.services.keys().ring();
        let signer = [
            wanted,
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::ES384,
            Algorithm::ES512,
        ]
        .into_iter()
        .find_map(|alg| ring.signer(alg))
        .cloned()
        .ok_or_else(|| Error::Internal("no RSA or ECDSA key to sign SAML messages".into()))?;
        let cert = ring.certificate(&signer.kid).map(<[u8]>::to_vec);
        Ok((signer, cert))
    }

    /// A `Response` with error status `codes` posted to `acs`.
    pub(crate) fn answer_failure(
        &self,
        sp: &TrustRelationship,
        acs: &str,
        in_response_to: Option<&str>,
        codes: (&str, Option<&str>),
        relay_state: Option<String>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let (signer, cert) = self.signing(sp)?;
        let signing = Signing {
            key: signer.key.as_ref(),
            certificate: cert.as_deref(),
            assertion: false,
            response: true,
        };
        let xml = response::failure(
            &self.entity_id(),
            acs,
            in_response_to,
            codes,
            Some(&signing),
            ctx.now,
            ctx.rng.as_ref(),
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(post(acs, &xml, relay_state))
    }

    /// The `NameID` of `user` for `sp` in `format` (Core §8.3); `None` when the person has
    /// none (no email address for `emailAddress`).
    fn name_id(
        &self,
        sp: &TrustRelationship,
        user: &User,
        format: &str,
        ctx: &Ctx,
    ) -> Option<String> {
        match format {
            name_id::PERSISTENT => {
                // Pairwise: an HMAC of the SP and the person, stable and unlinkable
                // across SPs (Core §8.3.7).
                let mac = super::mac(
                    &self.persistent_key,
                    &[sp.sp_metadata.entity_id.as_bytes(), user.inum.as_bytes()],
                )?;
                Some(crate::b64::encode(&mac))
            }
            name_id::TRANSIENT => Some(response::new_id(ctx.rng.as_ref())),
            name_id::EMAIL => user.mail.clone(),
            _ => Some(user.uid.clone()),
        }
    }

    /// The signed `Response` for the person the ID token `claims` names.
    pub(crate) async fn answer_success(
        &self,
        sp: &TrustRelationship,
        pending: &PendingSignOn,
        id_token: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let fail = |codes| {
            self.answer_failure(
                sp,
                &pending.acs,
                pending.request_id.as_deref(),
                codes,
                pending.relay_state.clone(),
                ctx,
            )
        };
        let claim = |n: &str| claims.get(n).and_then(|v| v.as_str());
        let user = match claim("sub") {
            Some(sub) => self.services.stores().users.get(sub).await?,
            None => None,
        };
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
            return fail((status::RESPONDER, Some(status::AUTHN_FAILED)));
        };
        // Core §3.4.1: a sign-in that does not meet the requested context is not stated.
        let Some(context) = pending
            .authn_context
            .met_by(claim("acr").unwrap_or_default())
        else {
            return fail((status::RESPONDER, Some(status::NO_AUTHN_CONTEXT)));
        };
        let Some(name_id) = self.name_id(sp, &user, &pending.name_id_format, ctx) else {
            return fail((status::REQUESTER, Some(status::INVALID_NAMEID_POLICY)));
        };
        let public = user.to_public_json();
        let released: Vec<Released> = self
            .services
            .stores()
            .attributes
            .list()
            .await?
            .iter()
            .filter(|a| sp.released_attributes.iter().any(|r| names(r, a)))
            .map(|a| Released {
                name: saml_name(a),
                friendly_name: a.name.clone(),
                values: values_of(&public, a),
            })
            .filter(|r| !r.values.is_empty())
            .collect();
        let entity_id = self.entity_id();
        // The session's `sid` sealed for this SP (Core §2.7.2: no correlation across SPs).
        let session_index = claim("sid")
            .and_then(|sid| self.session_index(sid, &sp.inum))
            .unwrap_or_else(|| response::new_id(ctx.rng.as_ref()));
        let assertion = Assertion {
            issuer: &entity_id,
            audience: &sp.sp_metadata.entity_id,
            recipient: &pending.acs,
            in_response_to: pending.request_id.as_deref(),
            name_id: (&name_id, &pending.name_id_format),
            authn_instant: claims
                .get("auth_time")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(ctx.now),
            session_index: &session_index,
            authn_context: &context,
            attributes: &released,
        };
        let (signer, cert) = self.signing(sp)?;
        let signing = Signing {
            key: signer.key.as_ref(),
            certificate: cert.as_deref(),
            // Assertions are signed unless the SP gets signed responses instead.
            assertion: sp.sign_assertions
                || sp.sp_metadata.want_assertions_signed
                || !sp.sign_responses,
            response: sp.sign_responses,
        };
        // Encrypted to an SP that published an encryption key, unless its relationship says
        // otherwise (Metadata §2.4.1.1).
        let recipient = sp
            .encrypt_assertions
            .then(|| super::metadata::encryption_key(&sp.sp_metadata))
            .flatten();
        let provider = self.services.provider();
        let encrypt_to = recipient.as_ref().map(|key| response::EncryptTo {
            key,
            provider: provider.as_ref(),
        });
        let xml = response::success(&assertion, &signing, encrypt_to, ctx.now, ctx.rng.as_ref())
            .map_err(|e| Error::Internal(e.to_string()))?;
        // The SP joins the browser session, for Single Logout (`slo`).
        if let Some(sid) = claim("sid") {
            let participant = super::slo::Participant {
                sp: sp.inum.clone(),
                name_id: name_id.clone(),
                name_id_format: pending.name_id_format.clone(),
                id_token: id_token.to_owned(),
            };
            self.join(sid, &user.inum, participant, ctx).await?;
        }
        tracing::info!(sp = %sp.inum, user = %user.inum, "SAML assertion issued");
        Ok(post(&pending.acs, &xml, pending.relay_state.clone()))
    }
}

/// The HTTP-POST binding's self-submitting form (Bindings §3.5.4).
fn post(acs: &str, xml: &str, relay_state: Option<String>) -> Response {
    let mut params = vec![(
        "SAMLResponse".to_owned(),
        crate::b64::encode_std(xml.as_bytes()),
    )];
    if let Some(r) = relay_state {
        params.push(("RelayState".to_owned(), r));
    }
    Response::with_body(Body::FormPost {
        action: acs.to_owned(),
        params,
    })
}
