//! A local stand-in for Microsoft Graph, behaving like the real one where the connector depends
//! on it: the client-credentials token endpoint (tokens expire, and can be expired on demand),
//! subscriptions (create with the validation handshake, renew, list, expiry after at most 4,230
//! minutes), change and lifecycle notifications delivered to the notification URL (retried on
//! 5xx and on connection failures), `GET` with `$expand` in real page sizes (60 sessions, 130
//! participants), the `$filter` listing, injected `429`s with `Retry-After`, `404` for records
//! older than 30 days, and revisions (a later version of a record, notified again).
//!
//! Control endpoints under `/_standin/` (local only) publish records, send lifecycle events and
//! expire tokens; tests drive the same operations through [`StandIn`]'s methods.

use bytes::Bytes;
use callscope_core::support::clock::Clock;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Sessions per page (Graph: 60).
    pub session_page: usize,
    /// Participants per page (Graph: 130).
    pub participant_page: usize,
    /// Records per listing page (Graph: 60).
    pub list_page: usize,
    /// Share of API requests answered `429`, in percent.
    pub throttle_percent: u64,
    /// The `Retry-After` of a `429`, in seconds.
    pub retry_after_seconds: u64,
    /// Lifetime of a token, in seconds.
    pub token_lifetime_seconds: u64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            session_page: 60,
            participant_page: 130,
            list_page: 60,
            throttle_percent: 0,
            retry_after_seconds: 1,
            token_lifetime_seconds: 3600,
        }
    }
}

/// What the stand-in has seen, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub api_requests: AtomicU64,
    pub throttled: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub notifications_delivered: AtomicU64,
    pub delivery_failures: AtomicU64,
}

#[derive(Debug, Clone)]
struct Subscription {
    id: String,
    notification_url: String,
    lifecycle_url: Option<String>,
    client_state: String,
    expires_at: OffsetDateTime,
}

#[derive(Debug, Default)]
struct State {
    /// The latest version of each record, whole.
    records: BTreeMap<String, Value>,
    /// Issued tokens and when each expires.
    tokens: HashMap<String, OffsetDateTime>,
    subscriptions: BTreeMap<String, Subscription>,
    /// A deterministic sequence for throttling decisions.
    dice: u64,
}

/// The stand-in Graph.
pub struct StandIn {
    behaviour: Mutex<Behaviour>,
    state: Mutex<State>,
    clock: Clock,
    /// Where the stand-in serves (`http://127.0.0.1:port`); its API is under `/v1.0`.
    pub base_url: String,
    pub stats: Stats,
    http: reqwest::Client,
    deliveries: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
    next: AtomicU64,
}

type Reply = Response<Full<Bytes>>;

