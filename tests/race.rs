//! Another request landing at a chosen moment: a store whose first request of a chosen kind
//! waits until something else has run (an erasure, an escalation) and then goes on. How the
//! tests reach what the product does only when two requests interleave just so, such as an
//! erasure that lands while a record is being written.

use crate::layer::{Layer, over};
pub use crate::layer::{partition, sort_key};
use aws_sdk_dynamodb::config::http::HttpRequest;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector};
use callscope_core::store::DynamoStore;
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Mutex;

/// Which request to hold: its operation (`PutItem`) and JSON body.
type Pick = dyn Fn(&str, &Value) -> bool + Send + Sync;

/// `store`'s table through a client whose first request that `at` picks is held until `first`
/// has run to its end. The client keeps everything else of `store`'s.
pub fn before(
    store: &DynamoStore,
    at: impl Fn(&str, &Value) -> bool + Send + Sync + 'static,
    first: impl Future<Output = ()> + Send + 'static,
) -> DynamoStore {
    let race = Race { at: Box::new(at), first: Mutex::new(Some(Box::pin(first))) };
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(over(store.sdk_config(), race).build()), store.table())
}

struct Race {
    at: Box<Pick>,
    first: Mutex<Option<BoxFuture<'static, ()>>>,
}

impl std::fmt::Debug for Race {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Race")
    }
}

impl Layer for Race {
    fn call(&self, request: HttpRequest, next: &SharedHttpConnector) -> HttpConnectorFuture {
        let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap_or_default();
        let first =
            if (self.at)(crate::layer::operation(&request), &body) { self.first.lock().unwrap().take() } else { None };
        match first {
            None => next.call(request),
            Some(first) => {
                let next = next.clone();
                HttpConnectorFuture::new(async move {
                    // A task of its own: polled inside this request, its futures would nest
                    // deep enough to overflow a test thread's stack.
                    if let Err(failed) = tokio::spawn(first).await {
                        std::panic::resume_unwind(failed.into_panic());
                    }
                    next.call(request).await
                })
            }
        }
    }
}
