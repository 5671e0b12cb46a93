//! The data directory of the `jans` binary:
//!
//! ```text
//! DATA_DIR/            (0700)
//!   db/                the sled database (clients, grants, keys)
//!   master.key         32 random bytes sealing client secrets and private keys (0600)
//!   admin-client.json  the bootstrap admin client's credentials (0600)
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jans_core::config::Config;
use jans_core::config::PersistenceType;
use jans_core::repo::Stores;
use jans_core::repo::client::{AuthMethod, ClientMetadata};
use jans_core::store::StoreError;
#[cfg(feature = "postgres")]
use jans_core::store::postgres::PgStore;
#[cfg(feature = "postgres")]
use jans_core::store::postgres::schema::{self, SchemaStatus};
use jans_core::{Ctx, Engine, Random};

use super::HostError;

/// A data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    /// Its path.
    pub path: PathBuf,
    /// An IP-to-country table file to give the engine ([`DataDir::with_ip_countries`]).
    pub ip_countries: Option<PathBuf>,
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

impl DataDir {
    /// The directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataDir {
            path: path.into(),
            ip_countries: None,
        }
    }

    /// Give engines opened here the IP-to-country table in `file`
    /// ([`jans_core::geo::IpCountries`]), read when the engine is opened.
    pub fn with_ip_countries(mut self, file: Option<PathBuf>) -> Self {
        self.ip_countries = file;
        self
    }

    /// The IP-to-country table, when one is set: read and parsed, or why not.
    fn read_ip_countries(&self) -> Result<Option<jans_core::geo::IpCountries>, HostError> {
        let Some(path) = &self.ip_countries else {
            return Ok(None);
        };
        let bytes = std::fs::read(path).map_err(|e| HostError::io("read", path, e))?;
        let table = jans_core::geo::IpCountries::parse(&bytes).map_err(|e| {
            HostError::setting(
                "the IP-to-country table",
                format!("{}: {e}", path.display()),
            )
        })?;
        tracing::info!(ranges = table.len(), path = %path.display(), "IP-to-country table read");
        Ok(Some(table))
    }

    /// Create the directory (mode 0700) if missing.
    pub fn ensure(&self) -> Result<(), HostError> {
        if !self.path.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                b.mode(0o700);
            }
            b.create(&self.path)
                .map_err(|e| HostError::io("create data directory", &self.path, e))?;
        }
        Ok(())
    }

    /// Whether the directory was initialized for this backend: a master key (or
    /// `JANS_MASTER_KEY`), and for sled the database.
    pub fn is_initialized(&self, kind: PersistenceType) -> bool {
        let key =
            self.path.join("master.key").exists() || std::env::var_os("JANS_MASTER_KEY").is_some();
        key && (kind != PersistenceType::Sled || self.db_path().exists())
    }

    /// Where the sled database lives.
    pub fn db_path(&self) -> PathBuf {
        self.path.join("db")
    }

    /// Where the admin client's credentials are written.
    pub fn admin_client_path(&self) -> PathBuf {
        self.path.join("admin-client.json")
    }

    /// The master key: `JANS_MASTER_KEY` (base64url, 32 bytes) if set, else `master.key`,
    /// created with fresh randomness when `create` is true and it is missing.
    pub fn master_key(&self, rng: &dyn Random, create: bool) -> Result<[u8; 32], HostError> {
        if let Ok(v) = std::env::var("JANS_MASTER_KEY") {
            let raw = jans_core::b64::decode(v.trim())
                .map_err(|_| HostError::setting("JANS_MASTER_KEY", "not base64url"))?;
            return raw
                .try_into()
                .map_err(|_| HostError::setting("JANS_MASTER_KEY", "must decode to 32 bytes"));
        }
        let path = self.path.join("master.key");
        match std::fs::read(&path) {
            Ok(raw) => raw
                .try_into()
                .map_err(|_| HostError::invalid(&path, "must hold exactly 32 bytes")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = [0u8; 32];
                rng.fill(&mut key);
                write_private(&path, &key).map_err(|e| HostError::io("write", &path, e))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(HostError::NotInitialized(self.path.clone()))
            }
            Err(e) => Err(HostError::io("read", &path, e)),
        }
    }

    /// Open the embedded database, explaining a lock held by a running server.
    pub fn open_stores(&self) -> Result<Stores, HostError> {
        Stores::sled(&self.db_path()).map_err(|e| match e {
            StoreError::Locked(_) => HostError::InUse(self.path.clone()),
            other => HostError::Database(format!(
                "cannot open the database in {}: {other}",
                self.path.display()
            )),
        })
    }

    /// Build a started engine over this directory: its master key, its database, outbound
    /// HTTP through [`crate::host::outbound::ReqwestClient`], signing keys generated or rotated as
    /// due. With `init`, create what is missing; without, refuse an uninitialized directory.
    pub async fn open_engine(
        &self,
        config: Config,
        init: bool,
        ctx: &Ctx,
        background: Option<&crate::Background>,
    ) -> Result<Engine, HostError> {
        if init {
            self.ensure()?;
        } else if !self.is_initialized(config.persistence.kind) {
            return Err(HostError::NotInitialized(self.path.clone()));
        }
        let master = self.master_key(ctx.rng.as_ref(), init)?;
        let stores = match config.persistence.kind {
            PersistenceType::Sled => self.open_stores()?,
            PersistenceType::Postgres => open_postgres(&config).await?,
        };
        let http = crate::host::outbound::ReqwestClient::new().map_err(|e| {
            HostError::setting("outbound HTTP client", jans_core::error::with_causes(&e))
        })?;
        let mut builder = Engine::builder(config)
            .stores(stores)
            .master_key(master)
            .http_client(std::sync::Arc::new(http));
        if let Some(b) = background {
            builder = builder.on_background_work(b.waker());
        }
        if let Some(table) = self.read_ip_countries()? {
            builder = builder.ip_countries(std::sync::Arc::new(table));
        }
        let engine = builder.build()?;
        let changes = engine.start(ctx).await?;
        if !changes.is_empty() {
            tracing::info!(changes = changes.len(), "signing keys generated or rotated");
        }
        // Another node may be generating the first keys of a shared database: wait for them.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !engine.keys_ready() {
            if std::time::Instant::now() > deadline {
                return Err(HostError::NotReady(
                    "no signing keys: another node holds the key lease",
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            engine.start(ctx).await?;
        }
        Ok(engine)
    }

    /// Create the bootstrap admin client unless `admin-client.json` names one that exists.
    /// Returns the file's path when it was (re)written.
    pub async fn ensure_admin_client(
        &self,
        engine: &Engine,
        ctx: &Ctx,
    ) -> Result<Option<PathBuf>, HostError> {
        let path = self.admin_client_path();
        if let Ok(text) = std::fs::read_to_string(&path) {
            let existing = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("client_id")
                        .and_then(|c| c.as_str())
                        .map(str::to_owned)
                });
            if let Some(id) = existing
                && engine.client(&id).await?.is_some()
            {
                return Ok(None);
            }
            std::fs::remove_file(&path).map_err(|e| HostError::io("replace", &path, e))?;
        }
        let metadata = ClientMetadata {
            client_name: Some("jans admin".to_owned()),
            grant_types: vec!["client_credentials".to_owned()],
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            scope: Some(
                std::iter::once("uma_protection")
                    .chain(
                        jans_core::repo::scope::SCIM_SCOPES
                            .iter()
                            .map(|(id, _)| *id),
                    )
                    // The config API's super scopes.
                    .chain({
                        use jans_core::admin::protection::{DELETE_ALL, READ_ALL, WRITE_ALL};
                        [READ_ALL, WRITE_ALL, DELETE_ALL]
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ..ClientMetadata::default()
        };
        let reg = engine.register_client(metadata, ctx).await?;
        let doc = serde_json::json!({
            "client_id": reg.client.client_id,
            "client_secret": reg.client_secret,
        });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        write_private(&path, text.as_bytes()).map_err(|e| HostError::io("write", &path, e))?;
        Ok(Some(path))
    }
}

/// The stores of the configured PostgreSQL database, whose schema must be current.
#[cfg(feature = "postgres")]
async fn open_postgres(config: &Config) -> Result<Stores, HostError> {
    let pg = connect_postgres(config)?;
    match schema::status(&pg).await {
        Ok(SchemaStatus::Current) => {}
        Ok(other) => return Err(HostError::Database(other.advice().unwrap_or_default())),
        Err(e) => return Err(HostError::Database(e.to_string())),
    }
    Ok(Stores::postgres(pg))
}

/// Without the `postgres` feature a PostgreSQL data directory is refused with the reason.
#[cfg(not(feature = "postgres"))]
async fn open_postgres(_config: &Config) -> Result<Stores, HostError> {
    Err(HostError::setting(
        "persistence.type",
        "postgres, but this build has no PostgreSQL support (feature \"postgres\")",
    ))
}

/// A connection pool to the configured PostgreSQL database (nothing is contacted yet).
/// Must be called inside a Tokio runtime.
#[cfg(feature = "postgres")]
pub fn connect_postgres(config: &Config) -> Result<PgStore, HostError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
        HostError::Database("the PostgreSQL store needs a Tokio runtime".to_owned())
    })?;
    let ca = match config.persistence.ca_file.as_str() {
        "" => None,
        path => Some(
            std::fs::read(path).map_err(|e| HostError::io("read persistence.caFile", path, e))?,
        ),
    };
    let tls = jans_core::store::postgres::tls::RustlsConnect::new(ca.as_deref())
        .map_err(|e| HostError::invalid(&config.persistence.ca_file, e))?;
    PgStore::connect_tls(
        &config.persistence.url,
        config.persistence.max_connections,
        runtime,
        tls,
    )
    .map_err(|e| HostError::setting("persistence.url", e))
}

