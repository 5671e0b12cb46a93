//! `jans healthcheck`: ask a running `jans serve` whether it is ready.

use std::net::SocketAddr;

use clap::Args;

use super::{CliError, Res, refused};

#[derive(Args, Debug)]
pub(crate) struct HealthcheckArgs {
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

pub(crate) async fn run(args: &HealthcheckArgs) -> Res<()> {
    let url = args.url.clone().unwrap_or_else(|| ready_url(&args.listen));
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CliError::Refused(jans_core::error::with_causes(&e)))?;
    let response =
        client.get(&url).send().await.map_err(|e| {
            CliError::Refused(format!("{url}: {}", jans_core::error::with_causes(&e)))
        })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(200).collect();
    if status == reqwest::StatusCode::OK {
        println!("{url}: {status} {body}");
        Ok(())
    } else {
        refused(format!("{url}: {status} {body}"))
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
