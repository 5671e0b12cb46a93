//! What every component may use: the running configuration, the stores, the key ring, the
//! crypto provider, the secret box, outbound HTTP and the password-hashing pool (DESIGN.md
//! §2–§3).
//!
//! A component is built over one shared `Arc<Services>` and never reaches into the
//! [`crate::Engine`]; the engine owns the [`Services`] and changes what they hold (a new
//! configuration, reloaded scopes) for every component at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};

use crate::config::Config;
use crate::crypto::CryptoProvider;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::keys::rotation::{Change, Policy};
use crate::keys::{KeyManager, SecretBox};
use crate::outbound::HttpClient;
use crate::password::pool::Hasher;
use crate::repo::Stores;
use crate::repo::scope::Scope;
use crate::store::{GrantKind, GrantRecord, StoreError};

mod seams;

pub use seams::*;

/// A host's callback for [`crate::EngineBuilder::on_background_work`].
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Longest a lease is held (a node that dies holding one frees it by then).
pub const LEASE_SECONDS: u64 = 300;

/// The configuration as stored and shared between nodes: everything but the node's
/// `persistence`.
pub fn shared_doc(config: &Config) -> Result<serde_json::Value, Error> {
    let mut doc = serde_json::to_value(config).map_err(|e| Error::Internal(e.to_string()))?;
    if let serde_json::Value::Object(m) = &mut doc {
        m.remove("persistence");
    }
    Ok(doc)
}

/// The longest a node takes to see a key another node stored: hosts reload (tick) every
/// `cleanServiceInterval` seconds, at most every 60 s; twice that, to be safe.
pub fn key_reload_bound(config: &Config) -> u64 {
    config.clean_service_interval.clamp(1, 60).saturating_mul(2)
}

/// The components a host may serve, by the names `--components` takes.
pub const SERVABLE: [&str; 6] = ["auth", "fido2", "scim", "config-api", "casa", "saml"];

/// A grant type's name and the component serving it.
type InstalledGrant = (&'static str, Weak<dyn TokenGrant>);

/// The services shared by every component of one engine.
pub struct Services {
    config: RwLock<Arc<Config>>,
    /// Revision of the shared configuration this node runs (0: none yet).
    config_revision: AtomicU64,
    stores: Stores,
    keys: KeyManager,
    provider: Arc<dyn CryptoProvider>,
    secret_box: SecretBox,
    http: Arc<dyn HttpClient>,
    hasher: Hasher,
    /// The stored scopes (loaded by [`crate::Engine::start`], reloaded every tick).
    scopes: RwLock<Arc<Vec<Scope>>>,
    /// The host's background loop, to wake when work is queued.
    wake: Option<Wake>,
    /// The FIDO2 component's ceremonies, when the engine has it (weak: the component
    /// holds these services).
    key_ceremonies: OnceLock<Weak<dyn KeyCeremonies>>,
    /// The auth-server's bearer-token judgement (weak: the component holds these services).
    bearer_tokens: OnceLock<Weak<dyn BearerTokens>>,
    /// The auth-server's rules for clients (weak, as above).
    client_registry: OnceLock<Weak<dyn ClientRegistry>>,
    /// The auth-server's sign-in (weak, as above).
    sign_in: OnceLock<Weak<dyn SignIn>>,
    /// Components told when a browser session ends (weak, as above).
    session_listeners: RwLock<Vec<Weak<dyn SessionEnded>>>,
    /// Grant types other components serve at the token endpoint (weak, as above).
    token_grants: RwLock<Arc<Vec<InstalledGrant>>>,
    /// The components the host serves (`--components`), by their host names.
    served: RwLock<Arc<Vec<String>>>,
    /// The host's IP-to-country table, when it has one.
    countries: Option<Arc<crate::geo::IpCountries>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("issuer", &self.config().issuer)
            .field("stores", &self.stores)
            .field("provider", &self.provider.name())
            .finish_non_exhaustive()
    }
}

/// Replace what `lock` holds (a writer that panicked left nothing half-written here: every
/// value is swapped whole).
fn set<T>(lock: &RwLock<T>, value: T) {
    match lock.write() {
        Ok(mut g) => *g = value,
        Err(p) => *p.into_inner() = value,
    }
}

fn get<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

/// The parts [`Services::new`] takes.
pub(crate) struct Parts {
    pub(crate) config: Config,
    pub(crate) stores: Stores,
    pub(crate) provider: Arc<dyn CryptoProvider>,
    pub(crate) secret_box: SecretBox,
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) hasher: Hasher,
    pub(crate) wake: Option<Wake>,
    pub(crate) countries: Option<Arc<crate::geo::IpCountries>>,
}

