//! Wires the ingest function: configuration, the DynamoDB client, the Lambda runtime.

use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config, telemetry};
use ingest::{App, handle};
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let app = App { config, store, clock: Clock::system() };
    lambda_http::run(service_fn(|request: Request| async { Ok::<_, Error>(handle(&app, request).await) })).await
}