impl StandIn {
    /// Starts serving on `listener` with `behaviour`, its clock `clock` (records older than 30
    /// days by it answer 404).
    pub fn start(listener: tokio::net::TcpListener, behaviour: Behaviour, clock: Clock) -> Arc<Self> {
        let base_url = format!("http://{}", listener.local_addr().expect("a bound listener"));
        let stand_in = Arc::new(Self {
            behaviour: Mutex::new(behaviour),
            state: Mutex::default(),
            clock,
            base_url,
            stats: Stats::default(),
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().expect("a client"),
            deliveries: tokio::sync::Mutex::new(tokio::task::JoinSet::new()),
            next: AtomicU64::new(1),
        });
        let serving = stand_in.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let stand_in = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let stand_in = stand_in.clone();
                        async move { Ok::<_, std::convert::Infallible>(stand_in.handle(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        stand_in
    }

    /// `GRAPH_API_URL` for this stand-in.
    pub fn api_url(&self) -> String {
        format!("{}/v1.0", self.base_url)
    }

    /// `GRAPH_TOKEN_URL` for this stand-in.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.base_url)
    }

    /// Changes how the stand-in behaves from now on.
    pub fn set_behaviour(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.behaviour.lock().expect("behaviour"));
    }

    fn id(&self, prefix: &str) -> String {
        format!("{prefix}-{}-{}", std::process::id(), self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Publishes records (each a whole Graph call record; a later version replaces an earlier
    /// one) and notifies every live subscription, one delivery per 100 records, as Graph batches.
    pub async fn publish(self: &Arc<Self>, records: Vec<Value>) {
        let ids: Vec<String> = {
            let mut state = self.state.lock().expect("state");
            records
                .into_iter()
                .filter_map(|record| {
                    let id = record["id"].as_str()?.to_owned();
                    state.records.insert(id.clone(), record);
                    Some(id)
                })
                .collect()
        };
        for chunk in ids.chunks(100) {
            let subscriptions = self.live_subscriptions();
            for sub in subscriptions {
                let value: Vec<Value> = chunk
                    .iter()
                    .map(|id| {
                        let resource = format!("communications/callRecords/{id}");
                        json!({
                            "subscriptionId": sub.id, "clientState": sub.client_state, "changeType": "updated",
                            "resource": resource, "tenantId": "stand-in-tenant",
                            "subscriptionExpirationDateTime": rfc3339(sub.expires_at),
                            "resourceData": { "@odata.type": "#microsoft.graph.callrecord",
                                "@odata.id": resource, "id": id },
                        })
                    })
                    .collect();
                self.deliver(sub.notification_url.clone(), json!({ "value": value })).await;
            }
        }
    }

    /// Stores records without notifying anyone (they show up only in listings: a backfill's case).
    pub fn publish_silently(&self, records: Vec<Value>) {
        let mut state = self.state.lock().expect("state");
        for record in records {
            if let Some(id) = record["id"].as_str() {
                state.records.insert(id.to_owned(), record);
            }
        }
    }

    /// Sends lifecycle event `event` to every live subscription; `subscriptionRemoved` removes
    /// them first, as Graph does.
    pub async fn lifecycle(self: &Arc<Self>, event: &str) {
        let subscriptions = self.live_subscriptions();
        if event == "subscriptionRemoved" {
            self.state.lock().expect("state").subscriptions.clear();
        }
        for sub in subscriptions {
            let Some(url) = sub.lifecycle_url.clone() else { continue };
            let body = json!({ "value": [{
                "subscriptionId": sub.id, "clientState": sub.client_state, "lifecycleEvent": event,
                "resource": "/communications/callRecords", "tenantId": "stand-in-tenant",
                "subscriptionExpirationDateTime": rfc3339(sub.expires_at),
            }]});
            self.deliver(url, body).await;
        }
    }

    /// Makes every issued token expired (the next API request with one gets `401`).
    pub fn expire_tokens(&self) {
        let past = self.clock.now() - Duration::SECOND;
        self.state.lock().expect("state").tokens.values_mut().for_each(|at| *at = past);
    }

    /// The live subscriptions: (id, expiry).
    pub fn subscriptions(&self) -> Vec<(String, OffsetDateTime)> {
        self.live_subscriptions().into_iter().map(|s| (s.id, s.expires_at)).collect()
    }

    fn live_subscriptions(&self) -> Vec<Subscription> {
        let now = self.clock.now();
        self.state.lock().expect("state").subscriptions.values().filter(|s| s.expires_at > now).cloned().collect()
    }

    /// Waits until every notification delivery started so far has ended.
    pub async fn deliveries_done(&self) {
        let mut deliveries = self.deliveries.lock().await;
        while deliveries.join_next().await.is_some() {}
    }

    /// Delivers `body` to `url` in the background, retrying 5xx and failed connections with
    /// exponential backoff (Graph keeps trying for hours; the stand-in for about a minute).
    async fn deliver(self: &Arc<Self>, url: String, body: Value) {
        let stand_in = self.clone();
        self.deliveries.lock().await.spawn(async move {
            for attempt in 0..8u32 {
                let sent = stand_in.http.post(&url).json(&body).send().await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        stand_in.stats.notifications_delivered.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Ok(response) if response.status().is_client_error() => break,
                    _ => {}
                }
                tokio::time::sleep(std::time::Duration::from_millis(250 << attempt.min(6))).await;
            }
            stand_in.stats.delivery_failures.fetch_add(1, Ordering::Relaxed);
        });
    }

    async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        let path = parts.uri.path().to_owned();
        let query: HashMap<String, String> = url_pairs(parts.uri.query().unwrap_or_default());
        if path.ends_with("/oauth2/v2.0/token") && parts.method == Method::POST {
            return self.token(&body);
        }
        if let Some(control) = path.strip_prefix("/_standin/") {
            return self.control(control, &body).await;
        }
        let Some(api_path) = path.strip_prefix("/v1.0") else { return error(StatusCode::NOT_FOUND, "NotFound") };
        self.stats.api_requests.fetch_add(1, Ordering::Relaxed);
        if !self.authorized(parts.headers.get("authorization").and_then(|v| v.to_str().ok())) {
            return error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
        }
        if self.throttle() {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            let seconds = self.behaviour.lock().expect("behaviour").retry_after_seconds;
            let mut reply = error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
            reply.headers_mut().insert("retry-after", seconds.into());
            return reply;
        }
        let segments: Vec<String> = api_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match (&parts.method, segments.as_slice()) {
            (&Method::GET, ["communications", "callRecords"]) => self.list(&query),
            (&Method::GET, ["communications", "callRecords", id]) => self.record(id, &query),
            (&Method::GET, ["communications", "callRecords", id, "sessions"]) => self.page(id, "sessions", &query),
            (&Method::GET, ["communications", "callRecords", id, "participants_v2"]) => {
                self.page(id, "participants_v2", &query)
            }
            (&Method::GET, ["subscriptions"]) => self.list_subscriptions(),
            (&Method::POST, ["subscriptions"]) => self.create_subscription(&body).await,
            (&Method::PATCH, ["subscriptions", id]) => self.renew_subscription(id, &body),
            (&Method::DELETE, ["subscriptions", id]) => {
                self.state.lock().expect("state").subscriptions.remove(*id);
                Response::builder().status(StatusCode::NO_CONTENT).body(Full::default()).expect("a reply")
            }
            _ => error(StatusCode::NOT_FOUND, "NotFound"),
        }
    }

    fn token(&self, body: &[u8]) -> Reply {
        let form = url_pairs(&String::from_utf8_lossy(body));
        let complete =
            ["client_id", "client_secret", "scope"].iter().all(|k| form.get(*k).is_some_and(|v| !v.is_empty()));
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") || !complete {
            return reply(StatusCode::BAD_REQUEST, json!({ "error": "invalid_request" }));
        }
        let lifetime = self.behaviour.lock().expect("behaviour").token_lifetime_seconds;
        let token = self.id("token");
        let expires_at = self.clock.now() + Duration::seconds(lifetime as i64);
        self.state.lock().expect("state").tokens.insert(token.clone(), expires_at);
        self.stats.tokens_issued.fetch_add(1, Ordering::Relaxed);
        reply(StatusCode::OK, json!({ "token_type": "Bearer", "expires_in": lifetime, "access_token": token }))
    }

    fn authorized(&self, header: Option<&str>) -> bool {
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else { return false };
        let now = self.clock.now();
        self.state.lock().expect("state").tokens.get(token).is_some_and(|at| *at > now)
    }

    fn throttle(&self) -> bool {
        let percent = self.behaviour.lock().expect("behaviour").throttle_percent;
        let mut state = self.state.lock().expect("state");
        state.dice = state.dice.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state.dice >> 33) % 100 < percent
    }

