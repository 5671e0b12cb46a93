//! `jans`: run the jans-rs identity server and administer its data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use jans_core::repo::client::ClientMetadata;
use jans_core::{Ctx, Engine};
use jans_http::host::datadir::{DataDir, load_config};
use jans_http::telemetry::{LogFormat, init_logging};
use jans_http::{AppState, HostConfig, Metrics, OsRandom};

#[derive(Parser, Debug)]
#[command(
    name = "jans",
    version,
    about = "jans-rs: the Janssen identity platform in Rust"
)]
struct Cli {
    /// Data directory (database, keys, admin client credentials) [default: ./jans-data].
    #[arg(long, global = true, env = "JANS_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file (TOML, or JSON when named *.json) with Janssen property names.
    #[arg(long, global = true, env = "JANS_CONFIG")]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// `--data-dir`, `JANS_DATA_DIR`, or `./jans-data`.
    fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./jans-data"))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve HTTP(S); initializes the data directory on first start.
    Serve(ServeArgs),
    /// Initialize the data directory: database, signing keys, admin client.
    Init,
    /// Create or upgrade the PostgreSQL schema, then load the initial data (signing keys,
    /// default scopes, admin client) as `init` does; safe to run again and from several
    /// nodes at once.
    Migrate(MigrateArgs),
    /// Manage clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage people (users).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage scopes (Janssen's scope entries: type, claims, discovery listing).
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// Delete expired grants now.
    Cleanup,
    /// Show or change the server configuration shared by the nodes of a PostgreSQL store.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Ask a running `jans serve` whether it is ready (`GET /health/ready`): exit status 0
    /// on 200, else 1 with the reason on stderr. For container health checks in images
    /// without curl.
    Healthcheck(HealthcheckArgs),
}

#[derive(Args, Debug)]
struct MigrateArgs {
    /// Do not register the bootstrap admin client (where the data directory does not
    /// outlive the command, e.g. a Kubernetes Job, its credentials would be lost).
    #[arg(long)]
    no_admin_client: bool,
}

#[derive(Args, Debug)]
struct HealthcheckArgs {
    /// The URL to ask (default http://HOST:PORT/health/ready, from --listen).
    #[arg(long)]
    url: Option<String>,
    /// The address `serve` listens on (a wildcard address is asked on loopback).
    #[arg(long, env = "JANS_LISTEN", default_value = "localhost:8080")]
    listen: String,
    /// Seconds to wait for the whole answer.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JANS_LISTEN", default_value = "localhost:8080")]
    listen: String,
    /// Issuer URL (default: the config's `issuer`, else derived from --listen).
    #[arg(long)]
    issuer: Option<String>,
    /// TLS certificate chain (PEM); with --tls-key, serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Directory of page templates overriding the embedded ones (login.html, consent.html,
    /// error.html, base.html).
    #[arg(long, env = "JANS_TEMPLATES")]
    templates: Option<PathBuf>,
    /// Components to serve, comma-separated: auth, fido2, scim, config-api, casa (default
    /// all). Those not listed expose no routes.
    #[arg(
        long,
        env = "JANS_COMPONENTS",
        default_value = "auth,fido2,scim,config-api,casa"
    )]
    components: String,
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Register a client (RFC 7591 metadata as flags or a JSON file); prints it with its secret.
    Add(Box<ClientAddArgs>),
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// The client_id.
        client_id: String,
    },
    /// Remove a client.
    Remove {
        /// The client_id.
        client_id: String,
    },
}

