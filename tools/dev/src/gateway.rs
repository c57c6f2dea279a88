//! A local stand-in for API Gateway's HTTP API with a JWT authorizer: it verifies the bearer
//! token, builds the payload-2.0 event with `requestContext.authorizer.jwt.claims` filled as the
//! real authorizer fills them, and invokes the function through cargo lambda's invoke API.
//! Missing or bad tokens get `401`, unknown routes `404`, as from the real one.

use crate::token;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where requests go and how tokens are checked.
pub struct Gateway {
    /// Base URL of cargo lambda's runtime emulator (`http://127.0.0.1:9000`).
    pub upstream: String,
    pub key: Vec<u8>,
    client: Client<HttpConnector, Full<Bytes>>,
    next_id: AtomicU64,
}

/// An answer with its whole body.
pub type Reply = Response<Full<Bytes>>;

impl Gateway {
    /// A gateway in front of the functions served at `upstream`.
    pub fn new(upstream: String, key: Vec<u8>) -> Self {
        Self { upstream, key, client: Client::builder(TokioExecutor::new()).build_http(), next_id: AtomicU64::new(1) }
    }

    /// Serves until the listener fails.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        serve(listener, move |request| {
            let gateway = self.clone();
            async move { gateway.handle(request).await }
        })
        .await
    }

    async fn handle(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let method = parts.method.as_str().to_owned();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().unwrap_or_default().to_owned();
        if method == "GET" && path == DEV_TOKEN_PATH {
            return self.dev_token(&query);
        }
        let Some((function, route, parameters)) = route(&method, &path) else {
            return reply(StatusCode::NOT_FOUND, json!({ "message": "Not Found" }));
        };
        let bearer =
            parts.headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let claims = bearer.and_then(|t| token::verify(&self.key, t.trim()).ok());
        let authorizer = match claims {
            Some(claims) => json!({ "jwt": { "claims": token::as_authorizer_claims(&claims), "scopes": null } }),
            None if is_public(&method, route) => Value::Null,
            None => return reply(StatusCode::UNAUTHORIZED, json!({ "message": "Unauthorized" })),
        };
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return reply(StatusCode::BAD_REQUEST, json!({ "message": "Bad Request" })),
        };
        let headers: serde_json::Map<String, Value> = parts
            .headers
            .iter()
            .filter(|(name, _)| *name != "authorization")
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), Value::String(value.to_str().ok()?.to_owned())))
            })
            .collect();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let event = json!({
            "version": "2.0",
            "routeKey": format!("{method} {route}"),
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "queryStringParameters": query_parameters(&query),
            "pathParameters": parameters,
            "requestContext": {
                "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
                "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "local" },
                "requestId": format!("local-{}-{id}", std::process::id()),
                "routeKey": format!("{method} {route}"),
                "stage": "$default",
                "time": "", "timeEpoch": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
                "authorizer": authorizer,
            },
            "body": String::from_utf8_lossy(&body),
            "isBase64Encoded": false,
        });
        match self.invoke(function, &event).await {
            Ok(response) => http_response(&response),
            Err(error) => {
                reply(StatusCode::BAD_GATEWAY, json!({ "message": format!("the function did not answer: {error}") }))
            }
        }
    }

    /// `GET /dev/token?role=<role>`: a dev token for the console's role picker. Local only: the
    /// template has no such route, and in AWS the console signs in with OpenID Connect.
    fn dev_token(&self, query: &str) -> Reply {
        let parameters = query_parameters(query);
        let role = parameters["role"].as_str().unwrap_or_default();
        if !DEV_ROLES.contains(&role) {
            return reply(StatusCode::BAD_REQUEST, json!({ "message": format!("role must be one of {DEV_ROLES:?}") }));
        }
        reply(StatusCode::OK, json!({ "token": token::mint(&self.key, &format!("dev-{role}"), &[role]) }))
    }

    /// Invokes `function` with `event` through the runtime emulator's invoke API.
    pub async fn invoke(
        &self,
        function: &str,
        event: &Value,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        invoke(&self.client, &self.upstream, function, event).await
    }
}

/// Serves HTTP/1.1 on `listener`, each request answered by `handle`, until the listener fails.
pub async fn serve<H, F>(listener: tokio::net::TcpListener, handle: H) -> std::io::Result<()>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let answer = handle(request);
                async move { Ok::<_, std::convert::Infallible>(answer.await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// `POST {upstream}/2015-03-31/functions/{function}/invocations` with `event`; the function's answer.
pub async fn invoke(
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: &str,
    function: &str,
    event: &Value,
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let request = Request::post(format!("{upstream}/2015-03-31/functions/{function}/invocations"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(event.to_string())))?;
    let response = client.request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(format!("invoke answered {status}: {}", String::from_utf8_lossy(&bytes)).into());
    }
    Ok(serde_json::from_slice(&bytes)?)
}

/// A plain HTTP client for the invoke API.
pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Where the console's role picker gets its tokens.
pub const DEV_TOKEN_PATH: &str = "/dev/token";
/// The roles the role picker offers.
pub const DEV_ROLES: [&str; 3] = ["support-specialist", "support-engineer", "admin"];

/// Whether `method route` is served without a token (the console's static files).
fn is_public(method: &str, route: &str) -> bool {
    query::PUBLIC_ROUTES.iter().chain(ingest::PUBLIC_ROUTES).any(|(m, r)| *m == method && *r == route)
}

/// The function, route template and path parameters serving `method path`.
fn route(method: &str, path: &str) -> Option<(&'static str, &'static str, Value)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let functions = [
        ("ingest", ingest::ROUTES),
        ("ingest", ingest::PUBLIC_ROUTES),
        ("query", query::ROUTES),
        ("query", query::PUBLIC_ROUTES),
    ];
    for (function, routes) in functions {
        for (route_method, template) in routes {
            if *route_method != method {
                continue;
            }
            let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut parameters = serde_json::Map::new();
            let fits = parts.iter().zip(&segments).all(|(part, segment)| {
                match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => {
                        parameters.insert(name.to_owned(), Value::String((*segment).to_owned()));
                        true
                    }
                    None => part == segment,
                }
            });
            if fits {
                return Some((function, template, Value::Object(parameters)));
            }
        }
    }
    None
}

fn query_parameters(query: &str) -> Value {
    let mut map = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(decode(key)).or_insert(Value::String(decode(value)));
    }
    if map.is_empty() { Value::Null } else { Value::Object(map) }
}

/// Percent-decoding for query strings (`+` is a space).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
}

fn reply(status: StatusCode, body: Value) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("valid response")
}

/// The HTTP response a function's payload-2.0 answer stands for.
fn http_response(answer: &Value) -> Reply {
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let body = answer["body"].as_str().unwrap_or_default().to_owned();
    let mut response = Response::builder().status(status);
    if let Some(headers) = answer["headers"].as_object() {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                response = response.header(name, value);
            }
        }
    }
    response.body(Full::new(Bytes::from(body))).expect("valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_come_from_the_functions_own_tables() {
        assert_eq!(route("POST", "/calls").map(|r| r.0), Some("ingest"));
        let (function, template, parameters) = route("GET", "/users/u-1/calls").unwrap();
        assert_eq!(
            (function, template, parameters["userId"].as_str()),
            ("query", "/users/{userId}/calls", Some("u-1"))
        );
        assert!(route("DELETE", "/calls").is_none());
        assert!(route("GET", "/users/u-1/calls/extra").is_none());
    }

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            query_parameters("search=ada+love&user=%2B1555&x"),
            json!({ "search": "ada love", "user": "+1555", "x": "" })
        );
    }
}