    /// The record as Graph keeps it: `None` once it is older than 30 days.
    fn stored(&self, id: &str) -> Option<Value> {
        let record = self.state.lock().expect("state").records.get(id).cloned()?;
        let ended = record["endDateTime"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())?;
        (ended > self.clock.now() - Duration::days(30)).then_some(record)
    }

    fn record(&self, id: &str, query: &HashMap<String, String>) -> Reply {
        let Some(mut record) = self.stored(id) else { return error(StatusCode::NOT_FOUND, "NotFound") };
        let expand = query.get("$expand").cloned().unwrap_or_default();
        let object = record.as_object_mut().expect("records are objects");
        let sessions = object.remove("sessions").unwrap_or(json!([]));
        let participants = object.remove("participants_v2").unwrap_or(json!([]));
        object.insert(
            "@odata.context".into(),
            json!(format!("{}/$metadata#communications/callRecords/$entity", self.api_url())),
        );
        if expand.starts_with("sessions") {
            self.first_page(object, id, "sessions", sessions);
        } else if expand.starts_with("participants_v2") {
            self.first_page(object, id, "participants_v2", participants);
        }
        reply(StatusCode::OK, record)
    }

    fn page_size(&self, part: &str) -> usize {
        let behaviour = self.behaviour.lock().expect("behaviour");
        if part == "sessions" { behaviour.session_page } else { behaviour.participant_page }
    }

    fn first_page(&self, object: &mut serde_json::Map<String, Value>, id: &str, part: &str, all: Value) {
        let all = all.as_array().cloned().unwrap_or_default();
        let size = self.page_size(part);
        object.insert(part.to_owned(), Value::Array(all.iter().take(size).cloned().collect()));
        if all.len() > size {
            object.insert(format!("{part}@odata.nextLink"), json!(self.part_link(id, part, size)));
        }
    }

