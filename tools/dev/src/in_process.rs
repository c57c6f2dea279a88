//! The webhook function served over HTTP in-process, without cargo lambda: what tests and
//! benchmarks put behind the stand-in Graph's notification URL. Requests become `lambda_http`
//! requests as API Gateway would hand them over (path, query parameters, headers, body).
//!
//! There is no authorizer here, and none is needed: the webhook serves only Graph's public routes.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::response::Response;
use lambda_http::RequestExt;
use std::collections::HashMap;
use std::sync::Arc;

/// Serves `app` on `listener` until the runtime stops; the URL it serves at.
pub fn serve_webhook(app: Arc<webhook::App>, listener: tokio::net::TcpListener) -> String {
    let url = format!("http://{}", listener.local_addr().expect("a bound listener"));
    // The function enforces its own body limit (413), as in AWS.
    let router = Router::new().fallback(handle).layer(DefaultBodyLimit::disable()).with_state(app);
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn handle(
    State(app): State<Arc<webhook::App>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut lambda_request = lambda_http::Request::new(if body.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(body.to_vec())
    });
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    let lambda_request = lambda_request.with_query_string_parameters(query);
    let (parts, body) = webhook::handle(&app, lambda_request).await.into_parts();
    Response::from_parts(parts, Body::from(body.to_vec()))
}
