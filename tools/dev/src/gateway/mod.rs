//! A local stand-in for API Gateway's HTTP API with a JWT authorizer: it verifies the bearer
//! token, builds the payload-2.0 event with `requestContext.authorizer.jwt.claims` filled as the
//! real authorizer fills them, and invokes the function through cargo lambda's invoke API.
//! Missing or bad tokens get `401`, unknown routes `404`, as from the real one.
//!
//! Its routes are the functions' own route tables ([`functions`]), the ones their routers serve
//! and the template is checked against. It must not add a route of its own but the local role
//! picker's [`DEV_TOKEN_PATH`], nor decide anything a function decides (roles, bodies, errors).

mod payload;

use crate::invoke::Functions;
use crate::token;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get};
use callscope_core::domain::access::roles::DIRECTORY_ROLES;
use callscope_http::{Access, HttpFunction};
use payload::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every function behind the gateway with its routes: adding a function is one line here.
pub fn functions() -> [(&'static str, Vec<callscope_http::Route>); 3] {
    [
        ("ingest", ingest::App::route_table()),
        ("webhook", webhook::App::route_table()),
        ("query", query::App::route_table()),
    ]
}

/// Where the console's role picker gets its tokens.
pub const DEV_TOKEN_PATH: &str = "/dev/token";
/// The roles the role picker offers.
pub const DEV_ROLES: [&str; 3] = ["support-specialist", "support-engineer", "admin"];

/// The largest request body API Gateway's HTTP API accepts (10 MB); a larger one is `413`.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Where requests go and how tokens are checked.
pub struct Gateway {
    functions: Functions,
    key: Vec<u8>,
    next_id: AtomicU64,
}

/// One route as API Gateway declares it, and the function behind it.
#[derive(Debug, Clone, Copy)]
struct Route {
    function: &'static str,
    method: &'static str,
    template: &'static str,
    access: Access,
}

/// Serves `gateway` on `listener` until the listener fails. Empty path segments are dropped
/// before routing (`/console/` is `/console`); the function still sees the path as sent.
pub async fn serve(listener: tokio::net::TcpListener, gateway: Gateway) -> std::io::Result<()> {
    use axum::ServiceExt;
    use tower::Layer;
    let app = axum::middleware::map_request(without_empty_segments).layer(gateway.into_router());
    axum::serve(listener, app.into_make_service()).await
}

impl Gateway {
    /// A gateway in front of `functions`, verifying tokens signed with `key`.
    pub fn new(functions: Functions, key: Vec<u8>) -> Self {
        Self { functions, key, next_id: AtomicU64::new(1) }
    }

    /// The gateway's routes: every function's tables, the role picker, `404` for the rest.
    pub fn into_router(self) -> Router {
        let mut templates: BTreeMap<&str, MethodRouter<Arc<Gateway>>> = BTreeMap::new();
        for (function, routes) in functions() {
            for callscope_http::Route { method, path: template, access } in routes {
                let route = Route { function, method, template, access };
                let filter = Method::from_bytes(method.as_bytes())
                    .ok()
                    .and_then(|m| MethodFilter::try_from(m).ok())
                    .unwrap_or_else(|| panic!("{function} declares an unknown method in {method} {template}"));
                let handler = move |State(gateway): State<Arc<Gateway>>,
                                    method: Method,
                                    OriginalUri(uri): OriginalUri,
                                    Path(parameters): Path<HashMap<String, String>>,
                                    headers: HeaderMap,
                                    body: Result<Bytes, BytesRejection>| async move {
                    if method.as_str() != route.method {
                        // axum answers HEAD with a GET route; API Gateway does not.
                        return not_found().await;
                    }
                    gateway.forward(route, &uri, parameters, &headers, body).await
                };
                let methods = templates.remove(template).unwrap_or_default();
                templates.insert(template, methods.on(filter, handler));
            }
        }
        templates
            .into_iter()
            .fold(Router::new(), |router, (template, methods)| router.route(template, methods))
            .route(DEV_TOKEN_PATH, get(dev_token))
            .fallback(not_found)
            .method_not_allowed_fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES))
            .with_state(Arc::new(self))
    }

    /// Authorizes a request for `route`, turns it into the function's event, invokes the
    /// function and turns its answer into the response.
    async fn forward(
        &self,
        route: Route,
        uri: &Uri,
        path_parameters: HashMap<String, String>,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Response {
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let claims = bearer.and_then(|t| token::verify(&self.key, t.trim()).ok());
        let authorizer = match claims {
            Some(claims) => json!({ "jwt": { "claims": token::as_authorizer_claims(&claims), "scopes": null } }),
            None if route.access == Access::Public => Value::Null,
            None => return reply(StatusCode::UNAUTHORIZED, json!({ "message": "Unauthorized" })),
        };
        let body = match body {
            Ok(body) => body,
            Err(rejection) => return reply(rejection.status(), json!({ "message": rejection.body_text() })),
        };
        let event = payload::event(&Incoming {
            method: route.method,
            template: route.template,
            uri,
            headers,
            path_parameters,
            authorizer,
            body: &body,
            request_id: format!("local-{}-{}", std::process::id(), self.next_id.fetch_add(1, Ordering::Relaxed)),
        });
        match self.functions.invoke(route.function, &event).await {
            Ok(answer) => payload::response(&answer),
            Err(error) => {
                reply(StatusCode::BAD_GATEWAY, json!({ "message": format!("the function did not answer: {error}") }))
            }
        }
    }
}

