//! API Gateway's payload format 2.0, both ways: the event a request becomes, and the HTTP
//! response a function's answer stands for.
//!
//! Pure translation: no I/O, no token checks, no routing (the gateway does those).

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// A routed, authorized request: what its event is built from.
pub(super) struct Incoming<'a> {
    pub method: &'a str,
    /// The route's template (`/users/{userId}/calls`).
    pub template: &'a str,
    /// The URI as the client sent it.
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub path_parameters: HashMap<String, String>,
    /// `{"jwt": {"claims": ...}}`, or null on a public route without a token.
    pub authorizer: Value,
    pub body: &'a [u8],
    pub request_id: String,
}

/// The payload-2.0 event for `request`.
pub(super) fn event(request: &Incoming) -> Value {
    let (method, path) = (request.method, request.uri.path());
    let query = request.uri.query().unwrap_or_default();
    let route_key = format!("{method} {}", request.template);
    // Authorization is the authorizer's; the function sees the claims, not the token.
    let headers: Map<String, Value> = request
        .headers
        .iter()
        .filter(|(name, _)| *name != "authorization")
        // Bytes past ASCII reach the function as API Gateway passes them (as text), not dropped: a
        // header the function must refuse (`Idempotency-Key: café`) is refused here as in AWS.
        .map(|(name, value)| {
            (name.as_str().to_owned(), Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()))
        })
        .collect();
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": query_parameters(query),
        "pathParameters": request.path_parameters,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "local" },
            "requestId": request.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": "", "timeEpoch": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
            "authorizer": request.authorizer,
        },
        "body": String::from_utf8_lossy(request.body),
        "isBase64Encoded": false,
    })
}

/// The decoded query parameters (`+` is a space; the first of repeated names wins), or null
/// when there are none.
fn query_parameters(query: &str) -> Value {
    let mut parameters = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        parameters.entry(name.into_owned()).or_insert(Value::String(value.into_owned()));
    }
    if parameters.is_empty() { Value::Null } else { Value::Object(parameters) }
}

/// The HTTP response a function's payload-2.0 answer stands for; `502` when the status is not
/// one.
pub(super) fn response(answer: &Value) -> Response {
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::builder().status(status);
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        if let Some(value) = value.as_str() {
            response = response.header(name, value);
        }
    }
    let body = answer["body"].as_str().unwrap_or_default().to_owned();
    response.body(Body::from(body)).unwrap_or_else(|_| {
        Response::builder().status(StatusCode::BAD_GATEWAY).body(Body::empty()).expect("a bare status is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            query_parameters("search=ada+love&user=%2B1555&x&search=second"),
            json!({ "search": "ada love", "user": "+1555", "x": "" })
        );
        assert_eq!(query_parameters(""), Value::Null);
    }

    #[test]
    fn answers_become_responses_and_a_bad_status_is_502() {
        let answer = json!({ "statusCode": 201, "headers": { "content-type": "text/plain" }, "body": "made" });
        let created = response(&answer);
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers()["content-type"], "text/plain");
        assert_eq!(response(&json!({ "statusCode": 70000 })).status(), StatusCode::BAD_GATEWAY);
    }
}
