//! Mount the jans-rs router inside your own axum application:
//! `cargo run -p jans-examples --example mount_in_axum`, then
//! `curl http://localhost:3000/.well-known/openid-configuration` and `curl localhost:3000/hello`.

use axum::Router;
use axum::routing::get;
use jans_core::store::Stores;
use jans_core::{Config, Engine, Random};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config {
        issuer: "http://localhost:3000".into(),
        ..Config::default()
    };
    let mut master = [0u8; 32];
    jans_http::OsRandom.fill(&mut master);
    let engine = Engine::builder(config)
        .stores(Stores::memory())
        .master_key(master)
        .build()?;
    engine.start(&jans_examples::ctx()).await?;
    let app = Router::new()
        .route("/hello", get(|| async { "your own route" }))
        .merge(jans_http::router(engine, jans_http::HostConfig::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://localhost:3000");
    axum::serve(listener, app).await?;
    Ok(())
}
