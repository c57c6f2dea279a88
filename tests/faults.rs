//! A fault-injecting HTTP client between the product and the local DynamoDB: for a set share of
//! requests it answers with a throttle or a 5xx without forwarding, drops the connection before
//! sending, forwards and then drops the answer (the write happened, the caller cannot know), or
//! answers a batch write with every item unprocessed. Seeded, so a failing run can be repeated.

use crate::layer::{Layer, over};
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use callscope_core::store::DynamoStore;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// `400 ThrottlingException`, nothing forwarded.
    Throttle,
    /// `500 InternalServerError`, nothing forwarded.
    ServerError,
    /// The connection fails before the request is sent.
    DropBeforeSend,
    /// The request is applied, then the connection fails before the answer arrives.
    DropAfterApply,
    /// A `BatchWriteItem` answered with every item unprocessed, nothing forwarded.
    Unprocessed,
}

const KINDS: [Fault; 4] = [Fault::Throttle, Fault::ServerError, Fault::DropBeforeSend, Fault::DropAfterApply];

#[derive(Debug)]
struct State {
    rate: f64,
    rng: fastrand::Rng,
    injected: BTreeMap<Fault, u64>,
    requests: BTreeMap<String, u64>,
}

/// Counts of what the layer saw and did, shared by every client built from it.
#[derive(Debug, Clone)]
pub struct FaultLayer {
    state: Arc<Mutex<State>>,
}

/// What a run went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultReport {
    /// Requests by DynamoDB operation, every attempt counted.
    pub requests: BTreeMap<String, u64>,
    pub injected: BTreeMap<Fault, u64>,
}

impl FaultReport {
    /// Every attempt that reached the layer.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Every fault injected.
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }
}

impl FaultLayer {
    /// Faults on `rate` (0.0–1.0) of requests, drawn from `seed`.
    pub fn new(rate: f64, seed: u64) -> Self {
        let state =
            State { rate, rng: fastrand::Rng::with_seed(seed), injected: BTreeMap::new(), requests: BTreeMap::new() };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    /// A store on `table` whose every request passes through this layer. Retries are the SDK's
    /// standard three attempts, with a short backoff and no retry quota so a test at a high
    /// fault rate finishes in seconds (a deployment keeps the SDK's defaults).
    pub fn store(&self, table: &str) -> DynamoStore {
        let retry = RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(2));
        let partition = RetryPartition::custom("fault-test").token_bucket(TokenBucket::unlimited()).build();
        let config = crate::client_config().retry_config(retry).retry_partition(partition).build();
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(over(&config, self.clone()).build()), table)
    }

    /// What has happened so far.
    pub fn report(&self) -> FaultReport {
        let state = self.state.lock().unwrap();
        FaultReport { requests: state.requests.clone(), injected: state.injected.clone() }
    }

    fn draw(&self, operation: &str) -> Option<Fault> {
        let mut state = self.state.lock().unwrap();
        *state.requests.entry(operation.to_owned()).or_default() += 1;
        if state.rng.f64() >= state.rate {
            return None;
        }
        let fault =
            if operation == "BatchWriteItem" { Fault::Unprocessed } else { KINDS[state.rng.usize(..KINDS.len())] };
        *state.injected.entry(fault).or_default() += 1;
        Some(fault)
    }
}

impl Layer for FaultLayer {
    fn call(&self, request: HttpRequest, next: &SharedHttpConnector) -> HttpConnectorFuture {
        let operation = crate::layer::operation(&request).to_owned();
        match self.draw(&operation) {
            None => next.call(request),
            Some(Fault::Throttle) => HttpConnectorFuture::ready(Ok(error_response(
                400,
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            ))),
            Some(Fault::ServerError) => {
                HttpConnectorFuture::ready(Ok(error_response(500, "InternalServerError", "Internal server error")))
            }
            Some(Fault::DropBeforeSend) => {
                HttpConnectorFuture::ready(Err(ConnectorError::io("injected: connection reset before sending".into())))
            }
            Some(Fault::DropAfterApply) => {
                let sent = next.call(request);
                HttpConnectorFuture::new(async move {
                    let _ = sent.await;
                    Err(ConnectorError::io("injected: connection reset after the request was applied".into()))
                })
            }
            Some(Fault::Unprocessed) => {
                let body: serde_json::Value =
                    serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap_or_default();
                let answer = serde_json::json!({ "UnprocessedItems": body["RequestItems"] });
                HttpConnectorFuture::ready(Ok(response(200, answer.to_string())))
            }
        }
    }
}

fn error_response(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": message });
    response(status, body.to_string())
}

/// An answer of the local DynamoDB's shape: `status`, JSON `body`.
pub(crate) fn response(status: u16, body: String) -> HttpResponse {
    let mut response = HttpResponse::new(StatusCode::try_from(status).expect("a valid status"), SdkBody::from(body));
    response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
    response
}
