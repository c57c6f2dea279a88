//! The local stack's IAM: a proxy in front of the local DynamoDB that the functions reach
//! (their `AWS_ENDPOINT_URL`). Each function's request is checked against its role as IAM
//! would check it: a refused one is answered `400 AccessDeniedException`, as AWS answers it,
//! and never reaches the table; every checked access is logged as a JSON line for [`super::report`].
//! Requests that are not a function's (the local tools', the stream reads) pass unchecked.
//!
//! It only checks and forwards: it must not change a request or an answer it lets through.

use super::{Check, app_name};
use crate::Error;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The largest request the proxy reads: DynamoDB's own limit on a request body is 16 MB.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// The proxy's state: where requests go, the check, and the log of checked accesses.
struct Proxy {
    upstream: String,
    check: Check,
    log: Mutex<std::fs::File>,
    http: reqwest::Client,
}

/// Serves the proxy to `upstream` (`http://127.0.0.1:<moto>`) on `listener`, appending every
/// checked access to `log`, until the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    upstream: &str,
    check: Check,
    log: std::fs::File,
) -> std::io::Result<()> {
    let http = reqwest::Client::builder().no_proxy().build().expect("a plain HTTP client");
    let proxy = Proxy { upstream: upstream.trim_end_matches('/').to_owned(), check, log: Mutex::new(log), http };
    let router = axum::Router::new().fallback(handle).with_state(Arc::new(proxy));
    axum::serve(listener, router).await
}

async fn handle(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return amz_reply(StatusCode::BAD_REQUEST, Bytes::from_static(b"unreadable body"));
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let function = app_name(header("x-amz-user-agent")).or(app_name(header("user-agent")));
    if let Some(verdict) = proxy.check.request(function, header("x-amz-target"), &body) {
        let lines = verdict.log_lines().join("\n") + "\n";
        let _ = proxy.log.lock().unwrap_or_else(|e| e.into_inner()).write_all(lines.as_bytes());
        if !verdict.is_allowed() {
            for refusal in verdict.refusals() {
                eprintln!("refused: {refusal}");
            }
            return amz_reply(StatusCode::BAD_REQUEST, Bytes::from(verdict.access_denied_body()));
        }
    }
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match proxy.forward(parts.method, path, &parts.headers, body).await {
        Ok(response) => response,
        Err(error) => amz_reply(StatusCode::BAD_GATEWAY, Bytes::from(format!("the local DynamoDB: {error}"))),
    }
}

impl Proxy {
    /// Sends the request on to the local DynamoDB; its answer, as it came.
    async fn forward(
        &self,
        method: axum::http::Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, Error> {
        let mut forwarded = headers.clone();
        forwarded.remove(axum::http::header::HOST);
        let url = format!("{}{path}", self.upstream);
        let answer = self.http.request(method, url).headers(forwarded).body(body).send().await?;
        let status = answer.status();
        let mut headers = answer.headers().clone();
        for hop in ["transfer-encoding", "connection", "content-length"] {
            headers.remove(hop);
        }
        let body = answer.bytes().await?;
        Ok((status, headers, Body::from(body)).into_response())
    }
}

/// An answer in DynamoDB's own content type.
fn amz_reply(status: StatusCode, body: Bytes) -> Response {
    (status, [("content-type", "application/x-amz-json-1.0")], body).into_response()
}
