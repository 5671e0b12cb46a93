//! The engine: configuration, stores and keys behind one `handle(Request, &Ctx)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::authn::password;
use crate::authn::user::{User, UserStatus};
use crate::config::Config;
use crate::crypto::CryptoProvider;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::http::{HttpClient, NoHttpClient};
use crate::jose::Jwks;
use crate::keys::rotation::{Change, Policy};
use crate::keys::{KeyManager, SecretBox};
use crate::oauth::client::{Client, ClientMetadata};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::request::{Endpoint, Method, Request};
use crate::response::Response;
use crate::store::{GrantKind, StoreError, Stores};

/// Builds an [`Engine`].
pub struct EngineBuilder {
    config: Config,
    stores: Option<Stores>,
    provider: Option<Arc<dyn CryptoProvider>>,
    master_key: Option<[u8; 32]>,
    http: Option<Arc<dyn HttpClient>>,
    hasher: Option<crate::authn::hasher::Hasher>,
    wake: Option<Wake>,
}

/// A host's callback for [`EngineBuilder::on_background_work`].
pub type Wake = Arc<dyn Fn() + Send + Sync>;

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
    /// Call `wake` whenever the engine queues work for the host's background loop (a
    /// back-channel logout delivery), so the host runs [`Engine::deliver_logouts`] at once
    /// rather than at its next periodic pass. It must return quickly (signal, not work).
    pub fn on_background_work(mut self, wake: Wake) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Hash passwords on this pool (default: one worker per core, started on first use;
    /// each worker keeps one 19 MiB argon2 block).
    pub fn hasher(mut self, hasher: crate::authn::hasher::Hasher) -> Self {
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

    /// Validate the configuration and build. Keys are not loaded yet: call
    /// [`Engine::start`] before serving.
    pub fn build(self) -> Result<Engine, Error> {
        self.config.validate()?;
        let master = self
            .master_key
            .ok_or_else(|| Error::Internal("a master key is required".to_owned()))?;
        let provider = self
            .provider
            .unwrap_or_else(crate::crypto::default_provider);
        let secret_box = SecretBox::new(&master);
        Ok(Engine {
            inner: Arc::new(Inner {
                keys: KeyManager::new(provider.clone(), secret_box.clone()),
                config: RwLock::new(Arc::new(self.config)),
                stores: self.stores.unwrap_or_else(Stores::memory),
                provider,
                secret_box,
                http: self.http.unwrap_or_else(|| Arc::new(NoHttpClient)),
                jwks_cache: Mutex::new(HashMap::new()),
                pairwise_key: derive_key(&master, b"jans-rs pairwise subject key"),
                master_key_check: crate::b64::encode(
                    derive_key(&master, b"jans-rs master key check value")
                        .get(..16)
                        .unwrap_or_default(),
                ),
                discovery: RwLock::new(None),
                scopes: RwLock::new(Arc::new(Vec::new())),
                config_revision: std::sync::atomic::AtomicU64::new(0),
                hasher: self
                    .hasher
                    .unwrap_or_else(crate::authn::hasher::Hasher::per_core),
                wake: self.wake,
            }),
        })
    }
}

pub(crate) struct Inner {
    pub(crate) config: RwLock<Arc<Config>>,
    pub(crate) stores: Stores,
    pub(crate) keys: KeyManager,
    pub(crate) provider: Arc<dyn CryptoProvider>,
    pub(crate) secret_box: SecretBox,
    pub(crate) http: Arc<dyn HttpClient>,
    /// Key of algorithmic pairwise subjects when `pairwiseCalculationKey` is empty.
    pub(crate) pairwise_key: [u8; 32],
    /// The master key's check value (a PRF of it: says which key, reveals nothing of it).
    master_key_check: String,
    /// Client `jwks_uri` documents: url -> (fetched at, keys).
    pub(crate) jwks_cache: Mutex<HashMap<String, (UnixTime, Arc<Jwks>)>>,
    discovery: RwLock<Option<Arc<serde_json::Value>>>,
    /// The stored scopes (loaded by [`Engine::start`], reloaded every tick).
    scopes: RwLock<Arc<Vec<crate::scope::Scope>>>,
    /// Revision of the shared configuration this node runs (0: none yet).
    config_revision: std::sync::atomic::AtomicU64,
    /// Where passwords are hashed.
    pub(crate) hasher: crate::authn::hasher::Hasher,
    /// The host's background loop, to wake when work is queued.
    wake: Option<Wake>,
}

/// Replace what `lock` holds (a writer that panicked left nothing half-written here: every
/// value is swapped whole).
fn set<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut g) => *g = value,
        Err(p) => *p.into_inner() = value,
    }
}

