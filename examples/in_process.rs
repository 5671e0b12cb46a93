//! Embed jans-core in-process: `cargo run -p jans-examples --example in_process`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let introspection = jans_examples::in_process().await?;
    println!("{}", serde_json::to_string_pretty(&introspection)?);
    Ok(())
}
