//! `jans serve`: serve HTTP(S), initializing the data directory on first start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use jans_http::host::datadir::{DataDir, load_config};
use jans_http::{AppState, HostConfig, Metrics, OsRandom};

use super::{CliError, Issuer, Res, ctx, open_with};
use crate::Cli;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
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
    /// Also listen here with HTTPS that asks clients for a certificate (mutual TLS, RFC
    /// 8705): the address of the configured `mtls…Endpoint` aliases. Needs --tls-cert and
    /// --tls-key; browsers keep using --listen, where no certificate is asked for.
    #[arg(long, env = "JANS_MTLS_LISTEN", requires = "tls_cert")]
    mtls_listen: Option<String>,
    /// Addresses or CIDR blocks of proxies whose forwarded client certificates
    /// (X-Forwarded-Client-Cert, X-Forwarded-Tls-Client-Cert, X-ClientCert) and client
    /// addresses (X-Forwarded-For) are believed, comma-separated; from any other peer
    /// those headers are ignored.
    #[arg(long, env = "JANS_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
    /// Directory of page templates overriding the embedded ones (login.html, consent.html,
    /// error.html, base.html).
    #[arg(long, env = "JANS_TEMPLATES")]
    templates: Option<PathBuf>,
    /// Components to serve, comma-separated: auth, fido2, scim, config-api, casa, saml
    /// (default all). Those not listed expose no routes.
    #[arg(
        long,
        env = "JANS_COMPONENTS",
        default_value = "auth,fido2,scim,config-api,casa,saml"
    )]
    components: String,
    /// An IP-to-country table (CSV of `first,last,country` ranges: DB-IP's "IP to Country
    /// Lite", IP2Location's LITE DB1), read at start: the countries Casa's "unknown
    /// location" policy compares. Without one, that policy is not offered.
    #[arg(long, env = "JANS_GEOIP_FILE")]
    geoip_file: Option<PathBuf>,
    /// Casa's branding directory: its `custom.css`, `logo.png` and the files they name,
    /// served at /jans-casa/custom/ and used when Casa's `use_branding` is on.
    #[arg(long, env = "JANS_CASA_BRANDING")]
    casa_branding: Option<PathBuf>,
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