/// The jans-rs engine. Cheap to clone; every clone shares state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("issuer", &self.config().issuer)
            .field("provider", &self.inner.provider.name())
            .finish()
    }
}

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

/// What a [`Engine::tick`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Key changes applied.
    pub key_changes: Vec<Change>,
    /// Expired grant records deleted.
    pub swept: usize,
}

/// The configuration as shared between nodes: everything but the node's `persistence`.
pub fn shared_doc(config: &Config) -> Result<serde_json::Value, Error> {
    let mut doc = serde_json::to_value(config).map_err(|e| Error::Internal(e.to_string()))?;
    if let serde_json::Value::Object(m) = &mut doc {
        m.remove("persistence");
    }
    Ok(doc)
}

/// Longest a lease is held (a node that dies holding one frees it by then).
pub const LEASE_SECONDS: u64 = 300;

/// The longest a node takes to see a key another node stored: hosts reload (tick) every
/// `cleanServiceInterval` seconds, at most every 60 s; twice that, to be safe.
pub fn key_reload_bound(config: &Config) -> u64 {
    config.clean_service_interval.clamp(1, 60).saturating_mul(2)
}

/// Additional authenticated data binding a sealed client secret to its client.
pub(crate) fn secret_aad(client_id: &str) -> Vec<u8> {
    format!("jans-client-secret:{client_id}").into_bytes()
}

