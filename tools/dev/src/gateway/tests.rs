//! The gateway over HTTP, in front of a fake invoke API that answers with the event it got.

use super::*;
use axum::routing::post;
use std::net::SocketAddr;

const KEY: &[u8] = b"gateway-test-key";

/// A fake invoke API: every function answers `200` with `{"function", "event"}` as its body.
async fn echo_functions() -> String {
    let invocations = |Path(function): Path<String>, axum::Json(event): axum::Json<Value>| async move {
        let body = json!({ "function": function, "event": event }).to_string();
        axum::Json(json!({ "statusCode": 200, "headers": { "content-type": "application/json" }, "body": body }))
    };
    let router = Router::new().route("/2015-03-31/functions/{function}/invocations", post(invocations));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A gateway in front of [`echo_functions`] on `address`; its task and URL.
async fn gateway_at(address: SocketAddr, upstream: &str) -> (tokio::task::JoinHandle<()>, String) {
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let gateway = Gateway::new(Functions::new(upstream), KEY.to_vec());
    let task = tokio::spawn(async move { serve(listener, gateway).await.unwrap() });
    (task, url)
}

async fn gateway() -> String {
    let upstream = echo_functions().await;
    gateway_at("127.0.0.1:0".parse().unwrap(), &upstream).await.1
}

/// `method url` with `token`: the status and the JSON body.
async fn call(method: Method, url: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The event the function got, as the echo answered it.
fn event_of(body: &Value) -> (String, Value) {
    (body["function"].as_str().unwrap_or_default().to_owned(), body["event"].clone())
}

#[tokio::test]
async fn routes_come_from_the_functions_own_tables() {
    let url = gateway().await;
    let token = token::mint(KEY, "agent-1", &["support-engineer"]);
    let (status, body) = call(Method::POST, &format!("{url}/calls"), Some(&token)).await;
    assert_eq!((status, event_of(&body).0.as_str()), (StatusCode::OK, "ingest"));
    let (_, body) = call(Method::GET, &format!("{url}/users/u-1/calls?search=ada+love&x=%2B1"), Some(&token)).await;
    let (function, event) = event_of(&body);
    assert_eq!(function, "query");
    assert_eq!(event["routeKey"], "GET /users/{userId}/calls");
    assert_eq!(event["pathParameters"], json!({ "userId": "u-1" }));
    assert_eq!(event["rawPath"], "/users/u-1/calls");
    assert_eq!(event["rawQueryString"], "search=ada+love&x=%2B1");
    assert_eq!(event["queryStringParameters"], json!({ "search": "ada love", "x": "+1" }));
    for (method, path) in
        [(Method::DELETE, "/calls"), (Method::GET, "/users/u-1/calls/extra"), (Method::HEAD, "/users")]
    {
        let (status, body) = call(method.clone(), &format!("{url}{path}"), Some(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        if method != Method::HEAD {
            assert_eq!(body, json!({ "message": "Not Found" }));
        }
    }
    let (_, body) = call(Method::GET, &format!("{url}/console/"), None).await;
    let (function, event) = event_of(&body);
    assert_eq!(
        (function.as_str(), &event["routeKey"], &event["rawPath"]),
        ("query", &json!("GET /console"), &json!("/console/"))
    );
}

#[tokio::test]
async fn tokens_are_verified_and_claims_arrive_as_api_gateway_flattens_them() {
    let url = gateway().await;
    let calls = format!("{url}/users/u-1/calls");
    assert_eq!(call(Method::GET, &calls, None).await, (StatusCode::UNAUTHORIZED, json!({ "message": "Unauthorized" })));
    let forged = token::mint(b"another-key", "agent-1", &["admin"]);
    assert_eq!(call(Method::GET, &calls, Some(&forged)).await.0, StatusCode::UNAUTHORIZED);
    let token = token::mint(KEY, "agent-1", &["support-specialist", "admin"]);
    let (_, body) = call(Method::GET, &calls, Some(&token)).await;
    let claims = &event_of(&body).1["requestContext"]["authorizer"]["jwt"]["claims"];
    assert_eq!((&claims["roles"], &claims["sub"]), (&json!("[support-specialist admin]"), &json!("agent-1")));
    let (_, body) = call(Method::POST, &format!("{url}/graph/notifications"), None).await;
    let (function, event) = event_of(&body);
    assert_eq!((function.as_str(), &event["requestContext"]["authorizer"]), ("webhook", &Value::Null));
    assert!(event["headers"].get("authorization").is_none());
}

#[tokio::test]
async fn the_role_picker_mints_tokens_for_its_roles_only() {
    let url = gateway().await;
    let (status, body) = call(Method::GET, &format!("{url}/dev/token?role=admin"), None).await;
    assert_eq!(status, StatusCode::OK);
    let claims = token::verify(KEY, body["token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["roles"], json!(["admin"]));
    for query in ["?role=root", "", "?role=admin&role=admin", "?role=admin&wids=62e90394-69f5-4237-9190-012177145e10"] {
        let (status, body) = call(Method::GET, &format!("{url}/dev/token{query}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body["message"].as_str().unwrap().starts_with("role must be one of"), "{body}");
    }
    // An Entra directory role, as Entra ID puts it in `wids`: no app role.
    let engineer = "f70938a0-fc10-4177-9e90-2178f8765737";
    let (status, body) = call(Method::GET, &format!("{url}/dev/token?wids={engineer}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let claims = token::verify(KEY, body["token"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&claims["wids"], claims.get("roles"), &claims["name"]),
        (&json!([engineer]), None, &json!("Erin Engineer"))
    );
    let (status, body) =
        call(Method::GET, &format!("{url}/dev/token?wids=b79fbf4d-3ef9-4689-8143-76b194e85509"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().starts_with("wids must be one of"), "{body}");
}

/// Whether `scripts/lib.sh`'s `port_free` reports loopback `port` free.
fn scripts_say_free(port: u16) -> bool {
    let repository = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    std::process::Command::new("bash")
        .args(["-c", r#"cd "$1" && . scripts/lib.sh && port_free "$2""#, "port_free", repository, &port.to_string()])
        .status()
        .unwrap()
        .success()
}

/// Whether a connection on local `port` is in TIME_WAIT (state 06 in `/proc/net/tcp`).
fn in_time_wait(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(3) == Some(&"06") && fields[1].ends_with(&format!(":{port:04X}"))
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_gateways_port_in_time_wait_is_free_and_a_listening_one_is_not() {
    let upstream = echo_functions().await;
    let (gateway, url) = gateway_at("127.0.0.1:0".parse().unwrap(), &upstream).await;
    let address: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    // One exchange the server ends (`Connection: close`), so its side of it waits in TIME_WAIT.
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        stream.read_to_end(&mut Vec::new()).unwrap();
    })
    .await
    .unwrap();
    gateway.abort();
    assert!(gateway.await.unwrap_err().is_cancelled());
    for _ in 0..50 {
        if in_time_wait(address.port()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(in_time_wait(address.port()), "the stopped gateway left a connection in TIME_WAIT");
    assert!(scripts_say_free(address.port()), "a port with only TIME_WAIT left is free for the next stack");
    // The next gateway binds the same port at once (tokio sets SO_REUSEADDR), and while it
    // listens the port is in use.
    let (next, _) = gateway_at(address, &upstream).await;
    assert!(!scripts_say_free(address.port()), "a listening gateway's port is in use");
    next.abort();
}
