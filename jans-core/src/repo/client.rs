//! The client model as stored: RFC 7591 §2 metadata names plus Janssen's extensions
//! (`access_token_as_jwt`, `access_token_signing_alg`, `access_token_lifetime`). Its
//! validation (RFC 7591 rules) is the auth-server's: [`crate::auth::oauth::client`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::jose::jwe::{Enc, KeyAlg};
use crate::jose::{Algorithm, Jwks};
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// RFC 7591 §2 `token_endpoint_auth_method`, plus OIDC Core §9 methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// RFC 6749 §2.3.1, HTTP Basic. The RFC 7591 default.
    #[default]
    ClientSecretBasic,
    /// RFC 6749 §2.3.1, secret in the form body.
    ClientSecretPost,
    /// OIDC Core §9: HMAC JWT assertion keyed by the client secret (RFC 7523).
    ClientSecretJwt,
    /// OIDC Core §9: JWT assertion signed with the client's private key (RFC 7523).
    PrivateKeyJwt,
    /// A public client: no authentication.
    None,
    /// RFC 8705 §2.1: mutual TLS with a certificate from a trusted CA whose subject DN or
    /// alternative name is the registered one.
    TlsClientAuth,
    /// RFC 8705 §2.2: mutual TLS with a (self-signed) certificate the client registered in
    /// its `jwks` or `jwks_uri` (`x5c`).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// Every method we implement, as advertised in discovery.
    pub const ALL: [AuthMethod; 7] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretJwt,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::None,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Whether the method is mutual TLS (RFC 8705 §2).
    pub fn is_mtls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }

    /// Whether the method needs a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt
        )
    }
}

/// Client metadata as registered (RFC 7591 §2; Janssen extensions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ClientMetadata {
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
    /// RFC 7591 §2
    pub token_endpoint_auth_method: AuthMethod,
    /// OIDC DCR §2: the JWS alg the client's assertions must use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<Algorithm>,
    /// RFC 7591 §2
    pub grant_types: Vec<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_types: Vec<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// RFC 7591 §2: space-separated scopes the client may request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    /// RFC 7591 §2: the client's key set by reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 7591 §2: the client's key set by value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Jwks>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// RFC 7591 §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// OIDC DCR §2: `web` or `native`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// Janssen: issue RFC 9068 JWT access tokens instead of reference tokens.
    pub access_token_as_jwt: bool,
    /// RFC 9126 §6: this client's authorization requests must be pushed first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    /// RFC 9396 §10: the `authorization_details` types this client may ask for (empty: any
    /// the server supports).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_details_types: Vec<String>,
    /// RFC 9449 §5.2: every token request of this client must carry a DPoP proof, and its
    /// access tokens are always DPoP-bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dpop_bound_access_tokens: bool,
    /// RFC 8705 §2.1.2: the subject DN (RFC 4514) of a `tls_client_auth` client's
    /// certificate; exactly one of this and the four `tls_client_auth_san_*` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_subject_dn: Option<String>,
    /// RFC 8705 §2.1.2: a dNSName the certificate carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_dns: Option<String>,
    /// RFC 8705 §2.1.2: a uniformResourceIdentifier the certificate carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_uri: Option<String>,
    /// RFC 8705 §2.1.2: an iPAddress the certificate carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_ip: Option<String>,
    /// RFC 8705 §2.1.2: an rfc822Name the certificate carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_email: Option<String>,
    /// RFC 8705 §3.4: this client's access tokens are bound to the certificate of the
    /// mutual-TLS connection they were requested on (`cnf.x5t#S256`), and token requests
    /// without one are refused.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_client_certificate_bound_access_tokens: bool,
    /// UMA 2.0 Grant §3.3.2: where claims gathering may send the browser back (Janssen's
    /// `claims_redirect_uri`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims_redirect_uri: Vec<String>,
    /// Janssen: issue this client's UMA requesting party tokens (RPTs) as signed JWTs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rpt_as_jwt: bool,
    /// Janssen: the JWS alg of this client's JWT access tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_signing_alg: Option<Algorithm>,
    /// Janssen: access token lifetime override in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<u64>,
    /// RFC 9701 §6: sign introspection responses with this alg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_signed_response_alg: Option<Algorithm>,
    /// OIDC DCR §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<Algorithm>,
    /// OIDC Front-Channel Logout 1.0 §2: rendered in an iframe at logout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    /// OIDC Front-Channel Logout 1.0 §2: add `iss` and `sid` to the iframe URL.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub frontchannel_logout_session_required: bool,
    /// OIDC Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// OIDC Back-Channel Logout 1.0 §2.2: the logout token must carry `sid`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub backchannel_logout_session_required: bool,
    /// OIDC RP-Initiated Logout 1.0 §3.1: where the OP may send the browser after logout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// OIDC DCR §2: `public` (default) or `pairwise` subject identifiers (OIDC Core §8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_type: Option<String>,
    /// OIDC DCR §2 / §5: a document listing every redirect URI of the sector (pairwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// OIDC DCR §2: sign userinfo responses with this alg (plain JSON when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<Algorithm>,
    /// OIDC DCR §2: encrypt ID tokens with this JWE `alg` (signed, then encrypted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<KeyAlg>,
    /// OIDC DCR §2: ... and this `enc` (`A128CBC-HS256` when only the `alg` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<Enc>,
    /// OIDC DCR §2: encrypt userinfo responses with this JWE `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<KeyAlg>,
    /// OIDC DCR §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<Enc>,
    /// RFC 9701 §6: encrypt JWT introspection responses with this JWE `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_alg: Option<KeyAlg>,
    /// RFC 9701 §6
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_enc: Option<Enc>,
    /// JARM §3: sign authorization responses (`response_mode=*.jwt`) with this alg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_signed_response_alg: Option<Algorithm>,
    /// JARM §3: encrypt authorization responses with this JWE `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_alg: Option<KeyAlg>,
    /// JARM §3
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_enc: Option<Enc>,
    /// OIDC DCR §2 / RFC 9101 §10.5: the only JWS `alg` this client's request objects may
    /// be signed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<Algorithm>,
    /// OIDC DCR §2: the `request_uri` values this client may send (a fragment is ignored
    /// when matching).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_uris: Vec<String>,
    /// OIDC DCR §2 / RFC 9101 §4: the JWE `alg` this client encrypts request objects with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_alg: Option<KeyAlg>,
    /// OIDC DCR §2
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_enc: Option<Enc>,
    /// OpenID CIBA Core §4: `poll`, `ping` or `push`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_token_delivery_mode: Option<String>,
    /// OpenID CIBA Core §4: where pings and pushes are POSTed (https).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_client_notification_endpoint: Option<String>,
    /// OpenID CIBA Core §4: this client's requests carry the person's `user_code`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub backchannel_user_code_parameter: bool,
    /// OpenID CIBA Core §4: the only JWS `alg` this client's signed authentication requests
    /// may use (§7.1.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_authentication_request_signing_alg: Option<Algorithm>,
    /// Require PKCE even though the client is confidential.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_pkce: bool,
    /// Janssen `trustedClient`: consent is never asked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trusted_client: bool,
}

