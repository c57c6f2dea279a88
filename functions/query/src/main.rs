//! Wires the query function: configuration, the DynamoDB client, the Lambda runtime.

use callscope_core::app::site_cache::SiteCache;
use callscope_core::domain::access::CursorSigner;
use callscope_core::store::DynamoStore;
use callscope_core::support::{clock::Clock, config::Config, telemetry};
use lambda_http::{Error, Request, service_fn};
use query::{App, handle};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let cursor_key =
        config.require_cursor_key().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let (home_tenant, signer) = (config.home_tenant_id.clone(), CursorSigner::new(cursor_key));
    let store = DynamoStore::connect(&config.table_name, env!("CARGO_BIN_NAME")).await;
    let sites = std::sync::Arc::new(SiteCache::new(config.sites_refresh));
    let app = App { config, store, signer, home_tenant, clock: Clock::system(), sites };
    lambda_http::run(service_fn(|request: Request| async { Ok::<_, Error>(handle(&app, request).await) })).await
}
