//! Wires the ingest function: configuration, the DynamoDB client, the Graph worker's queues
//! (an admin's backfill), the Lambda runtime.

use callscope_core::queue::{QueueUrls, WorkQueue};
use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config, telemetry};
use callscope_http::HttpFunction;
use ingest::App;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let queues = QueueUrls::from_lookup(|name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let queue = WorkQueue::connect(queues, env!("CARGO_BIN_NAME")).await;
    lambda_http::run(App { config, store, queue, clock: Clock::system() }.edge()).await
}