/// Wait until the configured database answers (a database that is down at start is normal
/// in a cluster that is still coming up): says so on stderr every few seconds and retries,
/// up to `patience`. The sled store needs no waiting.
#[cfg(feature = "postgres")]
pub async fn wait_for_database(
    config: &Config,
    patience: std::time::Duration,
) -> Result<(), HostError> {
    if config.persistence.kind != PersistenceType::Postgres {
        return Ok(());
    }
    let pg = connect_postgres(config)?;
    let started = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(250);
    loop {
        match schema::status(&pg).await {
            Ok(_) => return Ok(()),
            Err(StoreError::Unavailable(e)) if started.elapsed() < patience => {
                eprintln!(
                    "database unavailable ({e}); retrying in {} ms",
                    delay.as_millis()
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
            Err(e) => return Err(HostError::Database(e.to_string())),
        }
    }
}

/// Load the configuration: the file (TOML, or JSON when it ends in `.json`), then `JANS_*`
/// environment variables. Errors name the file and the key at fault.
pub fn load_config(file: Option<&Path>) -> Result<Config, HostError> {
    let text = match file {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| HostError::io("read", p, e))?),
        None => None,
    };
    let toml = file.and_then(|p| p.extension()).and_then(|e| e.to_str()) != Some("json");
    Config::load(text.as_deref().map(|t| (t, toml)), std::env::vars())
        .map_err(|e| HostError::invalid(file.unwrap_or(Path::new("configuration")), e))
}
