//! Who may call the stand-in's API, and how often: the client-credentials token endpoint, the
//! bearer check in front of every `/v1.0` request, and the injected `429`s and `503`s.
//!
//! It answers before a request reaches the API's handlers; it must not look at what they serve.

use super::{StandIn, error, reply};
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use time::Duration;

impl StandIn {
    /// Makes every issued token expired (the next API request with one gets `401`).
    pub fn expire_tokens(&self) {
        let past = self.clock.now() - Duration::SECOND;
        self.state().tokens.values_mut().for_each(|at| *at = past);
    }

    fn authorized(&self, header: Option<&str>) -> bool {
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else { return false };
        let now = self.clock.now();
        self.state().tokens.get(token).is_some_and(|at| *at > now)
    }

    /// Whether to answer this request `429`, as often as the behaviour says.
    fn throttle(&self) -> bool {
        let percent = self.behaviour().throttle_percent;
        self.state().dice.random_range(0..100) < percent
    }

    /// Whether to answer this request `503`, as often as the behaviour says.
    fn unavailable(&self) -> bool {
        let percent = self.behaviour().unavailable_percent;
        self.state().dice.random_range(0..100) < percent
    }
}

/// `POST /oauth2/v2.0/token`: the client-credentials grant, as a form.
pub(super) async fn token(
    State(stand_in): State<Arc<StandIn>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return reply(StatusCode::BAD_REQUEST, json!({ "error": "invalid_request" })) };
    let complete = ["client_id", "client_secret", "scope"].iter().all(|k| form.get(*k).is_some_and(|v| !v.is_empty()));
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") || !complete {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "invalid_request" }));
    }
    let lifetime = stand_in.behaviour().token_lifetime_seconds;
    let token = stand_in.id("token");
    let expires_at = stand_in.clock.now() + Duration::seconds(lifetime as i64);
    stand_in.state().tokens.insert(token.clone(), expires_at);
    stand_in.stats.tokens_issued.fetch_add(1, Ordering::Relaxed);
    reply(StatusCode::OK, json!({ "token_type": "Bearer", "expires_in": lifetime, "access_token": token }))
}

/// In front of every API request: counted, `401` without a live token, then `429` as often as
/// the behaviour says (with `Retry-After`), `503` as often as it says, else served.
pub(super) async fn guard(State(stand_in): State<Arc<StandIn>>, request: Request, next: Next) -> Response {
    stand_in.stats.api_requests.fetch_add(1, Ordering::Relaxed);
    let header = request.headers().get("authorization").and_then(|v| v.to_str().ok());
    if !stand_in.authorized(header) {
        return error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    }
    if stand_in.throttle() {
        stand_in.stats.throttled.fetch_add(1, Ordering::Relaxed);
        let mut reply = error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
        reply.headers_mut().insert("retry-after", HeaderValue::from(stand_in.behaviour().retry_after_seconds));
        return reply;
    }
    if stand_in.unavailable() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
    }
    next.run(request).await
}
