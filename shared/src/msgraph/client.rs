//! Requests to Graph with an app-only token: the token is fetched with the client-credentials
//! grant and cached until shortly before it expires; `429`, `503` and `504` wait for
//! `Retry-After` and retry, a bounded number of times; a `401` gets a new token once. A caller
//! with a deadline (a queued fetch) never waits longer than [`MAX_INLINE_WAIT`] or past its
//! deadline: a throttle (`429`) is handed back as [`GraphError::WouldWait`], and the fetch's
//! message goes back on its queue with that delay instead of a billed, sleeping function; Graph
//! unavailable (`503`, `504`, no answer) is a failed attempt ([`GraphError::Unavailable`]),
//! which the worker tries again later and sets aside after a few.

use super::settings::GraphSettings;
use crate::support::secret::Secret;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// Attempts per request while Graph throttles or is unavailable.
pub const MAX_ATTEMPTS: u32 = 6;
/// Longest single wait for `Retry-After` (a longer one is cut to this).
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// How long before its expiry a token is replaced (or half its lifetime, if that is shorter).
pub const TOKEN_MARGIN: Duration = Duration::from_secs(300);
/// Largest Graph response body read, in bytes: a page of 60 sessions with their segments is
/// 1–2 MB, so a body past this is no page callscope can keep; reading stops there rather than
/// holding whatever a response brings.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// The longest throttle a caller with a deadline waits out in place.
pub const MAX_INLINE_WAIT: Duration = Duration::from_secs(1);
/// Per-request timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a Graph request did not give us what we asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// `404`: the record is gone (older than 30 days) or never was.
    #[error("not found")]
    NotFound,
    /// Graph kept answering `429`/`503`/`504` (or the connection kept failing) through every attempt.
    #[error("Graph is throttling or unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (a `400`, a `403` without consent, ...): retrying will not help.
    /// `detail` is Graph's error code (`Forbidden`), never its message, which can name the
    /// record asked for: the error is logged and kept as a dead letter's reason.
    #[error("Graph answered {status}: {detail}")]
    Refused { status: u16, detail: String },
    /// The token endpoint refused our credentials or answered nonsense.
    #[error("no app-only token: {0}")]
    Token(String),
    /// A response that is not the JSON we asked for.
    #[error("unreadable Graph response: {0}")]
    Unreadable(String),
    /// A response body larger than [`MAX_RESPONSE_BYTES`]: asking again brings the same.
    #[error("a Graph response larger than callscope keeps: over {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    /// A link that does not point into the configured Graph: never followed with our token.
    #[error("a link outside {0} was not followed")]
    ForeignLink(String),
    /// Graph asked us to wait (`Retry-After`, or a backoff) past the caller's deadline, or the
    /// deadline left no time for the request: ask again after this long.
    #[error("Graph asked to wait {0:?}, past the deadline")]
    WouldWait(Duration),
}

impl GraphError {
    /// Whether asking again later may work.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Token(_) | Self::WouldWait(_))
    }
}

/// An access token: a bearer credential, so a [`Secret`] (never printed).
#[derive(Debug, Clone)]
struct Token {
    value: Secret,
    refresh_at: Instant,
}

/// Graph, as one warm function talks to it; cheap to clone (shared token cache).
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    settings: Arc<GraphSettings>,
    token: Arc<Mutex<Option<Token>>>,
}

impl GraphClient {
    /// A client for `settings`.
    pub fn new(settings: GraphSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { http, settings: Arc::new(settings), token: Arc::default() }
    }

    /// The settings the client was built with.
    pub fn settings(&self) -> &GraphSettings {
        &self.settings
    }

