//! Wires the query function: configuration (the cursor keys from Secrets Manager in AWS), the
//! DynamoDB client, the Graph connector's queues (their depth only), the Lambda runtime.

use callscope_core::app::site_cache::SiteCache;
use callscope_core::domain::access::CursorSigner;
use callscope_core::queue::QueueGauge;
use callscope_core::store::DynamoStore;
use callscope_core::support::secrets_manager::load_config;
use callscope_core::support::{clock::Clock, telemetry};
use callscope_http::HttpFunction;
use lambda_http::Error;
use query::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config =
        load_config(&["CURSOR_KEY"]).await.inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let keys = config.require_cursor_key().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let signer = CursorSigner::new(keys.current.expose());
    let signer = match &keys.previous {
        Some(previous) => signer.also_accepting(previous.expose()),
        None => signer,
    };
    let home_tenant = config.home_tenant_id.clone();
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let sites = std::sync::Arc::new(SiteCache::new(config.sites_refresh));
    let client = QueueGauge::client(env!("CARGO_BIN_NAME")).await;
    let queues = QueueGauge::from_lookup(client, |name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    lambda_http::run(App { config, store, signer, home_tenant, clock: Clock::system(), sites, queues }.edge()).await
}
