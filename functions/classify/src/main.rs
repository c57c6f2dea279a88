//! Wires the classify function: configuration, the DynamoDB client, the Lambda runtime.
// The classification future nests the store's batched reads and an erasure's rewrite: deeper
// than the default limit lets the compiler lay out.
#![recursion_limit = "256"]

use callscope_core::store::DynamoStore;
use callscope_core::support::deadline::Deadline;
use callscope_core::support::{clock::Clock, config::Config, telemetry};
use classify::{App, Invocation, invoke};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// The function's timeout in the template, for a context without a deadline (`cargo lambda`).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// What a batch leaves itself after an erasure's round: to save the marker and answer.
const MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let app = App { store, thresholds: config.thresholds, clock: Clock::system(), home_tenant: config.home_tenant_id };
    let app = &app;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| async move {
        let deadline = Deadline::from_lambda(event.context.deadline, TIMEOUT).less(MARGIN);
        Ok::<_, Error>(invoke(app, event.payload, deadline).await?)
    }))
    .await
}
