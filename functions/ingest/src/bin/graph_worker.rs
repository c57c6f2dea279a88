//! Wires the Graph worker: configuration (the client secret and the clientState from Secrets
//! Manager in AWS, read once at cold start), the DynamoDB client, the Graph client, the Lambda
//! runtime.

use callscope_core::app::connector::Worker;
use callscope_core::msgraph::{GraphClient, GraphSettings};
use callscope_core::store::DynamoStore;
use callscope_core::support::config::Config;
use callscope_core::support::secrets_manager::Environment;
use callscope_core::support::{clock::Clock, telemetry};
use ingest::worker::{Invocation, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// How long one backfill run lists before handing the rest over (the function times out at 5 min).
const BACKFILL_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let environment = Environment::load(&["GRAPH_CLIENT_SECRET", "GRAPH_CLIENT_STATE"])
        .await
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let config = Config::from_lookup(|name| environment.get(name))
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let settings = GraphSettings::from_lookup(|name| environment.get(name), &config.home_tenant_id)
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let worker = Worker {
        store: DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await,
        graph: GraphClient::new(settings),
        home_tenant: config.home_tenant_id,
        backfill_budget: BACKFILL_BUDGET,
    };
    let clock = Clock::system();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| async {
        handle(&worker, &clock, event.payload).await.map_err(Error::from)
    }))
    .await
}
