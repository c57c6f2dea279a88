//! Wires the Graph worker: configuration (the client secret and the clientState from Secrets
//! Manager in AWS, read once at cold start), the DynamoDB client, the work queues, the Graph
//! client, the Lambda runtime.

use callscope_core::app::connector::{BackfillBound, Deadline, RETRY_BASE, Worker};
use callscope_core::app::dispatch::Dispatch;
use callscope_core::domain::connector::{FleetBudget, PerRecordLimits};
use callscope_core::msgraph::{GraphClient, GraphSettings};
use callscope_core::queue::{QueueUrls, WorkQueue};
use callscope_core::store::DynamoStore;
use callscope_core::support::config::Config;
use callscope_core::support::secrets_manager::Environment;
use callscope_core::support::{clock::Clock, telemetry};
use ingest::worker::{Invocation, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// How long one backfill run lists before handing the rest over (the function times out at 5 min).
const BACKFILL_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);
/// The function's timeout in `infra/template.yaml`: the deadline when the context's is not one.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
/// How long before the deadline a fetch stops asking Graph (and the invocation takes no new
/// message): room for one request's timeout, then for storing a whole record (or keeping its
/// pages).
const FETCH_MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

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
    let queues = QueueUrls::from_lookup(|name| environment.get(name))
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let dispatch = Dispatch {
        store: DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await,
        queue: WorkQueue::connect(queues, env!("CARGO_BIN_NAME")).await,
    };
    let worker = Worker {
        dispatch,
        graph: GraphClient::new(settings),
        home_tenant: config.home_tenant_id,
        backfill_budget: BACKFILL_BUDGET,
        pacing: PerRecordLimits::GRAPH,
        margin: FETCH_MARGIN,
        retry_base: RETRY_BASE,
        backfill_bound: BackfillBound::DEPLOYED,
        budget: FleetBudget::GRAPH,
    };
    let clock = Clock::system();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| {
        let deadline = Deadline::from_lambda(event.context.deadline, TIMEOUT);
        let (worker, clock) = (&worker, &clock);
        async move { handle(worker, clock, event.payload, deadline).await.map_err(Error::from) }
    }))
    .await
}