impl Services {
    pub(crate) fn new(p: Parts) -> Services {
        Services {
            keys: KeyManager::new(p.provider.clone(), p.secret_box.clone()),
            config: RwLock::new(Arc::new(p.config)),
            config_revision: AtomicU64::new(0),
            stores: p.stores,
            provider: p.provider,
            secret_box: p.secret_box,
            http: p.http,
            hasher: p.hasher,
            scopes: RwLock::new(Arc::new(Vec::new())),
            wake: p.wake,
            key_ceremonies: OnceLock::new(),
            bearer_tokens: OnceLock::new(),
            client_registry: OnceLock::new(),
            token_grants: RwLock::new(Arc::new(Vec::new())),
            sign_in: OnceLock::new(),
            session_listeners: RwLock::new(Vec::new()),
            served: RwLock::new(Arc::new(SERVABLE.iter().map(|c| (*c).to_owned()).collect())),
            countries: p.countries,
        }
    }

    /// The country `ip` is in, by the host's IP-to-country table (`None` without one, or
    /// when the table does not know).
    pub fn country(&self, ip: std::net::IpAddr) -> Option<String> {
        self.countries.as_ref()?.country(ip)
    }

    /// Whether the host gave an IP-to-country table (else no location is ever known).
    pub fn knows_countries(&self) -> bool {
        self.countries.is_some()
    }

    /// The WebAuthn ceremonies of the FIDO2 component, when this engine has it.
    pub fn key_ceremonies(&self) -> Option<Arc<dyn KeyCeremonies>> {
        self.key_ceremonies.get().and_then(Weak::upgrade)
    }

    pub(crate) fn install_key_ceremonies(&self, ceremonies: Weak<dyn KeyCeremonies>) {
        let _ = self.key_ceremonies.set(ceremonies);
    }

    /// The auth-server's judgement of bearer tokens, once the engine installed it.
    pub fn bearer_tokens(&self) -> Option<Arc<dyn BearerTokens>> {
        self.bearer_tokens.get().and_then(Weak::upgrade)
    }

    /// The bearer token of `req` as the auth-server judges it.
    pub async fn bearer(&self, req: &crate::request::Request, ctx: &Ctx) -> Result<Bearer, Error> {
        let Some(token) = req.bearer().filter(|t| !t.is_empty() && !t.contains(' ')) else {
            return Ok(Bearer::Missing);
        };
        let tokens = self
            .bearer_tokens()
            .ok_or_else(|| Error::Internal("no auth-server to judge bearer tokens".into()))?;
        let state = tokens.introspect(token, ctx).await?;
        if state.get("active").and_then(serde_json::Value::as_bool) != Some(true) {
            return Ok(Bearer::Inactive);
        }
        let get = |k: &str| state.get(k).and_then(serde_json::Value::as_str);
        let client_id = get("client_id").unwrap_or_default().to_owned();
        Ok(Bearer::Active(ActiveToken {
            // Introspection names the client as the subject of a client's own token.
            subject: get("sub").filter(|s| *s != client_id).map(str::to_owned),
            scopes: get("scope")
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            client_id,
        }))
    }

