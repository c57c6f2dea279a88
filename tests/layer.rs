//! Layers beneath the SDK: each sees a request as it would go on the wire, and may answer it
//! instead of the server (an injected fault, IAM's refusal) or hold it (a race) before passing it
//! on. A layer wraps the SDK's HTTP connector, the one place where a request can be answered
//! without being sent (docs/decisions.md, decision 25).

use aws_sdk_dynamodb::config::http::HttpRequest;
use aws_sdk_dynamodb::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use std::sync::Arc;

/// What a layer does with each request.
pub trait Layer: std::fmt::Debug + Send + Sync + 'static {
    /// Answers `request`, or passes it on to `next` (the layers beneath it, then the server).
    fn call(&self, request: HttpRequest, next: &SharedHttpConnector) -> HttpConnectorFuture;
}

/// A client configuration like `config` (endpoint, retries, interceptors and the layers already
/// there) whose requests go through `layer` first.
pub fn over(config: &aws_sdk_dynamodb::Config, layer: impl Layer) -> aws_sdk_dynamodb::config::Builder {
    let next = config
        .http_client()
        .unwrap_or_else(|| SharedHttpClient::new(aws_smithy_http_client::Builder::new().build_http()));
    config.to_builder().http_client(Layered { next, layer: Arc::new(layer) })
}

/// The operation of a request (`PutItem`), from its `x-amz-target`.
pub fn operation(request: &HttpRequest) -> &str {
    request.headers().get("x-amz-target").unwrap_or_default().rsplit('.').next().unwrap_or_default()
}

/// The partition key a one-item request's JSON body (`PutItem`, `UpdateItem`, ...) names.
pub fn partition(body: &serde_json::Value) -> &str {
    body["Item"]["PK"]["S"].as_str().or(body["Key"]["PK"]["S"].as_str()).unwrap_or_default()
}

/// The sort key a one-item request's JSON body names.
pub fn sort_key(body: &serde_json::Value) -> &str {
    body["Item"]["SK"]["S"].as_str().or(body["Key"]["SK"]["S"].as_str()).unwrap_or_default()
}

#[derive(Debug)]
struct Layered<L> {
    next: SharedHttpClient,
    layer: Arc<L>,
}

impl<L: Layer> HttpClient for Layered<L> {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let next = self.next.http_connector(settings, components);
        SharedHttpConnector::new(LayeredConnector { next, layer: self.layer.clone() })
    }
}

#[derive(Debug)]
struct LayeredConnector<L> {
    next: SharedHttpConnector,
    layer: Arc<L>,
}

impl<L: Layer> HttpConnector for LayeredConnector<L> {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.layer.call(request, &self.next)
    }
}
