//! Every answer that is not a success: one JSON shape, one status per kind of core error.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use callscope_core::app::AppError;
use callscope_core::domain::access::AuthError;
use callscope_core::domain::problem::{Problem, Rejection, Severity};
use callscope_core::store::StoreError;
use serde::Serialize;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    let body = serde_json::to_string(value).expect("response types always serialize");
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).expect("a valid status");
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An error response: `{"error": {"code", "message", "problems", "problemsOmitted"}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(skip)]
    pub retry_after_seconds: Option<u32>,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// How many problems were found beyond the first [`MAX_PROBLEMS`] listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub problems_omitted: usize,
}

/// Most problems one error body lists: the rest are counted, so a body of a million bad values
/// cannot make a response larger than Lambda may return.
pub const MAX_PROBLEMS: usize = 100;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ApiError {
    /// An error without problem details.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            retry_after_seconds: None,
            code,
            message: message.into(),
            problems: Vec::new(),
            problems_omitted: 0,
        }
    }

    /// `what` is not here: no route for this method and path, no such file or record.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    /// A body over the route's cap.
    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "payload_too_large", format!("the body is larger than {limit} bytes"))
    }

    /// A body whose `Content-Type` this route does not read.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(415, "unsupported_media_type", format!("the body must be sent as {expected}"))
    }

    /// A request that is malformed outside its body (a header, the handshake's shape).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: &'a ApiError,
        }
        let mut response = json(self.status, &Envelope { error: &self });
        if let Some(seconds) = self.retry_after_seconds {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unauthenticated => Self::new(401, "unauthenticated", error.to_string()),
            AuthError::Forbidden => Self::new(403, "forbidden", error.to_string()),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        let (status, code, message) = match rejection.severity() {
            Severity::Invalid => (400, "invalid_request", "the request body is malformed or breaks the schema"),
            Severity::Incomplete => {
                (422, "incomplete_record", "a record still links to pages of itself; send it whole")
            }
            Severity::Unacceptable => (422, "unacceptable", "the request is well formed but cannot be accepted"),
        };
        let mut problems = rejection.problems;
        let problems_omitted = problems.len().saturating_sub(MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        Self { problems, problems_omitted, ..Self::new(status, code, message) }
    }
}

/// Storage failures are logged with their context (no id or value above debug level) and
/// answered without it: `503` with `Retry-After` when retrying will likely work, else `500`.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        // The display names the kind of item and failure; the debug form has the key too.
        tracing::error!(error = %error, "storage failed");
        tracing::debug!(?error, "storage failed, in full");
        if error.is_transient() {
            Self { retry_after_seconds: Some(1), ..Self::new(503, "unavailable", "storage is busy; retry shortly") }
        } else {
            Self::new(500, "internal", "an internal error occurred")
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Rejected(rejection) => rejection.into(),
            AppError::BadParameter { name, message } => {
                Self::new(400, "invalid_parameter", format!("parameter `{name}`: {message}"))
            }
            AppError::NotFound(what) => Self::not_found(what),
            AppError::Conflict(message) => Self::new(409, "conflict", message),
            AppError::Auth(auth) => auth.into(),
            AppError::Store(store) => store.into(),
            AppError::Graph(graph) => {
                tracing::error!(error = %graph, "Microsoft Graph failed");
                Self::new(502, "upstream", "Microsoft Graph did not answer as expected")
            }
            AppError::Queue(queue) => {
                tracing::error!(error = %queue, "a work queue failed");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(503, "unavailable", "the work queue is busy; retry shortly")
                }
            }
        }
    }
}
