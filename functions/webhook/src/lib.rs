//! The webhook function's handler: the two public routes Microsoft Graph posts to. It is a
//! function of its own so that the one unauthenticated way in can do nothing but queue work
//! (its role may only put queued fetches and jobs, and read our subscription's id), and a
//! flood of it runs out of its own concurrency and throttle, not the helpdesk's or the admins'.
//!
//! What can be refused from the headers is refused before the body is read: a declared length
//! over [`MAX_NOTIFICATION_BODY_BYTES`], then a delivery's media type. No body is read past that
//! cap; the handshake's shape (an empty body, a short printable token) is checked on what was
//! read. A delivery is checked notification by notification against the clientState, the home
//! tenant and, with one read of the table when anything passed those, our current
//! subscription's id (the core's `accept_notifications`).

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use callscope_core::app::connector::{accept_lifecycle, accept_notifications};
use callscope_core::app::dispatch::Dispatch;
use callscope_core::domain::connector::Ours;
use callscope_core::support::clock::Clock;
use callscope_core::support::secret::Rotating;
use callscope_http::{Access, ApiError, HttpFunction, QueryParams, Routes, json, read_body, read_sent_as};
use std::sync::Arc;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    /// The clientState Graph echoes in every notification of our subscription (and, during a
    /// rotation, the one before it).
    pub client_state: Rotating,
    /// Our home tenant's id: a notification naming another tenant is dropped.
    pub home_tenant: String,
    /// The table (queue markers) and the Graph worker's queues.
    pub dispatch: Dispatch,
    pub clock: Clock,
}

/// The routes Microsoft Graph calls: no JWT authorizer (Graph cannot present one). The IaC test
/// checks the template declares exactly these, on the webhook's own API.
impl HttpFunction for App {
    fn routes() -> Routes<Arc<App>> {
        Routes::default()
            .route(Access::Public, "POST", "/graph/notifications", from_graph.layer(Extension(Delivery::Changes)))
            .route(Access::Public, "POST", "/graph/lifecycle", from_graph.layer(Extension(Delivery::Lifecycle)))
    }
}

/// Largest body taken (1 MiB). Graph's deliveries are a few kilobytes per notification; a
/// larger body is refused from its declared `Content-Length`, before it is read.
pub const MAX_NOTIFICATION_BODY_BYTES: usize = 1024 * 1024;

/// Longest `validationToken` echoed in the handshake (Graph's are well under it).
pub const MAX_VALIDATION_TOKEN_BYTES: usize = 1024;

/// What Graph posts: JSON (with or without a charset).
const GRAPH_MEDIA_TYPES: &[Option<&str>] = &[Some("application/json")];

/// Which of Graph's two notification endpoints a delivery came to.
#[derive(Debug, Clone, Copy)]
enum Delivery {
    Changes,
    Lifecycle,
}

/// The validation handshake, or a delivery whose ids (or events) are queued before the `202`;
/// a delivery that cannot be queued answers 5xx, so Graph delivers it again.
async fn from_graph(
    State(app): State<Arc<App>>,
    Extension(delivery): Extension<Delivery>,
    QueryParams(mut params): QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    refuse_declared_oversize(&headers)?;
    if let Some(token) = params.remove("validationToken") {
        return handshake(&token, &read_body(body, MAX_NOTIFICATION_BODY_BYTES).await?);
    }
    let body = read_sent_as(&headers, body, GRAPH_MEDIA_TYPES, MAX_NOTIFICATION_BODY_BYTES).await?;
    let (now, accepted) = (app.clock.now(), app.client_state.accepted());
    let ours = Ours { client_states: &accepted, tenant: &app.home_tenant };
    match delivery {
        Delivery::Changes => {
            let report = accept_notifications(&app.dispatch, &body, ours, now).await?;
            tracing::info!(queued = report.queued, "Graph notifications queued");
            Ok(json(202, &report))
        }
        Delivery::Lifecycle => {
            let queued = accept_lifecycle(&app.dispatch, &body, ours, now).await?;
            Ok(json(202, &serde_json::json!({ "queuedJobs": queued })))
        }
    }
}

/// `413` when the request declares a body over [`MAX_NOTIFICATION_BODY_BYTES`]; `400` when its
/// `Content-Length` is not a number.
fn refuse_declared_oversize(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(declared) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(());
    };
    let length = declared
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| ApiError::invalid_request("the Content-Length header is not a number of bytes"))?;
    if length > MAX_NOTIFICATION_BODY_BYTES as u64 {
        return Err(ApiError::too_large(MAX_NOTIFICATION_BODY_BYTES));
    }
    Ok(())
}

/// Graph's subscription handshake: the token back, as plain text that no browser renders or
/// runs. Only the handshake's own shape is answered: an empty body and a token of at most
/// [`MAX_VALIDATION_TOKEN_BYTES`] printable ASCII characters.
fn handshake(token: &str, body: &[u8]) -> Result<Response, ApiError> {
    if !body.is_empty() {
        return Err(ApiError::invalid_request("a validation request has an empty body"));
    }
    if !is_validation_token(token) {
        return Err(ApiError::invalid_request(format!(
            "validationToken must be 1 to {MAX_VALIDATION_TOKEN_BYTES} printable ASCII characters"
        )));
    }
    let mut response = Response::new(Body::from(token.to_owned()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(response)
}

/// A token the handshake may echo: 1 to [`MAX_VALIDATION_TOKEN_BYTES`] characters from space
/// to tilde (no control characters, no line breaks, nothing outside ASCII).
pub fn is_validation_token(token: &str) -> bool {
    (1..=MAX_VALIDATION_TOKEN_BYTES).contains(&token.len()) && token.bytes().all(|b| (b' '..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_tokens_are_short_printable_ascii() {
        assert!(is_validation_token("Validation: Testing client application"));
        assert!(is_validation_token(&"~".repeat(MAX_VALIDATION_TOKEN_BYTES)));
        assert!(!is_validation_token(&"a".repeat(MAX_VALIDATION_TOKEN_BYTES + 1)));
        for bad in ["", "a\r\nSet-Cookie: x", "tab\there", "\u{7f}", "caf\u{e9}", "\u{202e}evil"] {
            assert!(!is_validation_token(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn the_handshake_is_inert_text() {
        let response = handshake("<script>alert(1)</script>", b"").unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(response.headers()["content-security-policy"], "default-src 'none'; sandbox");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(body, "<script>alert(1)</script>");
        assert_eq!(handshake("token", b"{}").unwrap_err().status, 400);
    }
}