    /// The auth-server's rules for clients, once the engine installed them.
    pub fn client_registry(&self) -> Result<Arc<dyn ClientRegistry>, Error> {
        self.client_registry
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| Error::Internal("no auth-server to check clients".into()))
    }

    pub(crate) fn install_client_registry(&self, registry: Weak<dyn ClientRegistry>) {
        let _ = self.client_registry.set(registry);
    }

    /// The auth-server's sign-in, once the engine installed it.
    pub fn sign_in(&self) -> Result<Arc<dyn SignIn>, Error> {
        self.sign_in
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| Error::Internal("no auth-server to sign people in".into()))
    }

    pub(crate) fn install_sign_in(&self, sign_in: Weak<dyn SignIn>) {
        let _ = self.sign_in.set(sign_in);
    }

    /// The components to tell when a browser session ends.
    pub fn session_listeners(&self) -> Vec<Arc<dyn SessionEnded>> {
        let list = match self.session_listeners.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        list.iter().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn install_session_listener(&self, listener: Weak<dyn SessionEnded>) {
        match self.session_listeners.write() {
            Ok(mut g) => g.push(listener),
            Err(p) => p.into_inner().push(listener),
        }
    }

    /// The component serving the grant type `grant_type` at the token endpoint, if one
    /// installed it.
    pub fn token_grant(&self, grant_type: &str) -> Option<Arc<dyn TokenGrant>> {
        get(&self.token_grants)
            .iter()
            .find(|(g, _)| *g == grant_type)
            .and_then(|(_, w)| w.upgrade())
    }

    pub(crate) fn install_token_grant(
        &self,
        grant_type: &'static str,
        grant: Weak<dyn TokenGrant>,
    ) {
        let mut all: Vec<_> = get(&self.token_grants).iter().cloned().collect();
        all.retain(|(g, _)| *g != grant_type);
        all.push((grant_type, grant));
        set(&self.token_grants, Arc::new(all));
    }

    pub(crate) fn install_bearer_tokens(&self, tokens: Weak<dyn BearerTokens>) {
        let _ = self.bearer_tokens.set(tokens);
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<Config> {
        get(&self.config)
    }

    /// Run this configuration from now on.
    pub(crate) fn install_config(&self, config: Config) {
        set(&self.config, Arc::new(config));
    }

    /// A configuration from a stored document (Janssen property names), with this node's
    /// `persistence`; the configuration's own error when it does not validate.
    pub fn with_local(&self, mut doc: serde_json::Value) -> Result<Config, Error> {
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

    /// Store `doc` (Janssen property names, without `persistence`) as the configuration if
    /// the stored one is still at revision `expected` (0: none stored), and run it here at
    /// once; other nodes run it within `configurationUpdateInterval` (their tick). A
    /// document that does not validate is the configuration's error and changes nothing;
    /// another writer first is `Store(Conflict)`. Returns the new revision.
    pub async fn store_config(&self, doc: serde_json::Value, expected: u64) -> Result<u64, Error> {
        let config = self.with_local(doc)?;
        let revision = self
            .stores()
            .config
            .put(&shared_doc(&config)?, expected)
            .await?;
        self.install_config(config);
        self.set_config_revision(revision);
        Ok(revision)
    }

    /// The components the host serves (all of [`SERVABLE`] until it says otherwise).
    pub fn served(&self) -> Arc<Vec<String>> {
        get(&self.served)
    }

    /// The host serves these components.
    pub(crate) fn set_served(&self, components: Vec<String>) {
        set(&self.served, Arc::new(components));
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
            publish_delay: if self.stores().shared {
                key_reload_bound(&config)
            } else {
                0
            },
        }
    }

    /// How long a retired key stays published: until everything it signed expired, i.e. the
    /// longest lifetime any client may get, plus the tolerated clock skew.
    async fn retention(&self) -> Result<u64, Error> {
        let config = self.config();
        let mut longest = config.max_signed_lifetime();
        for c in self.stores().clients.snapshot().await?.iter() {
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
        let store = &self.stores().keys;
        let rotated = self
            .with_lease("keys", ctx, async || {
                self.keys()
                    .rotate(store, &policy, async || self.retention().await, ctx, force)
                    .await
            })
            .await?;
        match rotated {
            Some(changes) => Ok(changes),
            None => {
                self.keys().reload(store).await?;
                Ok(Vec::new())
            }
        }
    }

    /// The revision of the shared configuration this node runs (0: not shared or none).
    pub fn config_revision(&self) -> u64 {
        self.config_revision.load(Ordering::Acquire)
    }

    pub(crate) fn set_config_revision(&self, revision: u64) {
        self.config_revision.store(revision, Ordering::Release);
    }

    /// The stores.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// The key manager.
    pub fn keys(&self) -> &KeyManager {
        &self.keys
    }

    /// The crypto provider.
    pub fn provider(&self) -> &Arc<dyn CryptoProvider> {
        &self.provider
    }

    /// What seals secrets at rest under the master key.
    pub fn secret_box(&self) -> &SecretBox {
        &self.secret_box
    }

    /// Outbound HTTP (DESIGN.md §6 rules are the client's).
    pub fn http(&self) -> &dyn HttpClient {
        self.http.as_ref()
    }

    /// The password hashing pool.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// A PHC string for a new password (argon2id, a fresh salt from `ctx`), computed on the
    /// pool: how every component that sets a password stores it.
    pub async fn hash_password(&self, password: &str, ctx: &Ctx) -> Result<String, Error> {
        let mut salt = [0u8; 16];
        ctx.rng.fill(&mut salt);
        Ok(self.hasher.hash(password, salt).await?)
    }

    /// The scopes this server knows (Janssen's `jansScope` entries), as last loaded.
    pub fn scopes(&self) -> Arc<Vec<Scope>> {
        get(&self.scopes)
    }

    pub(crate) fn install_scopes(&self, scopes: Vec<Scope>) {
        set(&self.scopes, Arc::new(scopes));
    }

    /// Tell the host that background work was queued
    /// ([`crate::EngineBuilder::on_background_work`]).
    pub fn wake_background(&self) {
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    /// Run `job` only if no other node (or process) is running the job `name`: on shared
    /// stores, a lease in the grant store, taken with the store's atomic insert and freed
    /// afterwards, or by expiry after [`LEASE_SECONDS`] if this process dies holding it.
    /// `None` when another holder has it.
    pub async fn with_lease<T>(
        &self,
        name: &str,
        ctx: &Ctx,
        job: impl AsyncFnOnce() -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        if !self.stores.shared {
            // One process owns the stores: nobody to exclude (and no lease left behind by a
            // crash to wait out).
            return job().await.map(Some);
        }
        let key = format!("lease:{name}");
        // The holder's id: only it may free the lease, so a job that outlived its lease
        // (and whose lease a successor took after it expired) cannot free the successor's.
        let holder = ctx.random_token(16);
        let mut lease = GrantRecord::bare(ctx.now, ctx.now.saturating_add(LEASE_SECONDS));
        lease.client_id = holder.clone();
        let grants = &self.stores.grants;
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
}

/// A 256-bit key for one purpose, derived from the master key (HMAC-SHA256 as a PRF).
pub(crate) fn derive_key(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(master) {
        mac.update(label);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}
