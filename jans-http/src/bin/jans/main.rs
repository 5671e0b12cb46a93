//! `jans`: run the jans-rs identity server and administer its data directory. One module
//! per command group under [`cli`].

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jans_http::telemetry::{LogFormat, init_logging};

use cli::Res;

#[derive(Parser, Debug)]
#[command(
    name = "jans",
    version,
    about = "jans-rs: the Janssen identity platform in Rust"
)]
pub(crate) struct Cli {
    /// Data directory (database, keys, admin client credentials) [default: ./jans-data].
    #[arg(long, global = true, env = "JANS_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Configuration file (TOML, or JSON when named *.json) with Janssen property names.
    #[arg(long, global = true, env = "JANS_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// A running server to manage through its config API (`client`, `user`, `scope`,
    /// `keys`, `config`), e.g. http://localhost:8080; without it a server holding the data
    /// directory is found by itself.
    #[arg(long, global = true, env = "JANS_URL")]
    pub(crate) url: Option<String>,
    /// A bearer token for that API (else the admin client's credentials are used);
    /// prefer the JANS_TOKEN environment variable to the command line.
    #[arg(long, global = true, env = "JANS_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// `--data-dir`, `JANS_DATA_DIR`, or `./jans-data`.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./jans-data"))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve HTTP(S); initializes the data directory on first start.
    Serve(cli::serve::ServeArgs),
    /// Initialize the data directory: database, signing keys, admin client.
    Init,
    /// Create or upgrade the PostgreSQL schema, then load the initial data (signing keys,
    /// default scopes, admin client) as `init` does; safe to run again and from several
    /// nodes at once.
    Migrate(cli::migrate::MigrateArgs),
    /// Manage clients.
    #[command(subcommand)]
    Client(cli::client::ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(cli::keys::KeysCommand),
    /// Manage people (users).
    #[command(subcommand)]
    User(cli::user::UserCommand),
    /// Manage people's FIDO2 credentials (passkeys, security keys).
    #[command(subcommand)]
    Fido2(cli::fido2::Fido2Command),
    /// Manage scopes (Janssen's scope entries: type, claims, discovery listing).
    #[command(subcommand)]
    Scope(cli::scope::ScopeCommand),
    /// Manage the SAML IdP's service providers (trust relationships).
    #[command(subcommand)]
    Saml(cli::saml::SamlCommand),
    /// Delete expired grants now.
    Cleanup,
    /// Show or change the server configuration shared by the nodes of a PostgreSQL store.
    #[command(subcommand)]
    Config(cli::config::ConfigCommand),
    /// Ask a running `jans serve` whether it is ready (`GET /health/ready`): exit status 0
    /// on 200, else 1 with the reason on stderr. For container health checks in images
    /// without curl.
    Healthcheck(cli::healthcheck::HealthcheckArgs),
}

async fn run(cli: Cli) -> Res<()> {
    match &cli.command {
        Command::Serve(args) => cli::serve::run(&cli, args).await,
        Command::Healthcheck(args) => cli::healthcheck::run(args).await,
        Command::Migrate(args) => cli::migrate::run(&cli, args).await,
        Command::Init => cli::init::run(&cli).await,
        Command::Client(cmd) => cli::client::run(&cli, cmd).await,
        Command::Scope(cmd) => cli::scope::run(&cli, cmd).await,
        Command::Keys(cmd) => cli::keys::run(&cli, cmd).await,
        Command::User(cmd) => cli::user::run(&cli, cmd).await,
        Command::Fido2(cmd) => cli::fido2::run(&cli, cmd).await,
        Command::Saml(cmd) => cli::saml::run(&cli, cmd).await,
        Command::Config(cmd) => cli::config::run(&cli, cmd).await,
        Command::Cleanup => cli::cleanup::run(&cli).await,
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
