//! The local stack's IAM: a proxy in front of the local DynamoDB that the functions reach
//! (their `AWS_ENDPOINT_URL`). Each function's request is checked against its role as IAM
//! would check it: a refused one is answered `400 AccessDeniedException`, as AWS answers it,
//! and never reaches the table; every checked access is logged as a JSON line for [`super::report`].
//! Requests that are not a function's (the local tools', the stream reads) pass unchecked.

use super::{Check, app_name};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::gateway::Reply;

/// The proxy's state: where requests go, the check, and the log of checked accesses.
pub struct Proxy {
    upstream: String,
    check: Check,
    log: Mutex<std::fs::File>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Proxy {
    /// A proxy to `upstream` (`http://127.0.0.1:<moto>`) that appends to `log`.
    pub fn new(upstream: String, check: Check, log: std::fs::File) -> Self {
        Self { upstream, check, log: Mutex::new(log), client: crate::gateway::client() }
    }

    /// Serves until the listener fails.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        crate::gateway::serve(listener, move |request| {
            let proxy = self.clone();
            async move { proxy.handle(request).await }
        })
        .await
    }

    async fn handle(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return reply(StatusCode::BAD_REQUEST, Bytes::from_static(b"unreadable body")),
        };
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let function = app_name(header("x-amz-user-agent")).or(app_name(header("user-agent")));
        if let Some(verdict) = self.check.request(function, header("x-amz-target"), &body) {
            let lines = verdict.log_lines().join("\n") + "\n";
            let _ = self.log.lock().unwrap_or_else(|e| e.into_inner()).write_all(lines.as_bytes());
            if !verdict.is_allowed() {
                for refusal in verdict.refusals() {
                    eprintln!("refused: {refusal}");
                }
                return reply(StatusCode::BAD_REQUEST, Bytes::from(verdict.access_denied_body()));
            }
        }
        match self.forward(parts, body).await {
            Ok(response) => response,
            Err(error) => reply(StatusCode::BAD_GATEWAY, Bytes::from(format!("the local DynamoDB: {error}"))),
        }
    }

    /// Sends the request on to the local DynamoDB; its answer.
    async fn forward(
        &self,
        parts: hyper::http::request::Parts,
        body: Bytes,
    ) -> Result<Reply, Box<dyn std::error::Error + Send + Sync>> {
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut request = Request::builder().method(parts.method).uri(format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let response = self.client.request(request.body(Full::new(body))?).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        let mut reply = Response::builder().status(parts.status);
        for (name, value) in &parts.headers {
            if !["transfer-encoding", "connection", "content-length"].contains(&name.as_str()) {
                reply = reply.header(name, value);
            }
        }
        Ok(reply.body(Full::new(body))?)
    }
}

fn reply(status: StatusCode, body: Bytes) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(body))
        .expect("valid response")
}
