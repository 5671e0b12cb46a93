//! Mount the jans-rs router inside your own axum application:
//! `cargo run -p jans-examples --example mount_in_axum`, then
//! `curl http://localhost:3000/.well-known/openid-configuration` and `curl localhost:3000/hello`.
//! (`jans_examples::mount_in_axum` builds the application; its test serves it.)

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    let app = jans_examples::mount_in_axum(&listener).await?;
    println!("listening on http://localhost:3000");
    axum::serve(listener, app).await?;
    Ok(())
}
