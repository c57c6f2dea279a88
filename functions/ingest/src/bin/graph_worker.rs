//! Wires the Graph worker: configuration (the client secret from Secrets Manager in AWS), the
//! DynamoDB client, the Graph client, the Lambda runtime.

use callscope_core::app::connector::Worker;
use callscope_core::msgraph::{GraphClient, GraphSettings};
use callscope_core::store::DynamoStore;
use callscope_core::support::config::{Config, ConfigError};
use callscope_core::support::{clock::Clock, telemetry};
use ingest::worker::{Invocation, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// How long one backfill run lists before handing the rest over (the function times out at 5 min).
const BACKFILL_BUDGET: std::time::Duration = std::time::Duration::from_secs(120);

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let secret = client_secret().await.inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let settings = GraphSettings::from_lookup(|name| std::env::var(name).ok(), &config.home_tenant_id, secret)
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

/// `GRAPH_CLIENT_SECRET` (local runs), else the secret `GRAPH_CLIENT_SECRET_ARN` names in
/// Secrets Manager (AWS), read once at cold start.
async fn client_secret() -> Result<String, ConfigError> {
    if let Some(secret) = std::env::var("GRAPH_CLIENT_SECRET").ok().filter(|s| !s.trim().is_empty()) {
        return Ok(secret);
    }
    let arn = std::env::var("GRAPH_CLIENT_SECRET_ARN").map_err(|_| ConfigError::Missing("GRAPH_CLIENT_SECRET_ARN"))?;
    let client = aws_sdk_secretsmanager::Client::new(&aws_config::load_from_env().await);
    let answer = client.get_secret_value().secret_id(&arn).send().await.map_err(|e| ConfigError::Invalid {
        name: "GRAPH_CLIENT_SECRET_ARN",
        reason: format!("the secret could not be read: {}", aws_sdk_secretsmanager::error::DisplayErrorContext(e)),
    })?;
    answer.secret_string().map(str::to_owned).ok_or(ConfigError::Invalid {
        name: "GRAPH_CLIENT_SECRET_ARN",
        reason: "the secret has no string value".to_owned(),
    })
}
