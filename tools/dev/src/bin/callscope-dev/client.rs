//! HTTP as the CLI's commands send it to the local gateway and the stand-in Graph: one client
//! for the process, a bearer token, a body with its content type, an answer as JSON.
//!
//! A thin sender: it must not retry or interpret answers (each command decides).

use callscope_dev::Error;
use reqwest::Method;
use serde_json::Value;
use std::sync::LazyLock;
use std::time::Duration;

/// How long one request may take before the command gives up on it: a stack that stopped
/// answering must not hang the script that waits on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

static HTTP: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder().no_proxy().timeout(REQUEST_TIMEOUT).build().expect("a plain HTTP client")
});

/// A request body and its content type.
pub struct Body<'a> {
    pub content: String,
    pub content_type: &'a str,
}

impl Body<'_> {
    /// `value` as a JSON body.
    pub fn json(value: &Value) -> Self {
        Body { content: value.to_string(), content_type: "application/json" }
    }
}

/// Sends `method url`, with `token` as a bearer token if given: the status and the JSON body
/// (null when the body is not JSON).
pub async fn send(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Body<'_>>,
) -> Result<(u16, Value), Error> {
    let mut request = HTTP.request(method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", body.content_type).body(body.content);
    }
    let exchange = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    };
    exchange.await.map_err(|error| {
        if error.is_timeout() {
            format!("{method} {url}: no answer within {} s", REQUEST_TIMEOUT.as_secs()).into()
        } else {
            error.into()
        }
    })
}
