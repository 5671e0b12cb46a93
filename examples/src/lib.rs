//! Shared code of the embedding examples, so tests run exactly what the examples show.

use std::sync::Arc;

use jans_core::params::Params;
use jans_core::repo::Stores;
use jans_core::repo::client::ClientMetadata;
use jans_core::{AuthEndpoint, Config, Ctx, Engine, Method, Random, Request};

/// Randomness from the operating system (what a real embedder provides).
#[derive(Debug)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, dest: &mut [u8]) {
        jans_http::OsRandom.fill(dest);
    }
}

/// A context at the current time.
pub fn ctx() -> Ctx {
    Ctx::new(jans_http::now(), Arc::new(OsRandom), "example")
}

/// An engine on memory stores with a fresh master key, its signing keys generated.
pub async fn started_in_memory(config: Config) -> Result<Engine, Box<dyn std::error::Error>> {
    let mut master = [0u8; 32];
    OsRandom.fill(&mut master);
    let engine = Engine::builder(config)
        .stores(Stores::memory())
        .master_key(master)
        .build()?;
    engine.start(&ctx()).await?;
    Ok(engine)
}

/// Embed the engine in-process: memory stores, one client, a client_credentials token
/// through `Engine::handle`, then introspection. Returns the introspection answer.
pub async fn in_process() -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let config = Config {
        issuer: "https://id.example.com".into(),
        key_algs_allowed_for_generation: vec![jans_core::jose::Algorithm::ES256.into()],
        default_signature_algorithm: jans_core::jose::Algorithm::ES256,
        ..Config::default()
    };
    let engine = started_in_memory(config).await?;
    let client = engine
        .register_client(
            ClientMetadata::from_json(serde_json::json!({
                "client_name": "in-process example",
                "token_endpoint_auth_method": "client_secret_post",
                "scope": "read",
            }))?,
            &ctx(),
        )
        .await?;
    let secret = client.client_secret.clone().unwrap_or_default();
    let token = engine
        .handle(
            Request::new(AuthEndpoint::Token, Method::Post).with_form(Params::from_pairs([
                ("grant_type", "client_credentials"),
                ("client_id", client.client.client_id.as_str()),
                ("client_secret", secret.as_str()),
            ])),
            &ctx(),
        )
        .await;
    let token: serde_json::Value = serde_json::from_slice(&token.body_bytes())?;
    let access_token = token["access_token"].as_str().ok_or("no access token")?;
    let introspection = engine
        .handle(
            Request::new(AuthEndpoint::Introspection, Method::Post).with_form(Params::from_pairs(
                [
                    ("token", access_token),
                    ("client_id", client.client.client_id.as_str()),
                    ("client_secret", secret.as_str()),
                ],
            )),
            &ctx(),
        )
        .await;
    Ok(serde_json::from_slice(&introspection.body_bytes())?)
}

/// Your own axum application with the jans-rs router mounted beside your routes: `/hello`
/// is yours, Janssen's paths are the engine's. The issuer is `http://localhost:PORT` for the
/// port `listener` is bound to.
pub async fn mount_in_axum(
    listener: &tokio::net::TcpListener,
) -> Result<axum::Router, Box<dyn std::error::Error>> {
    use axum::routing::get;
    let port = listener.local_addr()?.port();
    let config = Config {
        issuer: format!("http://localhost:{port}"),
        ..Config::default()
    };
    let engine = started_in_memory(config).await?;
    Ok(axum::Router::new()
        .route("/hello", get(|| async { "your own route" }))
        .merge(jans_http::router(engine, jans_http::HostConfig::default())))
}

#[cfg(test)]
mod tests {
    /// The mount_in_axum example, served on a free port and asked over HTTP.
    #[tokio::test]
    async fn mount_in_axum_serves_both_routers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = super::mount_in_axum(&listener).await.unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let hello = http.get(format!("{base}/hello")).send().await.unwrap();
        assert_eq!(hello.status(), 200);
        assert_eq!(hello.text().await.unwrap(), "your own route");
        let discovery: serde_json::Value = http
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], format!("http://localhost:{port}"));
        let jwks = http
            .get(format!("{base}/jans-auth/restv1/jwks"))
            .send()
            .await
            .unwrap();
        assert_eq!(jwks.status(), 200);
        let missing = http.get(format!("{base}/nope")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
    }

    #[tokio::test]
    async fn in_process_example_gets_an_active_token() {
        let v = super::in_process().await.unwrap();
        assert_eq!(v["active"], true);
        assert_eq!(v["scope"], "read");
    }
}
