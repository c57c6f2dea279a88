//! The HTTP edge of the ingest and query functions: where a request's verified claims are
//! found, and where every core error becomes a status and a JSON body — once, for both.

use callscope_core::app::AppError;
use callscope_core::domain::access::AuthError;
use callscope_core::domain::problem::{Problem, Rejection, Severity};
use callscope_core::store::StoreError;
use lambda_http::http::HeaderValue;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::collections::HashMap;

/// The claims API Gateway's JWT authorizer verified; `None` if the request passed none.
///
/// Only `requestContext.authorizer.jwt.claims` decides: the client cannot set it. The gateway
/// flattens an array claim to `[a b]`, which cannot tell the one group "admin assistants" from
/// the two groups "admin" and "assistants". The bearer token is the one the authorizer verified
/// (the route's identity source), so where its payload holds the claim as an array whose
/// flattening is exactly the verified string, that array replaces it: it chooses between the
/// readings of the verified claim, and can never add to it.
pub fn verified_claims(request: &Request) -> Option<HashMap<String, String>> {
    let claims = match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => &context.authorizer.as_ref()?.jwt.as_ref()?.claims,
        _ => return None,
    };
    let Some(payload) = bearer_payload(request) else {
        return Some(claims.clone());
    };
    let exact = |name: &String, flattened: &String| {
        let values: Vec<String> = serde_json::from_value(payload.get(name)?.clone()).ok()?;
        (format!("[{}]", values.join(" ")) == *flattened).then(|| serde_json::json!(values).to_string())
    };
    Some(
        claims
            .iter()
            .map(|(name, value)| (name.clone(), exact(name, value).unwrap_or_else(|| value.clone())))
            .collect(),
    )
}

/// The payload of the request's `Authorization: Bearer` JWT, undecoded claims as JSON.
fn bearer_payload(request: &Request) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    let header = request.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `response` as every API answer leaves: never stored by a browser or proxy (it holds personal
/// data), never sniffed as another content type. A `Cache-Control` already set stays.
pub fn hardened(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.entry("cache-control").or_insert(HeaderValue::from_static("no-store"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).expect("response types always serialize");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("status and header are valid")
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

    /// No route for this method and path.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    /// A body over the configured cap.
    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "payload_too_large", format!("the body is larger than {limit} bytes"))
    }

    /// A body whose `Content-Type` this route does not read.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(415, "unsupported_media_type", format!("the body must be sent as {expected}"))
    }

    /// The response for this error.
    pub fn into_response(self) -> Response<Body> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: &'a ApiError,
        }
        let mut response = json(self.status, &Envelope { error: &self });
        if let Some(seconds) = self.retry_after_seconds {
            response.headers_mut().insert("retry-after", seconds.into());
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

/// Storage failures are logged with their context and answered without it: `503` with
/// `Retry-After` when retrying will likely work, else `500`.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %error, "storage failed");
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
        }
    }
}

/// The request's path split into percent-decoded segments (`/users/a%23b/calls` → `users`, `a#b`,
/// `calls`); `None` if a segment does not decode to UTF-8.
pub fn path_segments(request: &Request) -> Option<Vec<String>> {
    request
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|d| d.into_owned()))
        .collect()
}

/// The request's media type (`Content-Type` without parameters, lower case); `None` if absent.
pub fn media_type(request: &Request) -> Option<String> {
    let value = request.headers().get("content-type")?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// Refuses a body whose media type is not one of `accepted` (`None` in `accepted` lets a request
/// without `Content-Type` through) with `415`, before the body is read.
pub fn require_media_type(request: &Request, accepted: &[Option<&str>]) -> Result<(), ApiError> {
    let found = media_type(request);
    if accepted.contains(&found.as_deref()) {
        return Ok(());
    }
    let names: Vec<&str> = accepted.iter().flatten().copied().collect();
    Err(ApiError::unsupported_media_type(&names.join(" or ")))
}

/// The query parameters, first value of each.
pub fn query_params(request: &Request) -> HashMap<String, String> {
    let mut params = HashMap::new();
    if let Some(map) = request.query_string_parameters_ref() {
        for (key, value) in map.iter() {
            params.entry(key.to_owned()).or_insert_with(|| value.to_owned());
        }
    }
    params
}

/// API Gateway's id of this request (for the audit trail).
pub fn request_id(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .or_else(|| request.lambda_context_ref().map(|c| c.request_id.clone()))
    .unwrap_or_default()
}
