//! The ingest function served over HTTP in-process, without cargo lambda: what tests and
//! benchmarks put behind the stand-in Graph's notification URL. Requests become `lambda_http`
//! requests as API Gateway would hand them over (path, query parameters, headers, body; no
//! authorizer: only the public Graph routes are meant to be reached this way).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use lambda_http::RequestExt;
use std::collections::HashMap;
use std::sync::Arc;

/// Serves `app` on `listener` until the task is dropped; the URL it serves at.
pub fn serve_ingest(app: Arc<ingest::App>, listener: tokio::net::TcpListener) -> String {
    let url = format!("http://{}", listener.local_addr().expect("a bound listener"));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let app = app.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let app = app.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(&app, request).await) }
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    url
}

async fn handle(app: &ingest::App, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode =
                |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect();
    let mut lambda_request = lambda_http::Request::new(if body.is_empty() {
        lambda_http::Body::Empty
    } else {
        lambda_http::Body::Binary(body.to_vec())
    });
    *lambda_request.method_mut() = parts.method;
    *lambda_request.uri_mut() = parts.uri;
    *lambda_request.headers_mut() = parts.headers;
    let lambda_request = lambda_request.with_query_string_parameters(query);
    let response = ingest::handle(app, lambda_request).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::from(body.to_vec())))
}