/// The role picker's query: `?role=<role>` (an app role) or `?wids=<template id>` (an Entra
/// built-in directory role).
#[derive(Debug, Deserialize)]
struct RolePick {
    role: Option<String>,
    wids: Option<String>,
}

/// `GET /dev/token?role=<role>` or `?wids=<template id>`: a dev token for the console's role
/// picker, carrying the app role in `roles`, or the directory role in `wids` as Entra ID would
/// (one of the four that grant a support role). Local only: the template has no such route,
/// and in AWS the console signs in with OpenID Connect.
async fn dev_token(State(gateway): State<Arc<Gateway>>, pick: Result<Query<RolePick>, QueryRejection>) -> Response {
    let pick = pick.ok().map(|Query(pick)| pick);
    let (role, wids) = pick.map(|p| (p.role, p.wids)).unwrap_or_default();
    match (role, wids) {
        (Some(role), None) if DEV_ROLES.contains(&role.as_str()) => {
            reply(StatusCode::OK, json!({ "token": token::mint(&gateway.key, &format!("dev-{role}"), &[&role]) }))
        }
        (None, Some(wids)) => match DIRECTORY_ROLES.iter().find(|(id, _, _)| *id == wids) {
            Some((id, _, role)) => {
                let name = role.name();
                let token = token::mint_directory_role(&gateway.key, &format!("dev-{name}-directory"), id, name);
                reply(StatusCode::OK, json!({ "token": token }))
            }
            None => {
                let ids: Vec<&str> = DIRECTORY_ROLES.iter().map(|(id, _, _)| *id).collect();
                reply(StatusCode::BAD_REQUEST, json!({ "message": format!("wids must be one of {ids:?}") }))
            }
        },
        _ => reply(
            StatusCode::BAD_REQUEST,
            json!({ "message": format!("role must be one of {DEV_ROLES:?} (or give wids=<template id> alone)") }),
        ),
    }
}

/// API Gateway's answer for a route it does not have.
async fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json!({ "message": "Not Found" }))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The request with empty path segments dropped, and the URI as sent kept as [`OriginalUri`]
/// (the router keeps an `OriginalUri` that is already there).
async fn without_empty_segments(mut request: Request) -> Request {
    let sent = request.uri().clone();
    let segments: Vec<&str> = sent.path().split('/').filter(|s| !s.is_empty()).collect();
    let path = format!("/{}", segments.join("/"));
    if path != sent.path() {
        let query = sent.query().map(|q| format!("?{q}")).unwrap_or_default();
        if let Ok(uri) = Uri::builder().path_and_query(format!("{path}{query}")).build() {
            *request.uri_mut() = uri;
        }
    }
    request.extensions_mut().insert(OriginalUri(sent));
    request
}

#[cfg(test)]
mod tests;
