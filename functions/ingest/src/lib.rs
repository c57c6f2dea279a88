//! The ingest function's handler: HTTP request in, core call, HTTP response out. The Graph
//! worker (`worker`) is this crate's second binary: records in from Microsoft Graph.

pub mod worker;

use callscope_core::app::connector::request_backfill;
use callscope_core::app::erase::erase_user;
use callscope_core::app::ingest::ingest_posted_calls;
use callscope_core::app::tenant_files::upload;
use callscope_core::store::{DatasetKind, DynamoStore};
use callscope_core::support::{clock::Clock, config::Config};
use callscope_http::{ApiError, hardened, json, path_segments, request_id, require_media_type, verified_claims};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    pub clock: Clock,
}

/// What `POST /calls` reads: JSON only, declared.
const CALL_MEDIA_TYPES: &[Option<&str>] = &[Some("application/json")];
/// What the tenant-file routes read: CSV or TSV, declared or sniffed from the first line.
const FILE_MEDIA_TYPES: &[Option<&str>] =
    &[Some("text/csv"), Some("text/tab-separated-values"), Some("text/plain"), Some("application/octet-stream"), None];

/// The routes this function serves, all behind the JWT authorizer; the IaC test checks the
/// template declares exactly these. Graph's own (public) routes are the webhook function's.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/calls"),
    ("PUT", "/buildings"),
    ("PUT", "/endpoints"),
    ("DELETE", "/users/{userId}"),
    ("POST", "/graph/backfill"),
];

/// Serves the ingest routes. Never fails: every outcome is an HTTP response.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let segments = path_segments(&request).unwrap_or_default();
    let result = match (request.method(), segments.as_slice()) {
        (&Method::POST, [calls]) if calls == "calls" => post_calls(app, &request).await,
        (&Method::PUT, [file]) if file == "buildings" => put_tenant_file(app, &request, DatasetKind::Buildings).await,
        (&Method::PUT, [file]) if file == "endpoints" => put_tenant_file(app, &request, DatasetKind::Endpoints).await,
        (&Method::DELETE, [users, user]) if users == "users" => delete_user(app, &request, user).await,
        (&Method::POST, [graph, what]) if graph == "graph" && what == "backfill" => backfill(app, &request).await,
        _ => Err(ApiError::not_found("route")),
    };
    hardened(result.unwrap_or_else(ApiError::into_response))
}

/// `PUT /buildings` and `PUT /endpoints` (admin only): replaces the active file whole.
async fn put_tenant_file(app: &App, request: &Request, kind: DatasetKind) -> Result<Response<Body>, ApiError> {
    let principal = app.config.roles.principal(verified_claims(request).as_ref())?;
    require_media_type(request, FILE_MEDIA_TYPES)?;
    let body = request.body().as_ref();
    if body.len() > app.config.max_body_bytes {
        return Err(ApiError::too_large(app.config.max_body_bytes));
    }
    let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok());
    let report = upload(&app.store, &principal, kind, body, content_type, app.clock.now()).await?;
    tracing::info!(kind = kind.name(), rows = report.rows, version = report.version, "tenant file replaced");
    Ok(json(200, &report))
}

/// `DELETE /users/{userId}` (admin only, audited): the right to erasure.
async fn delete_user(app: &App, request: &Request, user_id: &str) -> Result<Response<Body>, ApiError> {
    let principal = app.config.roles.principal(verified_claims(request).as_ref())?;
    let (now, home) = (app.clock.now(), &app.config.home_tenant_id);
    let budget = app.config.erasure_budget;
    let erased = erase_user(&app.store, &principal, user_id, now, &request_id(request), home, budget).await?;
    tracing::info!(calls = erased.calls_rewritten, complete = erased.complete, "user erasure ran");
    // Unfinished: it goes on asynchronously; sending the request again reads how far it got.
    Ok(json(if erased.complete { 200 } else { 202 }, &erased))
}

/// `POST /graph/backfill` (admin only, audited): queues a backfill of a window.
async fn backfill(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let principal = app.config.roles.principal(verified_claims(request).as_ref())?;
    require_media_type(request, CALL_MEDIA_TYPES)?;
    let job = request_backfill(&app.store, &principal, request.body().as_ref(), app.clock.now(), &request_id(request))
        .await?;
    tracing::info!("backfill queued");
    Ok(json(202, &serde_json::json!({ "queued": job })))
}

async fn post_calls(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let principal = app.config.roles.principal(verified_claims(request).as_ref())?;
    require_media_type(request, CALL_MEDIA_TYPES)?;
    let body = request.body().as_ref();
    if body.len() > app.config.max_body_bytes {
        return Err(ApiError::too_large(app.config.max_body_bytes));
    }
    let accepted =
        ingest_posted_calls(&app.store, &principal, body, app.clock.now(), &app.config.home_tenant_id).await?;
    tracing::info!(records = accepted.len(), "ingested call records");
    Ok(json(202, &serde_json::json!({ "accepted": accepted })))
}