pub(crate) async fn run(cli: &Cli, args: &ServeArgs) -> Res<()> {
    let started = std::time::Instant::now();
    let components = jans_http::components::Components::parse(&args.components)
        .map_err(|e| CliError::Refused(format!("--components: {e}")))?;
    let addr = tokio::net::lookup_host(&args.listen)
        .await
        .map_err(|e| CliError::Refused(format!("--listen {}: {e}", args.listen)))?
        .next()
        .ok_or_else(|| CliError::Refused(format!("--listen {}: no address", args.listen)))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(jans_http::serve::tls_config(c, k)?),
        _ => None,
    };
    let mtls = match (&args.mtls_listen, &args.tls_cert, &args.tls_key) {
        (Some(listen), Some(c), Some(k)) => {
            let addr = tokio::net::lookup_host(listen)
                .await
                .map_err(|e| CliError::Refused(format!("--mtls-listen {listen}: {e}")))?
                .next()
                .ok_or_else(|| CliError::Refused(format!("--mtls-listen {listen}: no address")))?;
            Some((addr, jans_http::serve::mtls_config(c, k)?))
        }
        (Some(_), _, _) => {
            return Err(CliError::Refused(
                "--mtls-listen needs --tls-cert and --tls-key".into(),
            ));
        }
        _ => None,
    };
    let trusted_proxies = args
        .trusted_proxies
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            jans_core::outbound::Cidr::parse(p.trim()).ok_or_else(|| {
                CliError::Refused(format!(
                    "--trusted-proxies: {p:?} is not an IP address or CIDR block"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let issuer = match &args.issuer {
        Some(i) => Issuer::Explicit(i.clone()),
        None => Issuer::Derived(derived_issuer(&addr, tls.is_some())),
    };
    let config = load_config(cli.config.as_deref())?;
    let first_start = !DataDir::new(cli.data_dir()).is_initialized(config.persistence.kind);
    jans_http::host::datadir::wait_for_database(&config, std::time::Duration::from_secs(300))
        .await?;
    let background = jans_http::Background::new();
    let opened = open_with(
        cli,
        issuer,
        true,
        Some(&background),
        args.geoip_file.clone(),
    )
    .await?;
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
    // The FIDO metadata folders, before the first request (URLs are the tick's).
    jans_http::host::fido2_metadata::load(&opened.engine, &ctx());
    // The UMA policies: one that does not parse stops the server, located.
    let policies = jans_http::host::uma_policies::load(&opened.engine)
        .map_err(|e| CliError::Refused(format!("umaCedarPolicies: {e}")))?;
    if policies > 0 {
        tracing::info!(policies, "UMA Cedar policies loaded");
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Refused(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    // Bound before the server says it listens, so a caller that waits for that line finds
    // both listeners.
    let mtls = match mtls {
        Some((addr, config)) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| CliError::Refused(format!("cannot listen on {addr}: {e}")))?;
            let local = listener.local_addr()?;
            tracing::info!(%local, "mutual TLS listening on {local}");
            println!("jans mutual TLS on {local}");
            Some((listener, config))
        }
        None => None,
    };
    let pages = jans_http::pages::Pages::load(args.templates.as_deref())?;
    let state = Arc::new(
        AppState::new(
            opened.engine.clone(),
            Arc::new(Metrics::default()),
            Arc::new(OsRandom),
        )
        .with_pages(pages)
        .with_trusted_proxies(trusted_proxies)
        .with_casa_branding(args.casa_branding.clone()),
    );
    let host = HostConfig {
        hsts: tls.is_some(),
        components,
        ..HostConfig::default()
    };
    opened.engine.set_served(&components.names());
    let router = jans_http::router_with(state.clone(), &host);
    // The configuration's loggingLevel, applied when it changes (the config API's
    // `logging`, on any node: every node's configuration follows the stored one).
    let levels = {
        let engine = opened.engine.clone();
        tokio::spawn(async move {
            let mut applied = String::new();
            loop {
                let level = engine.config().logging_level.clone();
                if level != applied {
                    // Said (at info) when it changes, not at the start.
                    if jans_http::telemetry::apply_level(&level) && !applied.is_empty() {
                        tracing::info!(%level, "log level set");
                    }
                    applied = level;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        })
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let bg = tokio::spawn(jans_http::background(state, background, stop_rx));
    let issuer = opened.engine.config().issuer.clone();
    tracing::info!(
        %local, %issuer, tls = tls.is_some(),
        ready_ms = started.elapsed().as_millis() as u64,
        "listening on {local}"
    );
    println!("jans listening on {local} (issuer {issuer})");
    // Where commands run against this data directory find this server.
    let reach = if local.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Err(e) = super::remote::announce(&opened.data.path, &format!("{scheme}://{reach}")) {
        tracing::warn!(error = %e, "cannot write server.json: commands will need --url");
    }
    // The mutual-TLS listener stops when the main one does.
    let (mtls_stop, mtls_stopped) = tokio::sync::watch::channel(false);
    let mtls_task = match mtls {
        Some((listener, config)) => {
            let router = router.clone();
            let mut stopped = mtls_stopped;
            Some(tokio::spawn(async move {
                let stop = async move {
                    let _ = stopped.changed().await;
                };
                jans_http::serve::serve(listener, router, Some(config), stop).await
            }))
        }
        None => None,
    };
    let served =
        jans_http::serve::serve(listener, router, tls, jans_http::serve::shutdown_signal()).await;
    let _ = mtls_stop.send(true);
    if let Some(task) = mtls_task {
        let _ = task.await;
    }
    super::remote::withdraw(&opened.data.path);
    levels.abort();
    served?;
    let _ = stop_tx.send(true);
    let _ = bg.await;
    tracing::info!("stopped");
    Ok(())
}
