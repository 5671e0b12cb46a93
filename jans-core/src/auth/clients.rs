//! The auth-server's typed operations on clients: registration (the admin path and
//! RFC 7591 dynamic registration), metadata updates (RFC 7592), reads and removal.

use crate::ctx::{Ctx, uuid_from};
use crate::error::Error;
use crate::repo::client::{Client, ClientMetadata};
use crate::services::ClientRegistry;

use super::AuthServer;

/// A newly registered client, with its secret in clear (shown once).
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// The stored client.
    pub client: Client,
    /// The secret, when the auth method uses one.
    pub client_secret: Option<String>,
}

impl RegisteredClient {
    /// RFC 7591 §3.2.1 client information response.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.client.to_public_json();
        if let (Some(s), serde_json::Value::Object(m)) = (&self.client_secret, &mut v) {
            m.insert("client_secret".into(), s.clone().into());
        }
        v
    }
}

/// Additional authenticated data binding a sealed client secret to its client.
pub(crate) fn secret_aad(client_id: &str) -> Vec<u8> {
    format!("jans-client-secret:{client_id}").into_bytes()
}

impl AuthServer {
    /// Register a client from RFC 7591 metadata (the admin path: `jans client add`).
    pub async fn register_client(
        &self,
        mut metadata: ClientMetadata,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        metadata.normalize(&self.config())?;
        self.register_with(metadata, None, ctx).await
    }

    /// Store a client with normalized metadata and, for dynamic registration, the hash of
    /// its registration access token.
    pub(crate) async fn register_with(
        &self,
        metadata: ClientMetadata,
        registration_access_token_hash: Option<String>,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        let (mut client, client_secret) = self.new_client(None, metadata, None, ctx)?;
        client.registration_access_token_hash = registration_access_token_hash;
        self.stores().clients.insert(&client).await?;
        Ok(RegisteredClient {
            client,
            client_secret,
        })
    }

    /// A new client (not stored) with normalized metadata: its id (`client_id`, or a
    /// fresh one), and when its method uses a secret, `secret` or else a fresh one, sealed,
    /// and in clear beside it.
    fn new_client(
        &self,
        client_id: Option<&str>,
        metadata: ClientMetadata,
        secret: Option<&str>,
        ctx: &Ctx,
    ) -> Result<(Client, Option<String>), Error> {
        let mut client = Client {
            // Janssen client ids are UUIDs; ours are 128 random bits in the same shape.
            client_id: client_id
                .map(str::to_owned)
                .unwrap_or_else(|| uuid_from(&ctx.random_bytes(16))),
            client_secret_sealed: None,
            client_id_issued_at: ctx.now,
            client_secret_expires_at: 0,
            disabled: false,
            registration_access_token_hash: None,
            description: None,
            metadata: ClientMetadata::default(),
        };
        let secret = self.set_secret(&mut client, &metadata, secret, ctx)?;
        client.metadata = metadata;
        Ok((client, secret))
    }

    /// Give `client` the secret `metadata`'s method needs: `given`, or the one it has, or a
    /// fresh one (256 random bits, DESIGN.md §6), sealed at rest; none for a method without.
    /// The secret in clear when it is new.
    fn set_secret(
        &self,
        client: &mut Client,
        metadata: &ClientMetadata,
        given: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Option<String>, Error> {
        if !metadata.token_endpoint_auth_method.uses_secret() {
            client.client_secret_sealed = None;
            return Ok(None);
        }
        let fresh = match (given, &client.client_secret_sealed) {
            (Some(s), _) => s.to_owned(),
            (None, Some(_)) => return Ok(None),
            (None, None) => ctx.random_token(32),
        };
        client.client_secret_sealed = Some(self.secret_box().seal(
            fresh.as_bytes(),
            &secret_aad(&client.client_id),
            ctx.rng.as_ref(),
        )?);
        Ok(Some(fresh))
    }

    /// Replace a client's metadata (RFC 7592 §2.2), keeping its id and secret; a client that
    /// moves to a secret-based method gets a new secret, one that leaves it loses its secret.
    pub async fn update_client_metadata(
        &self,
        mut client: Client,
        metadata: ClientMetadata,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        let fresh = self.set_secret(&mut client, &metadata, None, ctx)?;
        // RFC 7592 §2.2: the response carries the client's secret, new or not.
        let secret = match (fresh, &client.client_secret_sealed) {
            (Some(s), _) => Some(s),
            (None, Some(sealed)) => String::from_utf8(
                self.secret_box()
                    .open(sealed, &secret_aad(&client.client_id))?,
            )
            .ok(),
            (None, None) => None,
        };
        client.metadata = metadata;
        self.stores().clients.update(&client).await?;
        Ok(RegisteredClient {
            client,
            client_secret: secret,
        })
    }

    /// A registered client.
    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        Ok(self.stores().clients.get(client_id).await?)
    }

    /// Every registered client.
    pub async fn clients(&self) -> Result<Vec<Client>, Error> {
        Ok(self.stores().clients.list().await?)
    }

    /// Remove a client; `false` if it did not exist. Its tokens stop introspecting as active.
    pub async fn remove_client(&self, client_id: &str) -> Result<bool, Error> {
        Ok(self.stores().clients.delete(client_id).await?)
    }
}

/// The registration rules, served to the config API (DESIGN.md §3: the seam through which
/// it makes clients without importing this component).
impl ClientRegistry for AuthServer {
    fn check(&self, metadata: &mut ClientMetadata) -> Result<(), Error> {
        Ok(metadata.normalize(&self.config())?)
    }

    fn new_client(
        &self,
        client_id: Option<&str>,
        metadata: ClientMetadata,
        secret: Option<&str>,
        ctx: &Ctx,
    ) -> Result<(Client, Option<String>), Error> {
        AuthServer::new_client(self, client_id, metadata, secret, ctx)
    }

    fn revise(
        &self,
        mut client: Client,
        metadata: ClientMetadata,
        secret: Option<&str>,
        ctx: &Ctx,
    ) -> Result<(Client, Option<String>), Error> {
        let fresh = self.set_secret(&mut client, &metadata, secret, ctx)?;
        client.metadata = metadata;
        Ok((client, fresh))
    }
}
