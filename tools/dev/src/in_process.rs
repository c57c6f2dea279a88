//! The webhook function served over HTTP in-process, without cargo lambda: what tests and
//! benchmarks put behind the stand-in Graph's notification URL. It is the function's own
//! router, as `lambda_http::run` serves it.
//!
//! There is no authorizer here, and none is needed: the webhook serves only Graph's public routes.

use axum::ServiceExt;
use callscope_http::HttpFunction;

/// Serves `app` on `listener` until the runtime stops; the URL it serves at.
pub fn serve_webhook(app: webhook::App, listener: tokio::net::TcpListener) -> String {
    let url = format!("http://{}", listener.local_addr().expect("a bound listener"));
    let edge = app.edge::<axum::body::Body>();
    tokio::spawn(async move { axum::serve(listener, edge.into_make_service()).await });
    url
}