    fn part_link(&self, id: &str, part: &str, skip: usize) -> String {
        let expand = if part == "sessions" { "$expand=segments&" } else { "" };
        let id = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
        format!("{}/communications/callRecords/{id}/{part}?{expand}$skiptoken={skip}", self.api_url())
    }

    fn page(&self, id: &str, part: &str, query: &HashMap<String, String>) -> Reply {
        let Some(record) = self.stored(id) else { return error(StatusCode::NOT_FOUND, "NotFound") };
        let all = record[part].as_array().cloned().unwrap_or_default();
        let skip: usize = query.get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
        let size = self.page_size(part);
        let mut page = json!({ "value": all.iter().skip(skip).take(size).cloned().collect::<Vec<_>>() });
        if all.len() > skip + size {
            page["@odata.nextLink"] = json!(self.part_link(id, part, skip + size));
        }
        reply(StatusCode::OK, page)
    }

    /// `$filter=startDateTime ge X and startDateTime lt Y`, paged with `$skiptoken`.
    fn list(&self, query: &HashMap<String, String>) -> Reply {
        let filter = query.get("$filter").cloned().unwrap_or_default();
        let bound = |op: &str| {
            let start = filter.find(&format!("startDateTime {op} "))? + "startDateTime ".len() + op.len() + 1;
            let text = filter[start..].split_whitespace().next()?;
            OffsetDateTime::parse(text, &Rfc3339).ok()
        };
        let (Some(from), Some(to)) = (bound("ge"), bound("lt")) else {
            return error(StatusCode::BAD_REQUEST, "BadRequest");
        };
        let oldest = self.clock.now() - Duration::days(30);
        let ids: Vec<String> = {
            let state = self.state.lock().expect("state");
            state
                .records
                .values()
                .filter(|r| {
                    let at = |k: &str| r[k].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
                    at("startDateTime").is_some_and(|s| s >= from && s < to)
                        && at("endDateTime").is_some_and(|e| e > oldest)
                })
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect()
        };
        let skip: usize = query.get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
        let size = self.behaviour.lock().expect("behaviour").list_page;
        let value: Vec<Value> = ids.iter().skip(skip).take(size).map(|id| json!({ "id": id })).collect();
        let mut page = json!({ "value": value });
        if ids.len() > skip + size {
            let filter = percent_encoding::utf8_percent_encode(&filter, percent_encoding::NON_ALPHANUMERIC);
            page["@odata.nextLink"] = json!(format!(
                "{}/communications/callRecords?$filter={filter}&$skiptoken={}",
                self.api_url(),
                skip + size
            ));
        }
        reply(StatusCode::OK, page)
    }

    fn list_subscriptions(&self) -> Reply {
        let value: Vec<Value> = self.live_subscriptions().iter().map(subscription_json).collect();
        reply(StatusCode::OK, json!({ "value": value }))
    }

    /// Creates a subscription after the validation handshake with both URLs succeeds.
    async fn create_subscription(&self, body: &[u8]) -> Reply {
        let Ok(asked) = serde_json::from_slice::<Value>(body) else {
            return error(StatusCode::BAD_REQUEST, "BadRequest");
        };
        let now = self.clock.now();
        let expires_at = asked["expirationDateTime"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let resource = asked["resource"].as_str().unwrap_or_default().trim_start_matches('/');
        let change_ok =
            asked["changeType"].as_str().is_some_and(|c| c.split(',').all(|c| matches!(c, "created" | "updated")));
        let (Some(url), Some(state), Some(expires_at)) =
            (asked["notificationUrl"].as_str(), asked["clientState"].as_str(), expires_at)
        else {
            return error(StatusCode::BAD_REQUEST, "BadRequest");
        };
        if resource != "communications/callRecords" || !change_ok || state.len() > 128 {
            return error(StatusCode::BAD_REQUEST, "BadRequest");
        }
        if expires_at <= now || expires_at > now + Duration::minutes(4_230) {
            return error(StatusCode::BAD_REQUEST, "InvalidRequest: expirationDateTime out of range");
        }
        let lifecycle_url = asked["lifecycleNotificationUrl"].as_str().map(str::to_owned);
        for target in std::iter::once(url).chain(lifecycle_url.as_deref()) {
            if !self.handshake(target).await {
                return error(StatusCode::BAD_REQUEST, "ValidationError: the endpoint failed the validation handshake");
            }
        }
        let sub = Subscription {
            id: self.id("subscription"),
            notification_url: url.to_owned(),
            lifecycle_url,
            client_state: state.to_owned(),
            expires_at,
        };
        self.state.lock().expect("state").subscriptions.insert(sub.id.clone(), sub.clone());
        reply(StatusCode::CREATED, subscription_json(&sub))
    }

    /// `POST url?validationToken=...`: must answer 200, `text/plain`, the token and nothing else.
    async fn handshake(&self, url: &str) -> bool {
        let token = format!("Validation: stand-in token {} & more", self.id("v"));
        let encoded = percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC);
        let separator = if url.contains('?') { '&' } else { '?' };
        let Ok(target) = reqwest::Url::parse(&format!("{url}{separator}validationToken={encoded}")) else {
            return false;
        };
        let Ok(response) = self.http.post(target).header("content-type", "text/plain").send().await else {
            return false;
        };
        let plain = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"));
        response.status() == reqwest::StatusCode::OK && plain && response.text().await.ok().as_deref() == Some(&token)
    }

