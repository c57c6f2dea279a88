//! Wires the webhook function: configuration (the clientState from Secrets Manager in AWS,
//! checked at cold start; the home tenant), the DynamoDB client, the Graph worker's queues,
//! the Lambda runtime.

use callscope_core::app::dispatch::Dispatch;
use callscope_core::queue::{QueueUrls, WorkQueue};
use callscope_core::store::DynamoStore;
use callscope_core::support::secrets_manager::load_config;
use callscope_core::support::{clock::Clock, telemetry};
use callscope_http::HttpFunction;
use lambda_http::Error;
use webhook::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = load_config(&["GRAPH_CLIENT_STATE"])
        .await
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let client_state = config
        .require_graph_client_state()
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?
        .clone();
    let queues = QueueUrls::from_lookup(|name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let dispatch = Dispatch {
        store: DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await,
        queue: WorkQueue::connect(queues, env!("CARGO_BIN_NAME")).await,
    };
    lambda_http::run(App { client_state, home_tenant: config.home_tenant_id, dispatch, clock: Clock::system() }.edge())
        .await
}