impl ClientMetadata {
    /// The registered scopes as a list.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }
}

/// A registered client as stored. The secret is sealed (AES-256-GCM) and never serialized
/// in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// RFC 7591 §3.2.1
    pub client_id: String,
    /// The sealed secret (see [`crate::keys::SecretBox`]); `None` when the method needs none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_sealed: Option<String>,
    /// RFC 7591 §3.2.1
    pub client_id_issued_at: u64,
    /// RFC 7591 §3.2.1: 0 means the secret does not expire.
    pub client_secret_expires_at: u64,
    /// A disabled client cannot authenticate.
    #[serde(default)]
    pub disabled: bool,
    /// SHA-256 (base64url) of the RFC 7592 registration access token, for dynamically
    /// registered clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_access_token_hash: Option<String>,
    /// Janssen's `description`: what the client is, for administrators (the config API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The registered metadata.
    #[serde(flatten)]
    pub metadata: ClientMetadata,
}

impl Client {
    /// The public view (RFC 7591 §3.2.1) without any secret.
    pub fn to_public_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.metadata)
            .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()));
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("client_id".into(), self.client_id.clone().into());
            m.insert(
                "client_id_issued_at".into(),
                self.client_id_issued_at.into(),
            );
            if self.client_secret_sealed.is_some() {
                m.insert(
                    "client_secret_expires_at".into(),
                    self.client_secret_expires_at.into(),
                );
            }
            if self.disabled {
                m.insert("disabled".into(), true.into());
            }
        }
        v
    }
}

/// Registered clients: the collection `clients`, by `client_id`.
#[derive(Clone, Debug)]
pub struct Clients(Collection<Client>);

impl Clients {
    /// The collection's name.
    pub const COLLECTION: &'static str = "clients";

    /// The clients kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Clients {
        Clients(Collection::new(store, Self::COLLECTION))
    }

    /// Store a new client; `Conflict` if the id exists. Durable when it returns.
    pub async fn insert(&self, client: &Client) -> Result<(), StoreError> {
        self.0
            .insert(&client.client_id, client, &[])
            .await
            .map(drop)
    }

    /// The client with this id.
    pub async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        self.0.get(client_id).await
    }

    /// The client with this id and its revision as stored now (for [`Clients::update_at`]:
    /// [`Collection::get_fresh`]).
    pub async fn get_revision(&self, client_id: &str) -> Result<Option<(u64, Client)>, StoreError> {
        self.0.get_fresh(client_id).await
    }

    /// Replace the client only if it is still at `revision`: `Conflict` when another write
    /// came first, `NotFound` when it was deleted. Durable when it returns.
    pub async fn update_at(&self, client: &Client, revision: u64) -> Result<(), StoreError> {
        self.0
            .replace(&client.client_id, client, &[], Some(revision))
            .await
            .map(drop)
    }

    /// Delete the client only if it is still at `revision`; `false` if it did not exist.
    pub async fn delete_at(&self, client_id: &str, revision: u64) -> Result<bool, StoreError> {
        self.0.delete_at(client_id, revision).await
    }

    /// Replace an existing client; `NotFound` if absent. Durable when it returns.
    pub async fn update(&self, client: &Client) -> Result<(), StoreError> {
        self.0
            .replace(&client.client_id, client, &[], None)
            .await
            .map(drop)
    }

    /// Delete; `false` if it did not exist. Durable when it returns.
    pub async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        self.0.delete(client_id).await
    }

    /// Every client, ordered by id.
    pub async fn list(&self) -> Result<Vec<Client>, StoreError> {
        self.0.all().await
    }

    /// Every client, ordered by id, shared until the next write where the backend allows
    /// ([`Collection::snapshot`]).
    pub async fn snapshot(&self) -> Result<Arc<Vec<Client>>, StoreError> {
        self.0.snapshot().await
    }
}