    fn renew_subscription(&self, id: &str, body: &[u8]) -> Reply {
        let now = self.clock.now();
        let asked = serde_json::from_slice::<Value>(body).ok();
        let Some(expires_at) = asked
            .as_ref()
            .and_then(|a| a["expirationDateTime"].as_str())
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        else {
            return error(StatusCode::BAD_REQUEST, "BadRequest");
        };
        if expires_at <= now || expires_at > now + Duration::minutes(4_230) {
            return error(StatusCode::BAD_REQUEST, "InvalidRequest: expirationDateTime out of range");
        }
        let mut state = self.state.lock().expect("state");
        match state.subscriptions.get_mut(id).filter(|s| s.expires_at > now) {
            None => error(StatusCode::NOT_FOUND, "ResourceNotFound"),
            Some(sub) => {
                sub.expires_at = expires_at;
                reply(StatusCode::OK, subscription_json(sub))
            }
        }
    }

    /// `/_standin/records` (a record or a `{"value": [...]}` of them: publish and notify),
    /// `/_standin/lifecycle/{event}`, `/_standin/expire-tokens`, `/_standin/stats`.
    async fn control(self: &Arc<Self>, what: &str, body: &[u8]) -> Reply {
        match what.split('/').collect::<Vec<_>>().as_slice() {
            ["records"] => {
                let Ok(value) = serde_json::from_slice::<Value>(body) else {
                    return error(StatusCode::BAD_REQUEST, "BadRequest");
                };
                let records = match value.get("value") {
                    Some(Value::Array(records)) => records.clone(),
                    _ => vec![value],
                };
                let count = records.len();
                self.publish(records).await;
                reply(StatusCode::ACCEPTED, json!({ "published": count }))
            }
            ["lifecycle", event] => {
                self.lifecycle(event).await;
                reply(StatusCode::ACCEPTED, json!({ "sent": event }))
            }
            ["expire-tokens"] => {
                self.expire_tokens();
                reply(StatusCode::OK, json!({}))
            }
            ["stats"] => reply(
                StatusCode::OK,
                json!({
                    "apiRequests": self.stats.api_requests.load(Ordering::Relaxed),
                    "throttled": self.stats.throttled.load(Ordering::Relaxed),
                    "tokensIssued": self.stats.tokens_issued.load(Ordering::Relaxed),
                    "notificationsDelivered": self.stats.notifications_delivered.load(Ordering::Relaxed),
                    "deliveryFailures": self.stats.delivery_failures.load(Ordering::Relaxed),
                    "subscriptions": self.live_subscriptions().len(),
                    "records": self.state.lock().expect("state").records.len(),
                }),
            ),
            _ => error(StatusCode::NOT_FOUND, "NotFound"),
        }
    }
}

fn subscription_json(sub: &Subscription) -> Value {
    json!({
        "id": sub.id, "resource": "/communications/callRecords", "changeType": "updated",
        "notificationUrl": sub.notification_url, "lifecycleNotificationUrl": sub.lifecycle_url,
        "expirationDateTime": rfc3339(sub.expires_at), "clientState": null,
    })
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Decoded `a=b&c=d` pairs (`+` as space, as in forms).
fn url_pairs(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode =
                |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

fn reply(status: StatusCode, body: Value) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid reply")
}

fn error(status: StatusCode, code: &str) -> Reply {
    reply(status, json!({ "error": { "code": code, "message": code } }))
}