#[derive(Args, Debug)]
struct ClientAddArgs {
    /// RFC 7591 metadata JSON file; flags given too override its members.
    #[arg(long)]
    json: Option<PathBuf>,
    /// client_name
    #[arg(long)]
    name: Option<String>,
    /// grant_types (repeatable)
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// token_endpoint_auth_method
    #[arg(long)]
    auth_method: Option<String>,
    /// token_endpoint_auth_signing_alg
    #[arg(long)]
    auth_signing_alg: Option<String>,
    /// scope (space-separated)
    #[arg(long)]
    scope: Option<String>,
    /// redirect_uris (repeatable)
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// jwks_uri
    #[arg(long)]
    jwks_uri: Option<String>,
    /// A file holding the client's public JWK Set (`jwks`)
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// Issue RFC 9068 JWT access tokens
    #[arg(long)]
    access_token_as_jwt: bool,
    /// access_token_signing_alg
    #[arg(long)]
    access_token_signing_alg: Option<String>,
    /// access_token_lifetime (seconds)
    #[arg(long)]
    access_token_lifetime: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a person; the password is read from the first line of standard input.
    Add {
        /// Login name (uid).
        #[arg(long)]
        username: String,
        /// Email address (mail).
        #[arg(long)]
        email: Option<String>,
        /// given_name
        #[arg(long)]
        given_name: Option<String>,
        /// family_name
        #[arg(long)]
        family_name: Option<String>,
        /// name (display name)
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a person's password, read from the first line of standard input.
    Passwd {
        /// Login name (uid).
        username: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List people (without password hashes).
    List,
    /// Disable a person: no more logins.
    Disable {
        /// Login name (uid).
        username: String,
    },
    /// Enable a disabled person.
    Enable {
        /// Login name (uid).
        username: String,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the configuration this process runs (with its shared revision).
    Show,
    /// Change properties (`accessTokenLifetime=600`, values as JSON, else as text); every
    /// node applies the change within `configurationUpdateInterval`.
    Set {
        /// PROPERTY=VALUE pairs, with Janssen's property names.
        #[arg(required = true)]
        assignments: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ScopeCommand {
    /// List the scopes as JSON.
    List,
    /// Add a scope, or replace the one with its `id`, from a JSON file (Janssen's scope
    /// fields: id, inum, description, scopeType, claims, defaultScope, attributes).
    Put {
        /// The scope document.
        #[arg(long)]
        json: PathBuf,
    },
    /// Remove a scope.
    Remove {
        /// The scope value.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// List signing keys and their state.
    List,
    /// Rotate every algorithm now (the next key, already published, starts signing).
    Rotate,
}

type Res<T> = Result<T, String>;

fn ctx() -> Ctx {
    Ctx::new(jans_http::now(), Arc::new(OsRandom), "cli")
}

struct Opened {
    engine: Engine,
    data: DataDir,
}

/// Where the issuer comes from.
enum Issuer {
    /// The configuration's (file, `JANS_ISSUER`, or the default).
    Configured,
    /// `--issuer`.
    Explicit(String),
    /// This one unless the configuration names an issuer other than the default.
    Derived(String),
}

/// Open the data directory and build the engine. With `init`, create what is missing.
async fn open(cli: &Cli, issuer: Issuer, init: bool) -> Res<Opened> {
    open_with(cli, issuer, init, None).await
}

/// [`open`] for a server, whose background work the engine wakes.
async fn open_with(
    cli: &Cli,
    issuer: Issuer,
    init: bool,
    background: Option<&jans_http::Background>,
) -> Res<Opened> {
    let mut config = load_config(cli.config.as_deref())?;
    let explicit = match &issuer {
        Issuer::Explicit(i) => Some(i.clone()),
        _ => None,
    };
    match issuer {
        Issuer::Configured => {}
        Issuer::Explicit(i) => config.issuer = i,
        Issuer::Derived(i) => {
            if config.issuer == jans_core::Config::default().issuer {
                config.issuer = i;
            }
        }
    }
    let data = DataDir::new(cli.data_dir());
    let engine = data.open_engine(config, init, &ctx(), background).await?;
    // On a shared store the issuer is part of the shared configuration.
    if let Some(wanted) = explicit
        && engine.config().issuer != wanted
    {
        return Err(format!(
            "--issuer {wanted} differs from the shared configuration's issuer {}; change it \
             for every node with `jans config set issuer={wanted}`",
            engine.config().issuer
        ));
    }
    Ok(Opened { engine, data })
}

fn print_json(v: &serde_json::Value) -> Res<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The issuer when none is configured: http://localhost:PORT for loopback listeners.
fn derived_issuer(listen: &SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    if listen.ip().is_loopback() || listen.ip().is_unspecified() {
        format!("{scheme}://localhost:{}", listen.port())
    } else {
        format!("{scheme}://{listen}")
    }
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Res<()> {
    let started = std::time::Instant::now();
    let components = jans_http::components::Components::parse(&args.components)
        .map_err(|e| format!("--components: {e}"))?;
    let addr = tokio::net::lookup_host(&args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?
        .next()
        .ok_or_else(|| format!("--listen {}: no address", args.listen))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(jans_http::serve::tls_config(c, k)?),
        _ => None,
    };
    let issuer = match &args.issuer {
        Some(i) => Issuer::Explicit(i.clone()),
        None => Issuer::Derived(derived_issuer(&addr, tls.is_some())),
    };
    let config = load_config(cli.config.as_deref())?;
    let first_start = !DataDir::new(cli.data_dir()).is_initialized(config.persistence.kind);
    jans_http::host::datadir::wait_for_database(&config, std::time::Duration::from_secs(300))
        .await?;
    let background = jans_http::Background::new();
    let opened = open_with(cli, issuer, true, Some(&background)).await?;
    // On PostgreSQL the admin client is `jans migrate`'s: a node's data directory is often
    // thrown away with its pod, and each start would leave another admin client behind.
    if config.persistence.kind == jans_core::config::PersistenceType::Sled
        && let Some(path) = opened
            .data
            .ensure_admin_client(&opened.engine, &ctx())
            .await?
    {
        println!("admin client credentials written to {}", path.display());
    }
    if first_start {
        println!("initialized data directory {}", opened.data.path.display());
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let pages = jans_http::pages::Pages::load(args.templates.as_deref())?;
    let state = Arc::new(
        AppState::new(
            opened.engine.clone(),
            Arc::new(Metrics::default()),
            Arc::new(OsRandom),
        )
        .with_pages(pages),
    );
    let host = HostConfig {
        hsts: tls.is_some(),
        components,
        ..HostConfig::default()
    };
    let router = jans_http::router_with(state.clone(), &host);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let bg = tokio::spawn(jans_http::background(state, background, stop_rx));
    let issuer = opened.engine.config().issuer.clone();
    tracing::info!(
        %local, %issuer, tls = tls.is_some(),
        ready_ms = started.elapsed().as_millis() as u64,
        "listening on {local}"
    );
    println!("jans listening on {local} (issuer {issuer})");
    jans_http::serve::serve(listener, router, tls, jans_http::serve::shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    let _ = stop_tx.send(true);
    let _ = bg.await;
    tracing::info!("stopped");
    Ok(())
}

async fn client_add(cli: &Cli, a: &ClientAddArgs) -> Res<()> {
    let mut doc = match &a.json {
        Some(p) => serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?,
        None => serde_json::json!({}),
    };
    let m = doc
        .as_object_mut()
        .ok_or("client metadata must be a JSON object")?;
    let mut set = |k: &str, v: serde_json::Value| {
        m.insert(k.to_owned(), v);
    };
    if let Some(v) = &a.name {
        set("client_name", v.clone().into());
    }
    if !a.grant_types.is_empty() {
        set("grant_types", a.grant_types.clone().into());
    }
    if let Some(v) = &a.auth_method {
        set("token_endpoint_auth_method", v.clone().into());
    }
    if let Some(v) = &a.auth_signing_alg {
        set("token_endpoint_auth_signing_alg", v.clone().into());
    }
    if let Some(v) = &a.scope {
        set("scope", v.clone().into());
    }
    if !a.redirect_uris.is_empty() {
        set("redirect_uris", a.redirect_uris.clone().into());
    }
    if let Some(v) = &a.jwks_uri {
        set("jwks_uri", v.clone().into());
    }
    if let Some(p) = &a.jwks_file {
        let jwks: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
        set("jwks", jwks);
    }
    if a.access_token_as_jwt {
        set("access_token_as_jwt", true.into());
    }
    if let Some(v) = &a.access_token_signing_alg {
        set("access_token_signing_alg", v.clone().into());
    }
    if let Some(v) = a.access_token_lifetime {
        set("access_token_lifetime", v.into());
    }
    let metadata = ClientMetadata::from_json(doc).map_err(|e| e.to_string())?;
    let opened = open(cli, Issuer::Configured, false).await?;
    let reg = opened
        .engine
        .register_client(metadata, &ctx())
        .await
        .map_err(|e| e.to_string())?;
    print_json(&reg.to_json())
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> Res<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("no password on standard input".to_owned());
    }
    Ok(password)
}

fn user_error(uid: &str, e: jans_core::Error) -> String {
    match e {
        jans_core::Error::Store(jans_core::store::StoreError::Conflict) => {
            format!("a user named {uid} already exists")
        }
        jans_core::Error::Store(jans_core::store::StoreError::NotFound) => {
            format!("no user named {uid}")
        }
        other => other.to_string(),
    }
}

async fn user_command(cli: &Cli, cmd: &UserCommand) -> Res<()> {
    use jans_core::repo::user::{User, UserStatus};
    match cmd {
        UserCommand::Add {
            username,
            email,
            given_name,
            family_name,
            name,
            ..
        } => {
            let password = password_from_stdin()?;
            let opened = open(cli, Issuer::Configured, false).await?;
            let user = User {
                uid: username.clone(),
                mail: email.clone(),
                given_name: given_name.clone(),
                family_name: family_name.clone(),
                name: name.clone(),
                ..User::default()
            };
            let user = opened
                .engine
                .add_user(user, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            print_json(&user.to_public_json())
        }
        UserCommand::Passwd { username, .. } => {
            let password = password_from_stdin()?;
            let opened = open(cli, Issuer::Configured, false).await?;
            opened
                .engine
                .set_password(username, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            println!("password of {username} changed");
            Ok(())
        }
        UserCommand::List => {
            let opened = open(cli, Issuer::Configured, false).await?;
            let users = opened.engine.users().await.map_err(|e| e.to_string())?;
            print_json(&serde_json::Value::Array(
                users.iter().map(User::to_public_json).collect(),
            ))
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let status = if matches!(cmd, UserCommand::Disable { .. }) {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            };
            let opened = open(cli, Issuer::Configured, false).await?;
            opened
                .engine
                .set_user_status(username, status, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            println!(
                "{username} is now {}",
                if status == UserStatus::Active {
                    "active"
                } else {
                    "inactive"
                }
            );
            Ok(())
        }
    }
}

/// Where `healthcheck` asks by default: `/health/ready` at the listen address, with a
/// wildcard host (`0.0.0.0`, `[::]`) replaced by loopback of the same family.
fn ready_url(listen: &str) -> String {
    let host_port = match listen.parse::<SocketAddr>() {
        Ok(mut addr) => {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            addr.to_string()
        }
        Err(_) => listen.to_owned(),
    };
    format!("http://{host_port}/health/ready")
}

async fn healthcheck(args: &HealthcheckArgs) -> Res<()> {
    let url = args.url.clone().unwrap_or_else(|| ready_url(&args.listen));
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| jans_core::error::with_causes(&e))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", jans_core::error::with_causes(&e)))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(200).collect();
    if status == reqwest::StatusCode::OK {
        println!("{url}: {status} {body}");
        Ok(())
    } else {
        Err(format!("{url}: {status} {body}"))
    }
}

async fn scope_command(cli: &Cli, cmd: &ScopeCommand) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    let store = &opened.engine.stores().scopes;
    match cmd {
        ScopeCommand::List => {
            let list = serde_json::to_value(&*opened.engine.scopes()).map_err(|e| e.to_string())?;
            print_json(&list)
        }
        ScopeCommand::Put { json } => {
            let text =
                std::fs::read_to_string(json).map_err(|e| format!("{}: {e}", json.display()))?;
            let scope: jans_core::repo::scope::Scope = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a scope: {e}", json.display()))?;
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            let token_char =
                |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
            if scope.id.is_empty() || !scope.id.bytes().all(token_char) {
                return Err(format!(
                    "{}: id must be a scope token (RFC 6749 §3.3: printable ASCII without \
                     spaces, quotes or backslashes)",
                    json.display()
                ));
            }
            let added = match store.insert(&scope).await {
                Ok(()) => true,
                Err(jans_core::store::StoreError::Conflict) => {
                    store.update(&scope).await.map_err(|e| e.to_string())?;
                    false
                }
                Err(e) => return Err(e.to_string()),
            };
            println!(
                "{} scope {}",
                if added { "added" } else { "replaced" },
                scope.id
            );
            Ok(())
        }
        ScopeCommand::Remove { id } => {
            if store.delete(id).await.map_err(|e| e.to_string())? {
                println!("removed scope {id}");
                Ok(())
            } else {
                Err(format!("no scope {id}"))
            }
        }
    }
}

async fn run(cli: Cli) -> Res<()> {
    match &cli.command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Healthcheck(args) => healthcheck(args).await,
        Command::Migrate(args) => {
            let config = load_config(cli.config.as_deref())?;
            // The master key every node must share: from the environment, or kept in a data
            // directory the operator named (never silently in the working directory).
            let env_key = std::env::var_os("JANS_MASTER_KEY").is_some();
            if !env_key && cli.data_dir.is_none() {
                return Err(
                    "jans migrate needs the master key every node will use: set \
                            JANS_MASTER_KEY (base64url of 32 random bytes, the same on every \
                            node), or name the directory to keep it in with --data-dir DIR \
                            (it is then DIR/master.key)"
                        .to_owned(),
                );
            }
            let key_file = cli.data_dir().join("master.key");
            let had_key_file = key_file.exists();
            if config.persistence.kind == jans_core::config::PersistenceType::Postgres {
                jans_http::host::datadir::wait_for_database(
                    &config,
                    std::time::Duration::from_secs(60),
                )
                .await?;
                let pg = jans_http::host::datadir::connect_postgres(&config)?;
                let applied = jans_core::store::postgres::schema::migrate(&pg)
                    .await
                    .map_err(|e| format!("migration failed: {e}"))?;
                if applied.is_empty() {
                    println!(
                        "schema is current (version {})",
                        jans_core::store::postgres::schema::LATEST
                    );
                } else {
                    println!("applied schema versions {applied:?}");
                }
            } else {
                println!("the sled store has no schema to migrate");
            }
            let opened = open(&cli, Issuer::Configured, true).await?;
            if !env_key && !had_key_file && key_file.exists() {
                println!(
                    "master key written to {} (give every node this key, as JANS_MASTER_KEY \
                     or in its data directory)",
                    key_file.display()
                );
            }
            // Opening loaded the default scopes into an empty store.
            println!("{} scopes", opened.engine.scopes().len());
            if !args.no_admin_client
                && let Some(p) = opened
                    .data
                    .ensure_admin_client(&opened.engine, &ctx())
                    .await?
            {
                println!("admin client credentials written to {}", p.display());
            }
            Ok(())
        }
        Command::Init => {
            let opened = open(&cli, Issuer::Configured, true).await?;
            match opened
                .data
                .ensure_admin_client(&opened.engine, &ctx())
                .await?
            {
                Some(p) => println!("admin client credentials written to {}", p.display()),
                None => println!(
                    "already initialized; admin client credentials are in {}",
                    opened.data.admin_client_path().display()
                ),
            }
            Ok(())
        }
        Command::Client(ClientCommand::Add(a)) => client_add(&cli, a).await,
        Command::Client(ClientCommand::List) => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            let list: Vec<serde_json::Value> = opened
                .engine
                .clients()
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(|c| c.to_public_json())
                .collect();
            print_json(&serde_json::Value::Array(list))
        }
        Command::Client(ClientCommand::Show { client_id }) => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            match opened
                .engine
                .client(client_id)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(c) => print_json(&c.to_public_json()),
                None => Err(format!("no client {client_id}")),
            }
        }
        Command::Client(ClientCommand::Remove { client_id }) => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            if opened
                .engine
                .remove_client(client_id)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("removed {client_id}");
                Ok(())
            } else {
                Err(format!("no client {client_id}"))
            }
        }
        Command::Scope(cmd) => scope_command(&cli, cmd).await,
        Command::Keys(cmd) => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            if matches!(cmd, KeysCommand::Rotate) {
                // Nodes sharing a database hold the key lease for a moment every tick, and a
                // successor must have been published long enough: retry for a while.
                let mut changes = Vec::new();
                for _ in 0..20 {
                    changes = opened
                        .engine
                        .rotate_keys(&ctx(), true)
                        .await
                        .map_err(|e| e.to_string())?;
                    if !changes.is_empty() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                if changes.is_empty() {
                    return Err("no rotation: another node holds the key lease, or the next keys                                 were published too recently for every node to serve them;                                 try again shortly"
                        .to_owned());
                }
                eprintln!("{} key changes applied", changes.len());
            }
            let ring = opened.engine.keys().ring();
            let list: Vec<serde_json::Value> = ring
                .keys()
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "kid": k.kid, "alg": k.alg, "status": k.status.as_str(),
                        "created_at": k.created_at, "activated_at": k.activated_at,
                        "retired_at": k.retired_at, "publish_until": k.publish_until,
                    })
                })
                .collect();
            print_json(&serde_json::Value::Array(list))
        }
        Command::User(cmd) => user_command(&cli, cmd).await,
        Command::Config(cmd) => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            let engine = &opened.engine;
            if let ConfigCommand::Set { assignments } = cmd {
                let mut doc =
                    jans_core::engine::shared_doc(&engine.config()).map_err(|e| e.to_string())?;
                for a in assignments {
                    let (key, raw) = a
                        .split_once('=')
                        .ok_or_else(|| format!("{a}: expected PROPERTY=VALUE"))?;
                    let value = serde_json::from_str(raw)
                        .unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
                    if let serde_json::Value::Object(m) = &mut doc {
                        m.insert(key.to_owned(), value);
                    }
                }
                let revision = engine.update_config(doc).await.map_err(|e| e.to_string())?;
                eprintln!("configuration revision {revision} stored");
            }
            let mut shown =
                jans_core::engine::shared_doc(&engine.config()).map_err(|e| e.to_string())?;
            if let serde_json::Value::Object(m) = &mut shown {
                m.insert("revision".into(), engine.config_revision().into());
            }
            print_json(&shown)
        }
        Command::Cleanup => {
            let opened = open(&cli, Issuer::Configured, false).await?;
            match opened
                .engine
                .cleanup(&ctx())
                .await
                .map_err(|e| e.to_string())?
            {
                Some(n) => println!("deleted {n} expired grant records"),
                None => println!("another node is sweeping expired grants now; nothing done"),
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ready_url;

    #[test]
    fn healthcheck_asks_loopback_for_wildcard_listeners() {
        assert_eq!(
            ready_url("0.0.0.0:8080"),
            "http://127.0.0.1:8080/health/ready"
        );
        assert_eq!(ready_url("[::]:9000"), "http://[::1]:9000/health/ready");
        assert_eq!(
            ready_url("10.1.2.3:8080"),
            "http://10.1.2.3:8080/health/ready"
        );
        assert_eq!(
            ready_url("localhost:8080"),
            "http://localhost:8080/health/ready"
        );
    }
}
