//! Wires the classify function: configuration, the DynamoDB client, the Lambda runtime.
// The classification future nests the store's batched reads and an erasure's rewrite: deeper
// than the default limit lets the compiler lay out.
#![recursion_limit = "256"]

use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config, telemetry};
use classify::{App, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let app = App { store, thresholds: config.thresholds, clock: Clock::system(), home_tenant: config.home_tenant_id };
    lambda_runtime::run(service_fn(|event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async {
        Ok::<_, Error>(handle(&app, event.payload).await)
    }))
    .await
}
