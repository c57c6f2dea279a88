//! The ingest function's handler: HTTP request in, core call, HTTP response out. The Graph
//! worker (`worker`) is this crate's second binary: records in from Microsoft Graph.

pub mod worker;

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::handler::Handler;
use axum::http::HeaderMap;
use axum::response::Response;
use callscope_core::app::connector::{request_backfill, retry_dead_letter};
use callscope_core::app::dispatch::Dispatch;
use callscope_core::app::erase::{erase_user, erasure_status};
use callscope_core::app::ingest::ingest_posted_calls;
use callscope_core::app::phone::ingest_posted_phone_rows;
use callscope_core::app::tenant_files::upload;
use callscope_core::domain::access::RoleNames;
use callscope_core::queue::WorkQueue;
use callscope_core::store::{DatasetKind, DynamoStore};
use callscope_core::support::{clock::Clock, config::Config, deadline::Deadline};
use callscope_http::{
    Access, ApiError, Authenticates, Caller, HttpFunction, InvocationDeadline, PathParam, RequestId, Routes, json,
    read_sent_as,
};
use std::sync::Arc;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub config: Config,
    pub store: DynamoStore,
    /// The Graph worker's queues: an admin's backfill is a job on them.
    pub queue: WorkQueue,
    pub clock: Clock,
}

impl Authenticates for App {
    fn role_names(&self) -> &RoleNames {
        &self.config.roles
    }
}

/// What `POST /calls` reads: JSON only, declared.
const CALL_MEDIA_TYPES: &[Option<&str>] = &[Some("application/json")];
/// What the tenant-file routes read: CSV or TSV, declared or sniffed from the first line.
const FILE_MEDIA_TYPES: &[Option<&str>] =
    &[Some("text/csv"), Some("text/tab-separated-values"), Some("text/plain"), Some("application/octet-stream"), None];

/// The routes this function serves, all behind the JWT authorizer; the IaC test checks the
/// template declares exactly these. Graph's own (public) routes are the webhook function's.
impl HttpFunction for App {
    fn routes() -> Routes<Arc<App>> {
        Routes::default()
            .route(Access::Token, "POST", "/calls", post_calls)
            .route(Access::Token, "POST", "/pstn-calls", post_pstn_calls)
            .route(Access::Token, "PUT", "/buildings", put_tenant_file.layer(Extension(DatasetKind::Buildings)))
            .route(Access::Token, "PUT", "/endpoints", put_tenant_file.layer(Extension(DatasetKind::Endpoints)))
            .route(Access::Token, "DELETE", "/users/{userId}", delete_user)
            .route(Access::Token, "GET", "/users/{userId}/erasure", get_erasure)
            .route(Access::Token, "POST", "/graph/backfill", backfill)
            .route(Access::Token, "POST", "/graph/dead-letters/{callId}/retry", retry)
    }
}

/// `PUT /buildings` and `PUT /endpoints` (admin only, audited): replaces the active file whole.
async fn put_tenant_file(
    State(app): State<Arc<App>>,
    Caller(principal): Caller,
    Extension(kind): Extension<DatasetKind>,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_sent_as(&headers, body, FILE_MEDIA_TYPES, app.config.max_body_bytes).await?;
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    let file = (kind, body.as_ref(), content_type);
    let report = upload(&app.store, &principal, file, app.clock.now(), &request_id).await?;
    tracing::info!(kind = kind.name(), rows = report.rows, version = report.version, "tenant file replaced");
    Ok(json(200, &report))
}

/// What an erasure inside a request leaves of the invocation: to save its marker and answer.
const ERASURE_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

/// `DELETE /users/{userId}` (admin only, audited): the right to erasure, for any party id.
async fn delete_user(
    State(app): State<Arc<App>>,
    PathParam(user_id): PathParam,
    Caller(principal): Caller,
    RequestId(request_id): RequestId,
    InvocationDeadline(invocation): InvocationDeadline,
) -> Result<Response, ApiError> {
    let (now, home, budget) = (app.clock.now(), &app.config.home_tenant_id, app.config.erasure_budget);
    // At most the configured budget, and never past the invocation's own deadline.
    let lambda = invocation.map(|at| Deadline::from_lambda(at, budget).less(ERASURE_MARGIN));
    let deadline = lambda.map_or(Deadline::after(budget), |at| at.min(Deadline::after(budget)));
    let erased = erase_user(&app.store, &principal, &user_id, now, &request_id, home, deadline).await?;
    tracing::info!(calls = erased.calls_rewritten, complete = erased.complete, "user erasure ran");
    // Unfinished: it goes on asynchronously; `GET /users/{userId}/erasure` reads how far it got.
    Ok(json(if erased.complete { 200 } else { 202 }, &erased))
}

/// `GET /users/{userId}/erasure` (admin only, audited): where an erasure stands.
async fn get_erasure(
    State(app): State<Arc<App>>,
    PathParam(user_id): PathParam,
    Caller(principal): Caller,
    RequestId(request_id): RequestId,
) -> Result<Response, ApiError> {
    let status = erasure_status(&app.store, &principal, &user_id, app.clock.now(), &request_id).await?;
    Ok(json(200, &status))
}

/// `POST /graph/backfill` (admin only, audited): queues a backfill of a window.
async fn backfill(
    State(app): State<Arc<App>>,
    Caller(principal): Caller,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_sent_as(&headers, body, CALL_MEDIA_TYPES, app.config.max_body_bytes).await?;
    let dispatch = Dispatch { store: app.store.clone(), queue: app.queue.clone() };
    let job = request_backfill(&dispatch, &principal, &body, app.clock.now(), &request_id).await?;
    tracing::info!("backfill queued");
    Ok(json(202, &serde_json::json!({ "queued": job })))
}

/// `POST /graph/dead-letters/{callId}/retry` (admin only, audited): queues a fetch of a
/// dead-lettered call record again.
async fn retry(
    State(app): State<Arc<App>>,
    Caller(principal): Caller,
    PathParam(call_id): PathParam,
    RequestId(request_id): RequestId,
) -> Result<Response, ApiError> {
    let dispatch = Dispatch { store: app.store.clone(), queue: app.queue.clone() };
    let retried = retry_dead_letter(&dispatch, &principal, &call_id, app.clock.now(), &request_id).await?;
    Ok(json(202, &retried))
}

/// `POST /calls` (the ingest role): validates and stores a batch of call records.
async fn post_calls(
    State(app): State<Arc<App>>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_sent_as(&headers, body, CALL_MEDIA_TYPES, app.config.max_body_bytes).await?;
    let accepted =
        ingest_posted_calls(&app.store, &principal, &body, app.clock.now(), &app.config.home_tenant_id).await?;
    tracing::info!(records = accepted.len(), "ingested call records");
    Ok(json(202, &serde_json::json!({ "accepted": accepted })))
}

/// `POST /pstn-calls` (the ingest role): validates and stores a page of Graph's phone-call rows
/// (`getPstnCalls` or `getDirectRoutingCalls`, as Graph answered). Stored whole when answered.
async fn post_pstn_calls(
    State(app): State<Arc<App>>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_sent_as(&headers, body, CALL_MEDIA_TYPES, app.config.max_body_bytes).await?;
    let accepted =
        ingest_posted_phone_rows(&app.store, &principal, &body, app.clock.now(), &app.config.home_tenant_id).await?;
    tracing::info!(rows = accepted.len(), "ingested phone-call rows");
    Ok(json(200, &serde_json::json!({ "accepted": accepted })))
}
