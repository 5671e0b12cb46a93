//! The commands' other path: a running server's config API. When `jans serve` holds the
//! data directory (the embedded database admits one process), or when `--url` names a
//! server, `jans client|user|scope|keys|config ...` ask it through
//! `/jans-config-api/api/v1/` instead of opening the data directory, with a token of the
//! admin client (`admin-client.json`, client credentials at the server's token endpoint)
//! or the one `--token` gives. Their output is the same either way.
//!
//! `jans serve` writes where it listens to `server.json` in the data directory (and removes
//! it when it stops), which is how a command finds it.

use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use super::{CliError, Res};
use crate::Cli;

/// The file in the data directory naming the server that holds it.
pub(crate) const SERVER_FILE: &str = "server.json";

/// Write `server.json` for a server listening at `url`.
pub(crate) fn announce(data_dir: &Path, url: &str) -> std::io::Result<()> {
    let doc = serde_json::json!({"url": url, "pid": std::process::id()});
    std::fs::write(data_dir.join(SERVER_FILE), doc.to_string())
}

/// Remove `server.json` (the server stopped).
pub(crate) fn withdraw(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(SERVER_FILE));
}

/// A running server's config API, with a token for it.
pub(crate) struct Remote {
    api: String,
    token: String,
    http: reqwest::Client,
}

/// Why a request to the API failed, as the operator reads it.
fn failed(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Refused(format!("{what}: {e}"))
}

impl Remote {
    /// The server `--url` names, else the one `server.json` names; a token from `--token`,
    /// else the admin client's credentials.
    pub(crate) async fn connect(cli: &Cli) -> Res<Remote> {
        let data = cli.data_dir();
        let url = match &cli.url {
            Some(u) => u.clone(),
            None => {
                let text = std::fs::read_to_string(data.join(SERVER_FILE)).map_err(|e| {
                    failed(
                        &format!(
                            "the data directory {} is in use, and its server cannot be found \
                             ({SERVER_FILE}); give --url",
                            data.display()
                        ),
                        e,
                    )
                })?;
                let v: Value = serde_json::from_str(&text)?;
                v.get("url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| CliError::Refused(format!("{SERVER_FILE} names no url")))?
                    .to_owned()
            }
        };
        let base = url.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| failed("HTTP client", e))?;
        let token = match &cli.token {
            Some(t) => t.clone(),
            None => Self::admin_token(&http, &base, &data).await?,
        };
        Ok(Remote {
            api: format!("{base}/jans-config-api/api/v1"),
            token,
            http,
        })
    }

    /// A token of the admin client (`admin-client.json`) for the config API's super scopes.
    async fn admin_token(http: &reqwest::Client, base: &str, data: &Path) -> Res<String> {
        let path = data.join("admin-client.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            failed(
                &format!("cannot read {} (or give --token)", path.display()),
                e,
            )
        })?;
        let admin: Value = serde_json::from_str(&text)?;
        let field = |k: &str| {
            admin
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| CliError::Refused(format!("{} has no {k}", path.display())))
        };
        let (id, secret) = (field("client_id")?, field("client_secret")?);
        let r = http
            .post(format!("{base}/jans-auth/restv1/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "scope",
                    "https://jans.io/oauth/config/read-all https://jans.io/oauth/config/write-all \
                     https://jans.io/oauth/config/delete-all",
                ),
            ])
            .send()
            .await
            .map_err(|e| failed(&format!("cannot reach {base}"), e))?;
        let status = r.status();
        let body: Value = r.json().await.map_err(|e| failed("token endpoint", e))?;
        match body.get("access_token").and_then(Value::as_str) {
            Some(t) if status.is_success() => Ok(t.to_owned()),
            _ => Err(CliError::Refused(format!(
                "the admin client got no token from {base}: {body}"
            ))),
        }
    }

    /// `method path` with a JSON body of `media`: the status and the JSON answer (`Null`
    /// for none), the headers' ETag beside it.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, &Value)>,
    ) -> Res<(u16, Value, Option<String>)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some((media, b)) = body {
            req = req
                .header("content-type", media)
                .body(serde_json::to_vec(b)?);
        }
        let r = req
            .send()
            .await
            .map_err(|e| failed(&format!("cannot reach {}", self.api), e))?;
        let status = r.status().as_u16();
        let etag = r
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned());
        let bytes = r.bytes().await.map_err(|e| failed("the answer", e))?;
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        };
        Ok((status, v, etag))
    }

    /// `call`, a 2xx expected: the answer, or the API's refusal (its description).
    pub(crate) async fn ok(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, &Value)>,
    ) -> Res<Value> {
        let (status, v, _) = self.call(method, path, body).await?;
        if (200..300).contains(&status) {
            return Ok(v);
        }
        Err(CliError::Refused(refusal(status, &v)))
    }

    /// Every entry of a list (`PagedResult` pages of 200).
    pub(crate) async fn all(&self, path: &str, query: &str) -> Res<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let page = self
                .ok(
                    Method::GET,
                    &format!("{path}?limit=200&startIndex={}{sep}{query}", out.len() + 1),
                    None,
                )
                .await?;
            let entries = page
                .get("entries")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let total = page
                .get("totalEntriesCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let done = entries.is_empty();
            out.extend(entries);
            if done || out.len() as u64 >= total {
                return Ok(out);
            }
        }
    }

    /// Every scope, as stored (to read scope DNs back as ids).
    pub(crate) async fn scopes(&self) -> Res<Vec<jans_core::repo::scope::Scope>> {
        self.all("/scopes", "")
            .await?
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(CliError::from))
            .collect()
    }
}

/// The API's refusal as the operator reads it.
pub(crate) fn refusal(status: u16, v: &Value) -> String {
    v.get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the server answered {status}: {v}"))
}

/// Where a command does its work.
pub(crate) enum Target {
    /// The data directory, opened.
    Local(Box<super::Opened>),
    /// A running server's config API.
    Remote(Remote),
}

/// The server `--url` names; else the data directory, or when a running server holds it
/// (the embedded database admits one process), that server.
pub(crate) async fn target(cli: &Cli) -> Res<Target> {
    if cli.url.is_some() {
        return Ok(Target::Remote(Remote::connect(cli).await?));
    }
    match super::open(cli, super::Issuer::Configured, false).await {
        Ok(opened) => Ok(Target::Local(Box::new(opened))),
        Err(CliError::Host(jans_http::host::HostError::InUse(_))) => {
            Ok(Target::Remote(Remote::connect(cli).await?))
        }
        Err(e) => Err(e),
    }
}
