//! A function's routes, declared once: each goes into the axum router that serves it and into
//! the table the template test and the local gateway read. What every answer leaves with
//! (headers, the `404` of an unknown route, no body cap but the route's own) is decided here.

use crate::error::ApiError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, Request, header};
use axum::response::Response;
use axum::routing::{MethodFilter, on};
use std::sync::Arc;
use tower::ServiceExt;
use tower::util::MapRequest;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only with a token API Gateway's JWT authorizer verified.
    Token,
    /// Anyone: Graph's notifications, the console's files.
    Public,
}

/// One route as the template declares it: `path` with `{param}` placeholders, which is also
/// axum's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// The routes of one function, and the router that serves them.
pub struct Routes<S> {
    router: Router<S>,
    table: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self { router: Router::new(), table: Vec::new() }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Adds `method path`, served by `handler`, callable as `access` says.
    pub fn route<H: Handler<T, S>, T: 'static>(
        mut self,
        access: Access,
        method: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        let filter = Method::from_bytes(method.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok())
            .unwrap_or_else(|| panic!("{method} {path}: not a method axum can route"));
        self.router = self.router.route(path, on(filter, handler));
        self.table.push(Route { method, path, access });
        self
    }

    /// The declared routes, in the order they were added.
    pub fn table(&self) -> &[Route] {
        &self.table
    }

    /// The router serving these routes on `state`: any other method or path is `404` with the
    /// error body, every answer is [`hardened`], and no body cap applies but each route's own
    /// (API Gateway's and Lambda's come first). Empty path segments are dropped before routing
    /// (`/console/` is `/console`), as API Gateway matches them.
    pub fn serve<B>(self, state: S) -> Edge<B> {
        let router = self
            .router
            .fallback(not_found)
            .method_not_allowed_fallback(not_found)
            .layer(DefaultBodyLimit::disable())
            .layer(axum::middleware::map_response(hardened))
            .with_state(state);
        MapRequest::new(router, without_empty_segments::<B>)
    }
}

/// An HTTP function: its state (built once per cold start) and its routes.
pub trait HttpFunction: Clone + Send + Sync + Sized + 'static {
    /// The function's routes, each declared once.
    fn routes() -> Routes<Arc<Self>>;

    /// The routes this function serves: what the template is checked against.
    fn route_table() -> Vec<Route> {
        Self::routes().table().to_vec()
    }

    /// The function's HTTP edge: what `main` hands `lambda_http::run`, and what a local server
    /// serves in-process.
    fn edge<B>(self) -> Edge<B> {
        Self::routes().serve(Arc::new(self))
    }

    /// Serves one request as the Lambda runtime would. Never fails: every outcome is an HTTP
    /// response.
    fn handle(
        &self,
        request: lambda_http::Request,
    ) -> impl Future<Output = lambda_http::Response<lambda_http::Body>> + Send {
        answer(self.clone().edge(), request)
    }
}

/// A function's HTTP edge as `lambda_http::run` serves it (`B` is `lambda_http::Body` there,
/// axum's own body behind a local server).
pub type Edge<B> = MapRequest<Router, fn(Request<B>) -> Request<B>>;

/// One request through `edge`, answered as `lambda_http::run` answers it (the body as text or
/// base64 by its content type): what tests and the local tools call instead of the runtime.
pub async fn answer(
    edge: Edge<lambda_http::Body>,
    request: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    let Ok(response) = edge.oneshot(request).await;
    lambda_http::IntoResponse::into_response(response).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

/// `response` as every API answer leaves: never stored by a browser or proxy (it holds personal
/// data), never sniffed as another content type. A `Cache-Control` already set stays.
async fn hardened(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `request` with empty path segments dropped (`//users/` is `/users`).
fn without_empty_segments<B>(mut request: Request<B>) -> Request<B> {
    let uri = request.uri();
    if !uri.path().contains("//") && (uri.path() == "/" || !uri.path().ends_with('/')) {
        return request;
    }
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    if let Ok(path) = format!("/{}{query}", segments.join("/")).parse() {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(path);
        if let Ok(normal) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = normal;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::extract::Path;

    fn edge() -> Edge<Body> {
        Routes::default()
            .route(Access::Token, "GET", "/users/{id}/calls", |Path(id): Path<String>| async move { id })
            .route(Access::Public, "GET", "/console", || async { "console" })
            .serve(())
    }

    async fn get(uri: &str, method: Method) -> (u16, String, Response) {
        let request = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        let Ok(response) = edge().oneshot(request).await;
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        let text = String::from_utf8(axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec()).unwrap();
        (status, text, Response::from_parts(parts, Body::empty()))
    }

    #[tokio::test]
    async fn routes_are_matched_decoded_and_hardened() {
        let (status, text, response) = get("/users/a%23b%2Fc/calls", Method::GET).await;
        assert_eq!((status, text.as_str()), (200, "a#b/c"));
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(get("//console/", Method::GET).await.1, "console");
        assert_eq!(get("/users//u1/calls?x=1", Method::GET).await.1, "u1");
    }

    #[tokio::test]
    async fn an_unknown_route_or_method_is_a_404_with_the_error_body() {
        for (uri, method) in [("/elsewhere", Method::GET), ("/console", Method::POST), ("/users/u1", Method::GET)] {
            let (status, text, response) = get(uri, method.clone()).await;
            assert_eq!(status, 404, "{method} {uri}");
            assert_eq!(text, r#"{"error":{"code":"not_found","message":"route not found"}}"#);
            assert_eq!(response.headers()["cache-control"], "no-store");
        }
    }

    #[test]
    fn the_table_lists_what_was_declared() {
        let routes: Routes<()> = Routes::default().route(Access::Public, "POST", "/a/{b}", || async { "" });
        assert_eq!(routes.table(), [Route { method: "POST", path: "/a/{b}", access: Access::Public }]);
    }
}