    /// `api_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> Result<reqwest::Url, GraphError> {
        reqwest::Url::parse(&format!("{}{path}", self.settings.api_url))
            .map_err(|e| GraphError::Unreadable(e.to_string()))
    }

    /// A link Graph handed out (`@odata.nextLink`), if it points into the configured Graph.
    pub fn link(&self, link: &str) -> Result<reqwest::Url, GraphError> {
        let inside = link.strip_prefix(self.settings.api_url.as_str()).is_some_and(|rest| rest.starts_with(['/', '?']));
        if !inside {
            return Err(GraphError::ForeignLink(self.settings.api_url.clone()));
        }
        reqwest::Url::parse(link).map_err(|e| GraphError::Unreadable(e.to_string()))
    }

    /// `GET url` as JSON.
    pub async fn get(&self, url: reqwest::Url) -> Result<Value, GraphError> {
        self.send(reqwest::Method::GET, url, None).await
    }

    /// `GET url` as JSON, answered (or given up with [`GraphError::WouldWait`]) by `deadline`.
    pub async fn get_until(&self, url: reqwest::Url, deadline: OffsetDateTime) -> Result<Value, GraphError> {
        self.send_until(reqwest::Method::GET, url, None, Some(deadline)).await
    }

    /// Sends a request and reads its JSON answer (`Value::Null` for an empty one), waiting out
    /// throttling and renewing the token once on a `401`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<&Value>,
    ) -> Result<Value, GraphError> {
        self.send_until(method, url, body, None).await
    }

    /// [`Self::send`], but neither a request nor a wait runs past `deadline`.
    async fn send_until(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Option<&Value>,
        deadline: Option<OffsetDateTime>,
    ) -> Result<Value, GraphError> {
        let left = || deadline.map(|at| Duration::try_from(at - OffsetDateTime::now_utc()).unwrap_or_default());
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.token().await?;
            let mut request = self.http.request(method.clone(), url.clone()).bearer_auth(&token);
            if let Some(left) = left() {
                if left.is_zero() {
                    return Err(GraphError::WouldWait(Duration::ZERO));
                }
                request = request.timeout(left.min(REQUEST_TIMEOUT));
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let (wait, throttled) = match request.send().await {
                Err(error) => {
                    tracing::warn!(error = %error.without_url(), attempt, "Graph request failed");
                    (backoff(attempt), false)
                }
                Ok(response) => match response.status().as_u16() {
                    200..=299 => {
                        let bytes = read_capped(response, MAX_RESPONSE_BYTES).await?;
                        if bytes.is_empty() {
                            return Ok(Value::Null);
                        }
                        return serde_json::from_slice(&bytes).map_err(|e| GraphError::Unreadable(e.to_string()));
                    }
                    404 => return Err(GraphError::NotFound),
                    401 if !renewed => {
                        renewed = true;
                        self.forget_token(&token).await;
                        attempt -= 1;
                        continue;
                    }
                    429 => (retry_after(&response, deadline.is_some()).unwrap_or_else(|| backoff(attempt)), true),
                    503 | 504 => (retry_after(&response, false).unwrap_or_else(|| backoff(attempt)), false),
                    status => return Err(GraphError::Refused { status, detail: error_code(response).await }),
                },
            };
            if deadline.is_some() && wait > MAX_INLINE_WAIT {
                // Throttled: the queue waits as long as Graph asks. Unavailable (a 5xx, no
                // answer): a failed attempt, tried again later and set aside after a few.
                return Err(if throttled {
                    GraphError::WouldWait(wait)
                } else {
                    GraphError::Unavailable(format!("no answer after {attempt} attempts"))
                });
            }
            if attempt >= MAX_ATTEMPTS {
                if throttled && deadline.is_some() {
                    // Throttled every time, briefly: still only throttling, waited out on the queue.
                    return Err(GraphError::WouldWait(wait.max(MAX_INLINE_WAIT)));
                }
                return Err(GraphError::Unavailable(format!("gave up after {attempt} attempts")));
            }
            if left().is_some_and(|left| wait >= left) {
                return Err(GraphError::WouldWait(wait));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The cached token, or a new one when it is close to expiry.
    async fn token(&self) -> Result<String, GraphError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.value.expose().to_owned());
        }
        let token = self.new_token().await?;
        let value = token.value.expose().to_owned();
        *cached = Some(token);
        Ok(value)
    }

    /// Drops `stale` from the cache, unless another request already replaced it.
    async fn forget_token(&self, stale: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value.expose() == stale) {
            *cached = None;
        }
    }

    /// The client-credentials grant.
    async fn new_token(&self) -> Result<Token, GraphError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: u64,
        }
        let scope = self.settings.scope();
        let form = [
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.expose()),
            ("scope", scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        let response = self
            .http
            .post(&self.settings.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| GraphError::Token(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(GraphError::Token(format!("the token endpoint answered {status}")));
        }
        let answer: Answer = response.json().await.map_err(|e| GraphError::Token(e.to_string()))?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let margin = TOKEN_MARGIN.min(lifetime / 2);
        Ok(Token { value: Secret::new(answer.access_token), refresh_at: Instant::now() + lifetime - margin })
    }
}

/// The body of `response`, refused as [`GraphError::TooLarge`] past `cap` bytes: by its
/// `Content-Length` before reading, else as soon as the chunks read pass it.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, GraphError> {
    if response.content_length().is_some_and(|length| length > cap as u64) {
        return Err(GraphError::TooLarge);
    }
    let mut body = Vec::new();
    let unreadable = |e: reqwest::Error| GraphError::Unreadable(e.without_url().to_string());
    while let Some(chunk) = response.chunk().await.map_err(unreadable)? {
        if body.len() + chunk.len() > cap {
            return Err(GraphError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `error.code` of a Graph error answer (`Forbidden`, `BadRequest`), or what the answer
/// was instead. Its `message` is left out: it can name the resource asked for (a call's id).
async fn error_code(response: reqwest::Response) -> String {
    let answer: Value = response.json().await.unwrap_or_default();
    match answer["error"]["code"].as_str() {
        Some(code) => code.chars().take(100).collect(),
        None => "an answer without an error code".to_owned(),
    }
}

/// `Retry-After` in seconds: whole when it is handed back to a queue (`queued`), else capped at
/// [`MAX_WAIT`] (a wait in place).
fn retry_after(response: &reqwest::Response, queued: bool) -> Option<Duration> {
    let seconds: u64 = response.headers().get("retry-after")?.to_str().ok()?.trim().parse().ok()?;
    let asked = Duration::from_secs(seconds);
    Some(if queued { asked.min(Duration::from_secs(12 * 3600)) } else { asked.min(MAX_WAIT) })
}

/// Exponential backoff when Graph names no wait: 0.5 s, 1 s, 2 s, ... capped at [`MAX_WAIT`].
fn backoff(attempt: u32) -> Duration {
    (Duration::from_millis(500) * 2u32.saturating_pow(attempt.saturating_sub(1))).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: Vec<u8>) -> reqwest::Response {
        http::Response::new(body).into()
    }

    #[tokio::test]
    async fn a_body_is_read_up_to_the_cap_and_refused_past_it() {
        assert_eq!(read_capped(response(vec![b'x'; 10]), 10).await.unwrap().len(), 10);
        assert_eq!(read_capped(response(Vec::new()), 10).await.unwrap(), b"");
        assert_eq!(read_capped(response(vec![b'x'; 11]), 10).await.unwrap_err(), GraphError::TooLarge);
        assert!(!GraphError::TooLarge.is_transient(), "the same record brings the same body: no retry");
    }
}