impl Engine {
    /// Start building an engine with this configuration.
    pub fn builder(config: Config) -> EngineBuilder {
        EngineBuilder {
            config,
            stores: None,
            provider: None,
            master_key: None,
            http: None,
            hasher: None,
            wake: None,
        }
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<Config> {
        self.inner
            .config
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The stores.
    pub fn stores(&self) -> &Stores {
        &self.inner.stores
    }

    /// The key manager.
    pub fn keys(&self) -> &KeyManager {
        &self.inner.keys
    }

    /// The crypto provider.
    pub fn provider(&self) -> &Arc<dyn CryptoProvider> {
        &self.inner.provider
    }

    /// The password hashing pool.
    pub fn hasher(&self) -> &crate::authn::hasher::Hasher {
        &self.inner.hasher
    }

    /// Tell the host that background work was queued ([`EngineBuilder::on_background_work`]).
    pub(crate) fn wake_background(&self) {
        if let Some(wake) = &self.inner.wake {
            wake();
        }
    }

    /// Load keys, generating what is missing (first start) and rotating what is due.
    ///
    /// First the master key is checked against the check value the store recorded when it
    /// was initialized: a node given another key is told so, and how to fix it, before it
    /// opens anything. A store without a check value (made by an earlier version) records
    /// this key's once its keys opened with it.
    pub async fn start(&self, ctx: &Ctx) -> Result<Vec<Change>, Error> {
        let keys = &self.inner.stores.keys;
        let mine = &self.inner.master_key_check;
        if let Some(recorded) = keys.master_key_check(None).await?
            && recorded != *mine
        {
            return Err(Error::MasterKeyMismatch);
        }
        self.sync_config().await?;
        self.load_scopes().await?;
        let changes = match self.rotate_keys(ctx, false).await {
            Err(Error::Seal(_)) => return Err(Error::MasterKeyMismatch),
            other => other?,
        };
        if keys.master_key_check(Some(mine)).await?.as_ref() != Some(mine) {
            return Err(Error::MasterKeyMismatch);
        }
        Ok(changes)
    }

    /// The scopes this server knows (Janssen's `jansScope` entries), as last loaded.
    pub fn scopes(&self) -> Arc<Vec<crate::scope::Scope>> {
        match self.inner.scopes.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Load the stored scopes; a store holding none (a new installation) is first seeded
    /// with [`crate::scope::defaults`] (nodes racing to seed: each default lands once).
    /// Returns how many scopes this call added.
    pub async fn load_scopes(&self) -> Result<usize, Error> {
        let store = &self.inner.stores.scopes;
        let mut scopes = store.list().await?;
        let mut added = 0;
        if scopes.is_empty() {
            for scope in crate::scope::defaults() {
                match store.insert(&scope).await {
                    Ok(()) => added += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            scopes = store.list().await?;
        }
        if *self.scopes() != scopes {
            set(&self.inner.scopes, Arc::new(scopes));
            // Discovery lists them.
            set(&self.inner.discovery, None);
        }
        Ok(added)
    }

    /// On shared stores, run the stored configuration (Janssen's `jansConfDyn`): seed the
    /// store from this node's configuration when it holds none, else adopt a newer stored
    /// revision. The `persistence` section always stays this node's own. Returns whether
    /// the configuration changed. A stored document that does not validate is refused and
    /// the running configuration kept.
    pub async fn sync_config(&self) -> Result<bool, Error> {
        use std::sync::atomic::Ordering;
        if !self.inner.stores.shared {
            return Ok(false);
        }
        let store = &self.inner.stores.config;
        let stored = match store.get().await? {
            Some(s) => s,
            None => match store.put(&shared_doc(&self.config())?, 0).await {
                Ok(revision) => {
                    self.inner
                        .config_revision
                        .store(revision, Ordering::Release);
                    return Ok(false);
                }
                // Another node seeded it first: take theirs.
                Err(StoreError::Conflict) => match store.get().await? {
                    Some(s) => s,
                    None => return Ok(false),
                },
                Err(e) => return Err(e.into()),
            },
        };
        if stored.revision == self.inner.config_revision.load(Ordering::Acquire) {
            return Ok(false);
        }
        let config = self.with_local(stored.doc)?;
        self.install_config(config);
        self.inner
            .config_revision
            .store(stored.revision, Ordering::Release);
        Ok(true)
    }

    /// Change the shared configuration: `doc` (Janssen property names, without
    /// `persistence`) is validated, written if nobody changed the stored revision since this
    /// node read it, and applied here at once; other nodes apply it within
    /// `configurationUpdateInterval`. Returns the new revision.
    pub async fn update_config(&self, doc: serde_json::Value) -> Result<u64, Error> {
        use std::sync::atomic::Ordering;
        if !self.inner.stores.shared {
            return Err(OAuthError::invalid_request(
                "the configuration of a single-process store is its configuration file",
            )
            .into());
        }
        let config = self.with_local(doc)?;
        let expected = self.inner.config_revision.load(Ordering::Acquire);
        let revision = match self
            .inner
            .stores
            .config
            .put(&shared_doc(&config)?, expected)
            .await
        {
            Ok(r) => r,
            Err(StoreError::Conflict) => {
                return Err(OAuthError::invalid_request(
                    "the configuration changed meanwhile: read it again and retry",
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        self.install_config(config);
        self.inner
            .config_revision
            .store(revision, Ordering::Release);
        Ok(revision)
    }

    /// The revision of the shared configuration this node runs (0: not shared or none).
    pub fn config_revision(&self) -> u64 {
        self.inner
            .config_revision
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// A configuration from a shared document, with this node's `persistence`.
    fn with_local(&self, mut doc: serde_json::Value) -> Result<Config, Error> {
        let local = serde_json::to_value(&self.config().persistence)
            .map_err(|e| Error::Internal(e.to_string()))?;
        match &mut doc {
            serde_json::Value::Object(m) => {
                m.insert("persistence".into(), local);
            }
            _ => {
                return Err(crate::config::ConfigError::new(
                    "<configuration>",
                    "must be a JSON object",
                )
                .into());
            }
        }
        Ok(Config::from_value(doc)?)
    }

    fn install_config(&self, config: Config) {
        set(&self.inner.config, Arc::new(config));
        // Discovery is derived from the configuration.
        set(&self.inner.discovery, None);
    }

    /// The rotation policy from the configuration; its retention covers server lifetimes.
    fn rotation_policy(&self) -> Policy {
        let config = self.config();
        Policy {
            algorithms: config.key_algs_allowed_for_generation.clone(),
            enabled: config.key_regeneration_enabled,
            interval: config.key_regeneration_interval.saturating_mul(3600),
            retention: config
                .max_signed_lifetime()
                .saturating_add(config.clock_skew_seconds),
            publish_delay: if self.inner.stores.shared {
                key_reload_bound(&config)
            } else {
                0
            },
        }
    }

    /// Run `job` only if no other node (or process) is running the job `name`: on shared
    /// stores, a lease in the grant store, taken with the store's atomic insert and freed
    /// afterwards, or by expiry after [`LEASE_SECONDS`] if this process dies holding it.
    /// `None` when another holder has it.
    pub(crate) async fn with_lease<T>(
        &self,
        name: &str,
        ctx: &Ctx,
        job: impl AsyncFnOnce() -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if !self.inner.stores.shared {
            // One process owns the stores: nobody to exclude (and no lease left behind by a
            // crash to wait out).
            return job().await.map(Some);
        }
        let key = format!("lease:{name}");
        // The holder's id: only it may free the lease, so a job that outlived its lease
        // (and whose lease a successor took after it expired) cannot free the successor's.
        let holder = ctx.random_token(16);
        let mut lease =
            crate::store::GrantRecord::bare(ctx.now, ctx.now.saturating_add(LEASE_SECONDS));
        lease.client_id = holder.clone();
        let grants = &self.inner.stores.grants;
        match grants.insert(GrantKind::Lease, &key, &lease, ctx.now).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let outcome = job().await;
        // Free it even when the job failed; a failure to free only delays the next holder.
        match grants.remove_owned(GrantKind::Lease, &key, &holder).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    lease = name,
                    "the job outlived its lease; another holder has it now"
                )
            }
            Err(e) => tracing::warn!(lease = name, error = %e, "could not release a lease"),
        }
        outcome.map(Some)
    }

    /// How long a retired key stays published: until everything it signed expired, i.e. the
    /// longest lifetime any client may get, plus the tolerated clock skew.
    async fn retention(&self) -> Result<u64, Error> {
        let config = self.config();
        let mut longest = config.max_signed_lifetime();
        for c in self.inner.stores.clients.list().await? {
            if let Some(l) = c.metadata.access_token_lifetime {
                longest = longest.max(l);
            }
        }
        Ok(longest.saturating_add(config.clock_skew_seconds))
    }

    /// Apply due rotations (or rotate every algorithm now, with `force`).
    ///
    /// With several nodes on one store, one rotates at a time (a lease); the others reload
    /// what is stored, so a rotation made elsewhere is served here from the next call on.
    pub async fn rotate_keys(&self, ctx: &Ctx, force: bool) -> Result<Vec<Change>, Error> {
        let policy = self.rotation_policy();
        let store = self.inner.stores.keys.as_ref();
        let rotated = self
            .with_lease("keys", ctx, async || {
                self.inner
                    .keys
                    .rotate(store, &policy, async || self.retention().await, ctx, force)
                    .await
            })
            .await?;
        match rotated {
            Some(changes) => Ok(changes),
            None => {
                self.inner.keys.reload(store).await?;
                Ok(Vec::new())
            }
        }
    }

    /// Periodic work the host drives: pick up keys rotated elsewhere, rotate what is due,
    /// and sweep expired grants (one node at a time: a lease).
    pub async fn tick(&self, ctx: &Ctx) -> Result<TickReport, Error> {
        if let Err(e) = self.sync_config().await {
            tracing::error!(error = %e, "the shared configuration was not applied");
        }
        if let Err(e) = self.load_scopes().await {
            tracing::error!(error = %e, "the scopes were not reloaded");
        }
        let key_changes = self.rotate_keys(ctx, false).await?;
        let swept = self.cleanup(ctx).await?.unwrap_or(0);
        Ok(TickReport { key_changes, swept })
    }

    /// Sweep expired grants unless another node is sweeping now (`None` then).
    pub async fn cleanup(&self, ctx: &Ctx) -> Result<Option<usize>, Error> {
        self.with_lease("cleanup", ctx, async || self.sweep(ctx.now).await)
            .await
    }

    /// Whether every configured algorithm has a key that signs (after [`Engine::start`]:
    /// false while another node is still generating the first keys).
    pub fn keys_ready(&self) -> bool {
        let ring = self.inner.keys.ring();
        self.config()
            .key_algs_allowed_for_generation
            .iter()
            .all(|a| ring.signer(*a).is_some())
    }

    /// Delete expired grant records in batches of `cleanServiceBatchChunkSize`.
    pub async fn sweep(&self, now: UnixTime) -> Result<usize, Error> {
        let chunk = self.config().clean_service_batch_chunk_size;
        let mut total = 0;
        loop {
            let n = self.inner.stores.grants.sweep(now, chunk).await?;
            total += n;
            if n < chunk {
                return Ok(total);
            }
        }
    }

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
        // Janssen client ids are UUIDs; ours are 128 random bits in the same shape.
        let client_id = uuid_from(&ctx.random_bytes(16));
        let (secret, sealed) = if metadata.token_endpoint_auth_method.uses_secret() {
            // 256 random bits (DESIGN.md §6), sealed at rest.
            let secret = ctx.random_token(32);
            let sealed = self.inner.secret_box.seal(
                secret.as_bytes(),
                &secret_aad(&client_id),
                ctx.rng.as_ref(),
            )?;
            (Some(secret), Some(sealed))
        } else {
            (None, None)
        };
        let client = Client {
            client_id,
            client_secret_sealed: sealed,
            client_id_issued_at: ctx.now,
            client_secret_expires_at: 0,
            disabled: false,
            registration_access_token_hash,
            metadata,
        };
        self.inner.stores.clients.insert(&client).await?;
        Ok(RegisteredClient {
            client,
            client_secret: secret,
        })
    }

    /// Replace a client's metadata (RFC 7592 §2.2), keeping its id and secret; a client that
    /// moves to a secret-based method gets a new secret, one that leaves it loses its secret.
    pub async fn update_client_metadata(
        &self,
        mut client: Client,
        metadata: ClientMetadata,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        let mut secret = None;
        if metadata.token_endpoint_auth_method.uses_secret() {
            match &client.client_secret_sealed {
                Some(sealed) => {
                    let raw = self
                        .inner
                        .secret_box
                        .open(sealed, &secret_aad(&client.client_id))?;
                    secret = String::from_utf8(raw).ok();
                }
                None => {
                    let s = ctx.random_token(32);
                    client.client_secret_sealed = Some(self.inner.secret_box.seal(
                        s.as_bytes(),
                        &secret_aad(&client.client_id),
                        ctx.rng.as_ref(),
                    )?);
                    secret = Some(s);
                }
            }
        } else {
            client.client_secret_sealed = None;
        }
        client.metadata = metadata;
        self.inner.stores.clients.update(&client).await?;
        Ok(RegisteredClient {
            client,
            client_secret: secret,
        })
    }

    /// A registered client.
    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        Ok(self.inner.stores.clients.get(client_id).await?)
    }

    /// Every registered client.
    pub async fn clients(&self) -> Result<Vec<Client>, Error> {
        Ok(self.inner.stores.clients.list().await?)
    }

    /// Remove a client; `false` if it did not exist. Its tokens stop introspecting as active.
    pub async fn remove_client(&self, client_id: &str) -> Result<bool, Error> {
        Ok(self.inner.stores.clients.delete(client_id).await?)
    }

    /// Add a person with a password (argon2id). The `inum` is assigned here; `created_at`
    /// and `updated_at` are set to now. `Store(Conflict)` if the uid is taken.
    pub async fn add_user(&self, mut user: User, password: &str, ctx: &Ctx) -> Result<User, Error> {
        user.inum = uuid_from(&ctx.random_bytes(16));
        user.created_at = ctx.now;
        user.updated_at = ctx.now;
        user.validate()?;
        user.password_hash = Some(self.hash_password(password, ctx).await?);
        self.inner.stores.users.insert(&user).await?;
        Ok(user)
    }

    /// The person with this login name.
    pub async fn user(&self, uid: &str) -> Result<Option<User>, Error> {
        Ok(self.inner.stores.users.by_uid(uid).await?)
    }

    /// Every person, ordered by `inum`.
    pub async fn users(&self) -> Result<Vec<User>, Error> {
        Ok(self.inner.stores.users.list().await?)
    }

    /// Change a person's password; `Store(NotFound)` for an unknown uid.
    pub async fn set_password(&self, uid: &str, password: &str, ctx: &Ctx) -> Result<(), Error> {
        let mut user = self.user(uid).await?.ok_or(StoreError::NotFound)?;
        user.password_hash = Some(self.hash_password(password, ctx).await?);
        user.updated_at = ctx.now;
        Ok(self.inner.stores.users.update(&user).await?)
    }

    /// Enable or disable a person; `Store(NotFound)` for an unknown uid.
    pub async fn set_user_status(
        &self,
        uid: &str,
        status: UserStatus,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let mut user = self.user(uid).await?.ok_or(StoreError::NotFound)?;
        user.status = status;
        user.updated_at = ctx.now;
        Ok(self.inner.stores.users.update(&user).await?)
    }

    /// The active person whose password this is, or `None` (unknown uid, inactive, wrong
    /// password). An unknown uid costs one hash too, so timing does not reveal which uids
    /// exist.
    pub async fn check_password(&self, uid: &str, password: &str) -> Result<Option<User>, Error> {
        let user = self.user(uid).await?;
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.as_deref())
            .unwrap_or(password::DUMMY_HASH);
        let ok = self.inner.hasher.verify(password, hash).await?;
        Ok(user.filter(|u| ok && u.status == UserStatus::Active))
    }

    /// A PHC string for a new password (argon2id, fresh salt), computed on the pool.
    async fn hash_password(&self, password: &str, ctx: &Ctx) -> Result<String, Error> {
        let mut salt = [0u8; 16];
        ctx.rng.fill(&mut salt);
        Ok(self.inner.hasher.hash(password, salt).await?)
    }

    /// The `sub` a client sees for a user (OIDC Core §8): the `inum`, or for a `pairwise`
    /// client Janssen's algorithmic pairwise identifier for the client's sector.
    pub fn subject_for(&self, client: &Client, user_inum: &str) -> String {
        if client.metadata.subject_type.as_deref() != Some("pairwise") {
            return user_inum.to_owned();
        }
        let config = self.config();
        let sector = crate::oidc::subject::sector_identifier(
            client.metadata.sector_identifier_uri.as_deref(),
            &client.metadata.redirect_uris,
        )
        .unwrap_or_else(|| client.client_id.clone());
        let local = if config.share_subject_id_between_clients_with_same_sector_id {
            user_inum.to_owned()
        } else {
            format!("{user_inum}{}", client.client_id)
        };
        let key: &[u8] = if config.pairwise_calculation_key.is_empty() {
            &self.inner.pairwise_key
        } else {
            config.pairwise_calculation_key.as_bytes()
        };
        crate::oidc::subject::pairwise(&sector, &local, key, &config.pairwise_calculation_salt)
    }

    /// The discovery document, built once per configuration.
    pub(crate) fn discovery_json(&self) -> Arc<serde_json::Value> {
        if let Ok(g) = self.inner.discovery.read()
            && let Some(d) = g.as_ref()
        {
            return d.clone();
        }
        let d = Arc::new(crate::oidc::discovery::document(
            &self.config(),
            &self.scopes(),
        ));
        if let Ok(mut g) = self.inner.discovery.write() {
            *g = Some(d.clone());
        }
        d
    }

    /// Serve one request. Never panics on any input; protocol errors become error
    /// responses, internal failures `server_error` (logged with the request id).
    pub async fn handle(&self, req: Request, ctx: &Ctx) -> Response {
        let endpoint = req.endpoint.clone();
        let peer = req.peer_addr;
        match self.dispatch(req, ctx).await {
            Ok(r) => r,
            Err(e) => {
                let oauth = e.to_oauth();
                if oauth.code == ErrorCode::ServerError
                    || oauth.code == ErrorCode::TemporarilyUnavailable
                {
                    tracing::error!(request_id = %ctx.request_id, endpoint = endpoint.label(), peer = ?peer, error = %e, "request failed");
                }
                Response::error(oauth)
            }
        }
    }

    async fn dispatch(&self, req: Request, ctx: &Ctx) -> Result<Response, Error> {
        let allow = |methods: &'static str| {
            Ok(Response::error(OAuthError::new(
                ErrorCode::MethodNotAllowed,
                format!("use {methods}"),
            ))
            .header("allow", methods))
        };
        match (&req.endpoint, req.method) {
            (Endpoint::Discovery, Method::Get) => Ok(Response {
                body: crate::response::Body::Json((*self.discovery_json()).clone()),
                ..Response::public_json(serde_json::Value::Null, 3600)
            }),
            (Endpoint::Webfinger, Method::Get) => {
                crate::oidc::webfinger::handle(self, &req, ctx).await
            }
            (Endpoint::Jwks, Method::Get) => {
                let ring = self.inner.keys.ring();
                // Short max-age: a relying party must see a new next key well within the
                // rotation interval.
                Ok(Response::public_json((*ring.jwks_json()).clone(), 300))
            }
            (Endpoint::JwksArchived(kid), Method::Get) => {
                let ring = self.inner.keys.ring();
                match ring.archived(kid) {
                    Some(jwk) => Ok(Response::public_json(
                        serde_json::to_value(jwk).map_err(|e| Error::Internal(e.to_string()))?,
                        86400,
                    )),
                    None => Ok(Response::error(OAuthError::new(
                        ErrorCode::NotFound,
                        "no archived key with this kid",
                    ))),
                }
            }
            (Endpoint::Authorize, Method::Get | Method::Post) => {
                if self
                    .config()
                    .grant_types_supported
                    .iter()
                    .any(|g| g == "authorization_code")
                {
                    crate::oauth::authorize::handle(self, &req, ctx).await
                } else {
                    Ok(Response::error(OAuthError::new(
                        ErrorCode::NotFound,
                        "the authorization endpoint is not enabled (grantTypesSupported)",
                    )))
                }
            }
            (Endpoint::Token, Method::Post) => crate::oauth::token::handle(self, &req, ctx).await,
            (Endpoint::Introspection, Method::Get | Method::Post) => {
                crate::oauth::introspect::handle(self, &req, ctx).await
            }
            (Endpoint::Register, _) => crate::oidc::registration::handle(self, &req, ctx).await,
            (Endpoint::EndSession, Method::Get | Method::Post) => {
                crate::oidc::logout::handle(self, &req, ctx).await
            }
            (Endpoint::Userinfo, Method::Get | Method::Post) => {
                crate::oidc::userinfo::handle(self, &req, ctx).await
            }
            (Endpoint::Revocation, Method::Post) => {
                crate::oauth::revoke::handle(self, &req, ctx).await
            }
            (Endpoint::CheckSession, Method::Get) => {
                Ok(Response::with_body(crate::response::Body::CheckSessionPage))
            }
            (
                Endpoint::Introspection
                | Endpoint::Authorize
                | Endpoint::Userinfo
                | Endpoint::EndSession,
                _,
            ) => allow("GET, POST"),
            (Endpoint::Token | Endpoint::Revocation, _) => allow("POST"),
            (
                Endpoint::Discovery
                | Endpoint::Webfinger
                | Endpoint::Jwks
                | Endpoint::JwksArchived(_)
                | Endpoint::CheckSession,
                _,
            ) => allow("GET"),
        }
    }

    /// Whether the stores answer (for readiness probes).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.inner
            .stores
            .clients
            .get("-readiness-probe-")
            .await
            .map(|_| ())
    }
}

/// A 256-bit key for one purpose, derived from the master key (HMAC-SHA256 as a PRF).
fn derive_key(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(master) {
        mac.update(label);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// Format 16 random bytes as an RFC 9562 version-4 UUID string.
pub(crate) fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (d, s) in b.iter_mut().zip(bytes) {
        *d = *s;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{x:02x}"));
    }
    out
}
