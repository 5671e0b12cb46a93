//! Building an [`Engine`]: configuration, stores, crypto provider, master key, outbound HTTP
//! and the password-hashing pool, validated once.

use std::sync::Arc;

use crate::auth::AuthServer;
use crate::config::Config;
use crate::crypto::CryptoProvider;
use crate::error::Error;
use crate::keys::SecretBox;
use crate::outbound::{HttpClient, NoHttpClient};
use crate::password::pool::Hasher;
use crate::repo::Stores;
use crate::services::{Parts, Services, Wake, derive_key};

use super::{Engine, Inner};

/// Builds an [`Engine`].
pub struct EngineBuilder {
    config: Config,
    stores: Option<Stores>,
    provider: Option<Arc<dyn CryptoProvider>>,
    master_key: Option<[u8; 32]>,
    http: Option<Arc<dyn HttpClient>>,
    hasher: Option<Hasher>,
    wake: Option<Wake>,
    countries: Option<Arc<crate::geo::IpCountries>>,
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("issuer", &self.config.issuer)
            .field("stores", &self.stores)
            .field("wake", &self.wake.is_some())
            .finish_non_exhaustive()
    }
}

impl EngineBuilder {
    pub(super) fn new(config: Config) -> EngineBuilder {
        EngineBuilder {
            config,
            stores: None,
            provider: None,
            master_key: None,
            http: None,
            hasher: None,
            wake: None,
            countries: None,
        }
    }

    /// Call `wake` whenever the engine queues work for the host's background loop (a
    /// back-channel logout delivery), so the host runs [`Engine::deliver_logouts`] at once
    /// rather than at its next periodic pass. It must return quickly (signal, not work).
    pub fn on_background_work(mut self, wake: Wake) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Hash passwords on this pool (default: one worker per core, started on first use;
    /// each worker keeps one 19 MiB argon2 block).
    pub fn hasher(mut self, hasher: Hasher) -> Self {
        self.hasher = Some(hasher);
        self
    }

    /// Use these stores (default: in memory).
    pub fn stores(mut self, stores: Stores) -> Self {
        self.stores = Some(stores);
        self
    }

    /// Use this crypto provider (default: [`crate::crypto::default_provider`]).
    pub fn provider(mut self, provider: Arc<dyn CryptoProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// The 256-bit master key that seals client secrets and private keys at rest. Required.
    pub fn master_key(mut self, key: [u8; 32]) -> Self {
        self.master_key = Some(key);
        self
    }

    /// Outbound HTTP for `jwks_uri` (default: none; fetches fail).
    pub fn http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Where sign-ins come from, by country (Casa's "unknown location" policy): the
    /// table the host read from its IP-to-country file (default: none, no location known).
    pub fn ip_countries(mut self, table: Arc<crate::geo::IpCountries>) -> Self {
        self.countries = Some(table);
        self
    }

    /// Validate the configuration and build. Keys are not loaded yet: call
    /// [`Engine::start`] before serving.
    pub fn build(self) -> Result<Engine, Error> {
        self.config.validate()?;
        let master = self
            .master_key
            .ok_or_else(|| Error::Internal("a master key is required".to_owned()))?;
        let services = Arc::new(Services::new(Parts {
            config: self.config,
            stores: self.stores.unwrap_or_else(Stores::memory),
            provider: self
                .provider
                .unwrap_or_else(crate::crypto::default_provider),
            secret_box: SecretBox::new(&master),
            http: self.http.unwrap_or_else(|| Arc::new(NoHttpClient)),
            hasher: self.hasher.unwrap_or_else(Hasher::per_core),
            wake: self.wake,
            countries: self.countries,
        }));
        let auth = Arc::new(AuthServer::new(
            services.clone(),
            derive_key(&master, b"jans-rs pairwise subject key"),
        ));
        let tokens: Arc<dyn crate::services::BearerTokens> = auth.clone();
        services.install_bearer_tokens(Arc::downgrade(&tokens));
        let sign_in: Arc<dyn crate::services::SignIn> = auth.clone();
        services.install_sign_in(Arc::downgrade(&sign_in));
        let registry: Arc<dyn crate::services::ClientRegistry> = auth.clone();
        services.install_client_registry(Arc::downgrade(&registry));
        let fido2 = Arc::new(crate::fido2::Fido2Server::new(services.clone()));
        let ceremonies: Arc<dyn crate::services::KeyCeremonies> = fido2.clone();
        services.install_key_ceremonies(Arc::downgrade(&ceremonies));
        let scim = crate::scim::ScimServer::new(services.clone());
        let admin = crate::admin::AdminServer::new(services.clone());
        let casa = crate::casa::CasaServer::new(services.clone());
        let saml = Arc::new(crate::saml::SamlServer::new(
            services.clone(),
            derive_key(&master, b"jans-rs SAML persistent NameID"),
        ));
        let saml_sessions: Arc<dyn crate::services::SessionEnded> = saml.clone();
        services.install_session_listener(Arc::downgrade(&saml_sessions));
        let uma = Arc::new(crate::uma::UmaServer::new(services.clone()));
        let uma_grant: Arc<dyn crate::services::TokenGrant> = uma.clone();
        services.install_token_grant(crate::config::UMA_TICKET_GRANT, Arc::downgrade(&uma_grant));
        Ok(Engine {
            inner: Arc::new(Inner {
                services,
                auth,
                fido2,
                scim,
                admin,
                uma,
                casa,
                saml,
                master_key_check: crate::b64::encode(
                    derive_key(&master, b"jans-rs master key check value")
                        .get(..16)
                        .unwrap_or_default(),
                ),
            }),
        })
    }
}
