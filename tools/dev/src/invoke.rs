//! Lambda's invoke API (`POST /2015-03-31/functions/{name}/invocations`) as `cargo lambda watch`
//! serves it: how the gateway, the stream triggers and the schedule reach the functions.
//!
//! It only carries events and answers; it must not build them (the gateway and the triggers do)
//! nor retry (the caller decides, as Lambda's callers do).

use crate::Error;
use serde_json::Value;

/// The functions served behind one invoke API.
#[derive(Debug, Clone)]
pub struct Functions {
    http: reqwest::Client,
    upstream: String,
}

impl Functions {
    /// The functions served at `upstream` (`http://127.0.0.1:9000`). No timeout: cargo lambda
    /// compiles a function on its first invocation, which can take minutes.
    pub fn new(upstream: &str) -> Self {
        let http = reqwest::Client::builder().no_proxy().build().expect("a plain HTTP client");
        Self { http, upstream: upstream.trim_end_matches('/').to_owned() }
    }

    /// Invokes `function` with `event`: the function's answer (which may be an `errorMessage`).
    pub async fn invoke(&self, function: &str, event: &Value) -> Result<Value, Error> {
        let url = format!("{}/2015-03-31/functions/{function}/invocations", self.upstream);
        let response = self.http.post(url).json(event).send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(format!("invoke answered {status}: {}", String::from_utf8_lossy(&bytes)).into());
        }
        Ok(serde_json::from_slice(&bytes)?)
    }
}
