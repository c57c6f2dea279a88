//! The stand-in's own endpoints under `/_standin/` (local only; Graph has none): publish
//! records, send a lifecycle event, expire tokens, and the [`Stats`](super::Stats) as JSON —
//! what scripts do that tests do through [`StandIn`]'s methods.
//!
//! Each is a thin call into those methods; it must not behave differently from them.

use super::{StandIn, error, reply};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// `POST /records`, `POST /phone-rows/{function}`, `POST /lifecycle/{event}`, `POST /expire-tokens`, `GET /stats`.
pub(super) fn router() -> Router<Arc<StandIn>> {
    Router::new()
        .route("/records", post(records))
        .route("/phone-rows/{function}", post(phone_rows))
        .route("/lifecycle/{event}", post(lifecycle))
        .route("/expire-tokens", post(expire_tokens))
        .route("/stats", get(stats))
}

/// A record, or `{"value": [...]}` of them (whatever the content type): published and notified.
async fn records(State(stand_in): State<Arc<StandIn>>, body: Bytes) -> Response {
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    let records = match value.get("value") {
        Some(Value::Array(records)) => records.clone(),
        _ => vec![value],
    };
    let count = records.len();
    stand_in.publish(records).await;
    reply(StatusCode::ACCEPTED, json!({ "published": count }))
}

/// Rows of the call log `function` (`getPstnCalls`, `getDirectRoutingCalls`), `{"value": [...]}`
/// or a list: published (Graph notifies nothing for them).
async fn phone_rows(State(stand_in): State<Arc<StandIn>>, Path(function): Path<String>, body: Bytes) -> Response {
    let Some(log) = super::phone::log_named(&function) else { return error(StatusCode::NOT_FOUND, "NotFound") };
    let rows = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(rows)) => rows,
        Ok(Value::Object(mut page)) => match page.remove("value") {
            Some(Value::Array(rows)) => rows,
            _ => return error(StatusCode::BAD_REQUEST, "BadRequest"),
        },
        _ => return error(StatusCode::BAD_REQUEST, "BadRequest"),
    };
    let count = rows.len();
    stand_in.publish_phone_rows(log, rows);
    reply(StatusCode::ACCEPTED, json!({ "published": count }))
}

async fn lifecycle(State(stand_in): State<Arc<StandIn>>, Path(event): Path<String>) -> Response {
    stand_in.lifecycle(&event).await;
    reply(StatusCode::ACCEPTED, json!({ "sent": event }))
}

async fn expire_tokens(State(stand_in): State<Arc<StandIn>>) -> Response {
    stand_in.expire_tokens();
    reply(StatusCode::OK, json!({}))
}

async fn stats(State(stand_in): State<Arc<StandIn>>) -> Response {
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    let stats = &stand_in.stats;
    reply(
        StatusCode::OK,
        json!({
            "apiRequests": load(&stats.api_requests),
            "throttled": load(&stats.throttled),
            "recordThrottled": load(&stats.record_throttled),
            "tokensIssued": load(&stats.tokens_issued),
            "notificationsDelivered": load(&stats.notifications_delivered),
            "deliveryFailures": load(&stats.delivery_failures),
            "subscriptions": stand_in.live_subscriptions().len(),
            "records": stand_in.state().records.len(),
            "phonePages": load(&stats.phone_pages),
        }),
    )
}
