//! Another request landing at a chosen moment: a store whose first request of a chosen kind
//! waits until something else has run (an erasure, an escalation) and then goes on. How the
//! tests reach what the product does only when two requests interleave just so, such as an
//! erasure that lands while a record is being written.

use aws_sdk_dynamodb::config::http::HttpRequest;
use aws_sdk_dynamodb::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use callscope_core::store::DynamoStore;
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Which request to hold: its operation (`PutItem`) and JSON body.
type Pick = dyn Fn(&str, &Value) -> bool + Send + Sync;

/// `store`'s table through a client whose first request that `at` picks is held until `first`
/// has run to its end. The client keeps everything else of `store`'s.
pub fn before(
    store: &DynamoStore,
    at: impl Fn(&str, &Value) -> bool + Send + Sync + 'static,
    first: impl Future<Output = ()> + Send + 'static,
) -> DynamoStore {
    let config = store.sdk_config();
    let inner = config
        .http_client()
        .unwrap_or_else(|| SharedHttpClient::new(aws_smithy_http_client::Builder::new().build_http()));
    let race = Race { inner, at: Arc::new(at), first: Arc::new(Mutex::new(Some(Box::pin(first)))) };
    let config = config.to_builder().http_client(race).build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), store.table())
}

/// The partition key a one-item request (`PutItem`, `UpdateItem`, ...) names.
pub fn partition(body: &Value) -> &str {
    body["Item"]["PK"]["S"].as_str().or(body["Key"]["PK"]["S"].as_str()).unwrap_or_default()
}

/// The sort key a one-item request names.
pub fn sort_key(body: &Value) -> &str {
    body["Item"]["SK"]["S"].as_str().or(body["Key"]["SK"]["S"].as_str()).unwrap_or_default()
}

#[derive(Clone)]
struct Race {
    inner: SharedHttpClient,
    at: Arc<Pick>,
    first: Arc<Mutex<Option<BoxFuture<'static, ()>>>>,
}

impl std::fmt::Debug for Race {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Race")
    }
}

impl HttpClient for Race {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(RaceConnector { inner, race: self.clone() })
    }
}

#[derive(Debug)]
struct RaceConnector {
    inner: SharedHttpConnector,
    race: Race,
}

impl HttpConnector for RaceConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap_or_default();
        let first = if (self.race.at)(operation, &body) { self.race.first.lock().unwrap().take() } else { None };
        match first {
            None => self.inner.call(request),
            Some(first) => {
                let inner = self.inner.clone();
                HttpConnectorFuture::new(async move {
                    // A task of its own: polled inside this request, its futures would nest
                    // deep enough to overflow a test thread's stack.
                    if let Err(failed) = tokio::spawn(first).await {
                        std::panic::resume_unwind(failed.into_panic());
                    }
                    inner.call(request).await
                })
            }
        }
    }
}
