//! A local stand-in for Microsoft Graph, behaving like the real one where the connector depends
//! on it: the client-credentials token endpoint (tokens expire, and can be expired on demand),
//! subscriptions (create with the validation handshake, renew, list, expiry after at most 4,230
//! minutes), change and lifecycle notifications delivered to the notification URL (retried on
//! 5xx and on connection failures), `GET` with `$expand` in real page sizes (60 sessions, 130
//! participants), the `$filter` listing, injected `429`s with `Retry-After`, Graph's per-record
//! limits (`limits`: 10 requests per 20 s for a record's first page, 50 per 5 minutes for later
//! pages, time-scaled in tests), `404` for records older than 30 days, and revisions (a later
//! version of a record, notified again), and the PSTN and Direct Routing call logs (`phone`).
//!
//! Control endpoints under `/_standin/` (local only) publish records, send lifecycle events,
//! expire tokens and report [`Stats`]; tests drive the same operations through [`StandIn`]'s
//! methods. It plays Graph only: it must not know the product's tables or functions, and reaches
//! the product only through the URLs a subscription names, as Graph does.
//!
//! Not the call-record model: that is the core's `domain::graph`.

mod access;
mod control;
mod limits;
mod notifications;
mod phone;
mod records;
mod subscriptions;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use callscope_core::domain::connector::PerRecordLimits;
use callscope_core::support::clock::Clock;
use callscope_core::support::clock::rfc3339;
use callscope_core::support::fixtures::HOME_TENANT;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use subscriptions::Subscription;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Sessions per page (Graph: 60).
    pub session_page: usize,
    /// Participants per page (Graph: 130).
    pub participant_page: usize,
    /// Records per listing page (Graph: 60).
    pub list_page: usize,
    /// Rows per page of a phone-call log (Graph: 1,000).
    pub phone_page: usize,
    /// A phone-call log's pages link to themselves (a broken service): the poll must not loop.
    pub phone_page_links_itself: bool,
    /// Share of API requests answered `429`, in percent.
    pub throttle_percent: u64,
    /// The `Retry-After` of a `429`, in seconds.
    pub retry_after_seconds: u64,
    /// Share of API requests answered `503` (no `Retry-After`: Graph down), in percent.
    pub unavailable_percent: u64,
    /// Lifetime of a token, in seconds.
    pub token_lifetime_seconds: u64,
    /// The per-record limits it enforces (`None`: none). Graph's by default; tests scale
    /// their windows down (`PerRecordLimits::scaled`) and give the worker the same.
    pub record_limits: Option<PerRecordLimits>,
    /// The tenant its notifications name (`tenantId`): the product's home tenant, as Graph
    /// names the tenant that subscribed (the fixtures' by default).
    pub tenant: String,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            session_page: 60,
            participant_page: 130,
            list_page: 60,
            phone_page: 1_000,
            phone_page_links_itself: false,
            throttle_percent: 0,
            retry_after_seconds: 1,
            unavailable_percent: 0,
            token_lifetime_seconds: 3600,
            record_limits: Some(PerRecordLimits::GRAPH),
            tenant: HOME_TENANT.to_owned(),
        }
    }
}

/// What the stand-in has seen, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub api_requests: AtomicU64,
    /// Requests answered `429` by the injected throttling.
    pub throttled: AtomicU64,
    /// Requests answered `429` because they broke a record's per-record limits.
    pub record_throttled: AtomicU64,
    pub tokens_issued: AtomicU64,
    pub notifications_delivered: AtomicU64,
    pub delivery_failures: AtomicU64,
    /// Pages of the phone-call logs served.
    pub phone_pages: AtomicU64,
}

/// The seed of the throttling dice: the same requests are throttled on every run.
const DICE_SEED: u64 = 0x6772_6170_6821;

#[derive(Debug)]
struct State {
    /// The latest version of each record, whole (shared: a page is cut from it, never a copy).
    records: BTreeMap<String, Arc<Value>>,
    /// The rows of each phone-call log, as published.
    phone_rows: HashMap<callscope_core::domain::connector::PhoneLog, Vec<Value>>,
    /// When each record's served requests arrived, by kind: what its limits count.
    record_requests: limits::Log,
    /// Issued tokens and when each expires.
    tokens: HashMap<String, OffsetDateTime>,
    subscriptions: BTreeMap<String, Subscription>,
    /// Decides which requests are throttled.
    dice: StdRng,
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

impl StandIn {
    /// Starts serving on `listener` with `behaviour`, its clock `clock` (records older than 30
    /// days by it answer 404). It serves until the runtime stops.
    pub fn start(listener: tokio::net::TcpListener, behaviour: Behaviour, clock: Clock) -> Arc<Self> {
        let base_url = format!("http://{}", listener.local_addr().expect("a bound listener"));
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("a plain HTTP client");
        let state = State {
            records: BTreeMap::new(),
            phone_rows: HashMap::new(),
            record_requests: limits::Log::default(),
            tokens: HashMap::new(),
            subscriptions: BTreeMap::new(),
            dice: StdRng::seed_from_u64(DICE_SEED),
        };
        let stand_in = Arc::new(Self {
            behaviour: Mutex::new(behaviour),
            state: Mutex::new(state),
            clock,
            base_url,
            stats: Stats::default(),
            http,
            deliveries: tokio::sync::Mutex::new(tokio::task::JoinSet::new()),
            next: AtomicU64::new(1),
        });
        let router = router(stand_in.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
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

    fn behaviour(&self) -> Behaviour {
        self.behaviour.lock().expect("behaviour").clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }

    /// A new id, unique in this process.
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}-{}-{}", std::process::id(), self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Everything the stand-in serves: the token endpoint (with or without a tenant in the path,
/// as `login.microsoftonline.com` is asked), Graph's API under `/v1.0` behind its token check
/// and throttling, and the control endpoints.
fn router(stand_in: Arc<StandIn>) -> Router {
    let api = Router::new()
        .route("/communications/callRecords", get(records::list))
        .route("/communications/callRecords/{id}", get(records::record))
        .route("/communications/callRecords/{id}/{part}", get(records::page))
        .route("/subscriptions", get(subscriptions::list).post(subscriptions::create))
        .route("/subscriptions/{id}", patch(subscriptions::renew).delete(subscriptions::delete))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(stand_in.clone(), access::guard));
    Router::new()
        .route("/oauth2/v2.0/token", post(access::token))
        .route("/{tenant}/oauth2/v2.0/token", post(access::token))
        .nest("/v1.0", api)
        .nest("/_standin", control::router())
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        // Records are published whole: a town hall's is far above axum's 2 MB default.
        .layer(DefaultBodyLimit::disable())
        .with_state(stand_in)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Graph's error body: `{"error": {"code", "message"}}`.
fn error(status: StatusCode, code: &str) -> Response {
    reply(status, json!({ "error": { "code": code, "message": code } }))
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "NotFound")
}

/// An instant in RFC 3339, as Graph writes them.
fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}
