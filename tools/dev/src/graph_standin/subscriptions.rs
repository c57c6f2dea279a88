//! Subscriptions to `communications/callRecords`: created only after the validation handshake
//! with each URL succeeds, renewed, listed and deleted; expiry at most 4,230 minutes ahead, and
//! an expired subscription is gone, as in Graph.
//!
//! It keeps the subscriptions; delivering to them is `notifications`'.

use super::{StandIn, error, parse_instant, reply, rfc3339};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The longest a callRecords subscription may live, in minutes.
const MAX_LIFETIME_MINUTES: i64 = 4_230;

/// One subscription as the stand-in keeps it.
#[derive(Debug, Clone)]
pub(super) struct Subscription {
    pub id: String,
    pub notification_url: String,
    pub lifecycle_url: Option<String>,
    pub client_state: String,
    pub expires_at: OffsetDateTime,
}

impl StandIn {
    /// The live subscriptions: (id, expiry).
    pub fn subscriptions(&self) -> Vec<(String, OffsetDateTime)> {
        self.live_subscriptions().into_iter().map(|s| (s.id, s.expires_at)).collect()
    }

    pub(super) fn live_subscriptions(&self) -> Vec<Subscription> {
        let now = self.clock.now();
        self.state().subscriptions.values().filter(|s| s.expires_at > now).cloned().collect()
    }

    /// Whether `expires_at` is a lifetime Graph grants from now.
    fn grantable(&self, expires_at: OffsetDateTime) -> bool {
        let now = self.clock.now();
        expires_at > now && expires_at <= now + Duration::minutes(MAX_LIFETIME_MINUTES)
    }

    /// `POST url?validationToken=...`: must answer 200, `text/plain`, the token and nothing else.
    async fn handshake(&self, url: &str) -> bool {
        let token = format!("Validation: stand-in token {} & more", self.id("v"));
        let encoded = utf8_percent_encode(&token, NON_ALPHANUMERIC);
        let separator = if url.contains('?') { '&' } else { '?' };
        let Ok(target) = reqwest::Url::parse(&format!("{url}{separator}validationToken={encoded}")) else {
            return false;
        };
        let Ok(response) = self.http.post(target).header("content-type", "text/plain").send().await else {
            return false;
        };
        let plain = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"));
        response.status() == reqwest::StatusCode::OK && plain && response.text().await.ok().as_deref() == Some(&token)
    }
}

fn subscription_json(sub: &Subscription) -> Value {
    json!({
        "id": sub.id, "resource": "/communications/callRecords", "changeType": "updated",
        "notificationUrl": sub.notification_url, "lifecycleNotificationUrl": sub.lifecycle_url,
        "expirationDateTime": rfc3339(sub.expires_at), "clientState": null,
    })
}

fn out_of_range() -> Response {
    error(StatusCode::BAD_REQUEST, "InvalidRequest: expirationDateTime out of range")
}

/// `GET /subscriptions`.
pub(super) async fn list(State(stand_in): State<Arc<StandIn>>) -> Response {
    let value: Vec<Value> = stand_in.live_subscriptions().iter().map(subscription_json).collect();
    reply(StatusCode::OK, json!({ "value": value }))
}

/// `POST /subscriptions`: created after the validation handshake with both URLs succeeds.
pub(super) async fn create(State(stand_in): State<Arc<StandIn>>, body: Bytes) -> Response {
    let Ok(asked) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    let expires_at = asked["expirationDateTime"].as_str().and_then(parse_instant);
    let resource = asked["resource"].as_str().unwrap_or_default().trim_start_matches('/');
    let change_ok =
        asked["changeType"].as_str().is_some_and(|c| c.split(',').all(|c| matches!(c, "created" | "updated")));
    let (Some(url), Some(state), Some(expires_at)) =
        (asked["notificationUrl"].as_str(), asked["clientState"].as_str(), expires_at)
    else {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    if resource != "communications/callRecords" || !change_ok || state.len() > 128 {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    }
    if !stand_in.grantable(expires_at) {
        return out_of_range();
    }
    let lifecycle_url = asked["lifecycleNotificationUrl"].as_str().map(str::to_owned);
    for target in std::iter::once(url).chain(lifecycle_url.as_deref()) {
        if !stand_in.handshake(target).await {
            return error(StatusCode::BAD_REQUEST, "ValidationError: the endpoint failed the validation handshake");
        }
    }
    let sub = Subscription {
        id: stand_in.id("subscription"),
        notification_url: url.to_owned(),
        lifecycle_url,
        client_state: state.to_owned(),
        expires_at,
    };
    stand_in.state().subscriptions.insert(sub.id.clone(), sub.clone());
    reply(StatusCode::CREATED, subscription_json(&sub))
}

/// `PATCH /subscriptions/{id}`: a new expiry for a live subscription.
pub(super) async fn renew(State(stand_in): State<Arc<StandIn>>, Path(id): Path<String>, body: Bytes) -> Response {
    let asked = serde_json::from_slice::<Value>(&body).ok();
    let Some(expires_at) = asked.as_ref().and_then(|a| a["expirationDateTime"].as_str()).and_then(parse_instant) else {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    if !stand_in.grantable(expires_at) {
        return out_of_range();
    }
    let now = stand_in.clock.now();
    let mut state = stand_in.state();
    match state.subscriptions.get_mut(&id).filter(|s| s.expires_at > now) {
        None => error(StatusCode::NOT_FOUND, "ResourceNotFound"),
        Some(sub) => {
            sub.expires_at = expires_at;
            reply(StatusCode::OK, subscription_json(sub))
        }
    }
}

/// `DELETE /subscriptions/{id}`.
pub(super) async fn delete(State(stand_in): State<Arc<StandIn>>, Path(id): Path<String>) -> Response {
    stand_in.state().subscriptions.remove(&id);
    StatusCode::NO_CONTENT.into_response()
}
