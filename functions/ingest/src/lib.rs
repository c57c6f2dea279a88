//! The ingest function's handler: HTTP request in, core call, HTTP response out.

use callscope_core::auth::Role;
use callscope_core::clock::Clock;
use callscope_core::config::Config;
use callscope_core::ingest::ingest_calls;
use callscope_core::store::DynamoStore;
use callscope_http::{ApiError, json, verified_claims};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    pub clock: Clock,
}

/// Serves `POST /calls`. Never fails: every outcome is an HTTP response.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let result = match (request.method(), request.uri().path()) {
        (&Method::POST, "/calls") => post_calls(app, &request).await,
        _ => Err(ApiError::not_found("route")),
    };
    result.unwrap_or_else(ApiError::into_response)
}

async fn post_calls(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let principal = app.config.roles.principal(verified_claims(request))?;
    principal.require_any(&[Role::Ingest, Role::Admin])?;
    let body = request.body().as_ref();
    if body.len() > app.config.max_body_bytes {
        return Err(ApiError::too_large(app.config.max_body_bytes));
    }
    let accepted = ingest_calls(&app.store, body, app.clock.now()).await?;
    tracing::info!(records = accepted.len(), "ingested call records");
    Ok(json(202, &serde_json::json!({ "accepted": accepted })))
}
