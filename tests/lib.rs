//! Support for the integration tests: a fresh table on the local DynamoDB-compatible server
//! (moto, started by `scripts/with-moto.sh`), each handler's app reaching it as its function
//! (every request checked against that function's role: `iam`), the sample events, and the
//! fixed test clock.

pub mod connector;
pub mod heap;
pub mod iam;
pub mod layer;
pub mod race;
pub mod samples;

pub use iam::as_function;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use callscope_core::store::{DynamoStore, schema};
use callscope_core::support::clock::Clock;
use callscope_core::support::config::Config;
use callscope_http::HttpFunction;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::macros::datetime;

/// Every log line written through [`Captured::subscriber`], kept.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The functions' own JSON-lines subscriber at `level`, writing here.
    pub fn subscriber(&self, level: &str) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        callscope_core::support::telemetry::json_lines(
            move || writer.clone(),
            tracing_subscriber::EnvFilter::new(level),
        )
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("log lines are UTF-8")
    }

    /// Every line written since the last call, and forget them.
    pub fn take_lines(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8(bytes).expect("log lines are UTF-8").lines().map(str::to_owned).collect()
    }
}

/// The size of a stress test: `full` under `CALLSCOPE_STRESS=full` (`make stress`), else `quick`,
/// the size every commit runs — smaller, but still enough that every write path contends.
pub fn stress_size(full: usize, quick: usize) -> usize {
    if std::env::var("CALLSCOPE_STRESS").is_ok_and(|v| v == "full") { full } else { quick }
}

/// The instant the sample events were written for; handlers under test run at this time.
pub const ANCHOR: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

pub mod faults;

fn client_config() -> aws_sdk_dynamodb::config::Builder {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT")
        .expect("CALLSCOPE_DYNAMODB_ENDPOINT is not set: run the tests with `make test` (it starts moto)");
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
}

/// A Secrets Manager client on the local server (moto serves every service on one port), each
/// of its requests written to the returned log.
pub fn secrets_client() -> (aws_sdk_secretsmanager::Client, RequestLog) {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("run through `make test`");
    let log = RequestLog::default();
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .interceptor(log.gate())
        .build();
    (aws_sdk_secretsmanager::Client::from_conf(config), log)
}

/// A client for the local server named by `CALLSCOPE_DYNAMODB_ENDPOINT`.
pub fn local_client() -> Client {
    Client::from_conf(client_config().build())
}

/// A client of the local SQS (moto serves it beside DynamoDB).
pub fn sqs_client() -> aws_sdk_sqs::Client {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("CALLSCOPE_DYNAMODB_ENDPOINT is set");
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// How long a received message of a test's queues stays hidden: short, so that a test sees a
/// failed message come back (the template's is 30 minutes).
pub const TEST_VISIBILITY_SECONDS: u32 = 2;

/// The work queues of `table` (made with the table by [`fresh_store`]).
pub fn work_queue(table: &str) -> callscope_core::queue::WorkQueue {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("CALLSCOPE_DYNAMODB_ENDPOINT is set");
    let url = |lane: &str| format!("{}/123456789012/{table}-graph-{lane}", endpoint.trim_end_matches('/'));
    let urls = callscope_core::queue::QueueUrls { live: url("live"), backfill: url("backfill") };
    callscope_core::queue::WorkQueue::new(sqs_client(), urls)
}

/// The Graph connector's four queues of `table`, as the query function reads their depth.
pub fn queue_gauge(table: &str) -> callscope_core::queue::QueueGauge {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("CALLSCOPE_DYNAMODB_ENDPOINT is set");
    let url = |lane: &str| format!("{}/123456789012/{table}-graph-{lane}", endpoint.trim_end_matches('/'));
    let lookup = |name: &str| match name {
        "GRAPH_LIVE_QUEUE_URL" => Some(url("live")),
        "GRAPH_BACKFILL_QUEUE_URL" => Some(url("backfill")),
        "GRAPH_LIVE_DEAD_LETTER_QUEUE_URL" => Some(url("live-dead")),
        "GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL" => Some(url("backfill-dead")),
        _ => None,
    };
    callscope_core::queue::QueueGauge::from_lookup(sqs_client(), lookup).expect("the test queues' URLs")
}

/// Where `store`'s function queues the Graph worker's work: its table and the table's queues.
pub fn dispatch(store: &DynamoStore) -> callscope_core::app::dispatch::Dispatch {
    callscope_core::app::dispatch::Dispatch { store: store.clone(), queue: work_queue(store.table()) }
}

/// The DynamoDB operation of a request (`Query`, `PutItem`, ...), from its `x-amz-target`.
fn operation<'a>(context: &'a BeforeTransmitInterceptorContextRef<'_>) -> &'a str {
    let target = context.request().headers().get("x-amz-target").unwrap_or_default();
    target.rsplit('.').next().unwrap_or_default()
}

/// What a [`Gate`] decides a request from: its operation and its JSON body.
type Decide = dyn Fn(&str, &serde_json::Value) -> Result<(), String> + Send + Sync;

/// An SDK interceptor that sees every request before it is sent (every attempt) and may stop
/// it, as a test's model of the world decides: a log, a cut-off, a hot partition.
#[derive(Clone)]
pub struct Gate {
    name: &'static str,
    decide: Arc<Decide>,
}

impl Gate {
    fn new(
        name: &'static str,
        decide: impl Fn(&str, &serde_json::Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self { name, decide: Arc::new(decide) }
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl Intercept for Gate {
    fn name(&self) -> &'static str {
        self.name
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body: serde_json::Value =
            context.request().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
        (self.decide)(operation(context), &body).map_err(BoxError::from)
    }
}

/// The operations a client sent (`Query`, `PutItem`, `GetSecretValue`, ...), every attempt,
/// each with its JSON body.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<(String, serde_json::Value)>>>);

impl RequestLog {
    /// Everything sent since the last call, and forget it.
    pub fn take(&self) -> Vec<String> {
        self.take_requests().into_iter().map(|(operation, _)| operation).collect()
    }

    /// [`Self::take`], sorted: the order of requests sent concurrently (the audit write beside
    /// a read) is not part of what a test checks.
    pub fn take_sorted(&self) -> Vec<String> {
        let mut sent = self.take();
        sent.sort();
        sent
    }

    /// [`Self::take`] with each request's body: for a test of what a request asked for.
    pub fn take_requests(&self) -> Vec<(String, serde_json::Value)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// The interceptor that writes to this log.
    fn gate(&self) -> Gate {
        let log = self.0.clone();
        Gate::new("RequestLog", move |operation, body| {
            log.lock().unwrap().push((operation.to_owned(), body.clone()));
            Ok(())
        })
    }
}

/// A store on `table` whose partitions each take at most `limit` writes: DynamoDB's
/// per-partition write limit, modelled (a further write to a hot partition is throttled, never
/// sent).
pub fn hot_partition_store(table: &str, limit: usize) -> DynamoStore {
    let writes: Mutex<std::collections::HashMap<String, usize>> = Mutex::default();
    let hot = Gate::new("HotPartitions", move |operation, body| {
        if !["PutItem", "UpdateItem"].contains(&operation) {
            return Ok(());
        }
        let pk = layer::partition(body).to_owned();
        let mut writes = writes.lock().unwrap();
        let count = writes.entry(pk.clone()).or_default();
        *count += 1;
        if *count > limit { Err(format!("ProvisionedThroughputExceededException on {pk}")) } else { Ok(()) }
    });
    DynamoStore::new(Client::from_conf(client_config().interceptor(hot).build()), table)
}

/// The DynamoDB operations that write.
const WRITES: [&str; 5] = ["PutItem", "DeleteItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem"];

/// A store on `table` that stops writing after `allowed` write requests (the rest are never
/// sent), as a Lambda timeout or an outage would cut a run off halfway.
pub fn cut_off_store(table: &str, allowed: usize) -> DynamoStore {
    let writes = AtomicUsize::new(0);
    let cut = Gate::new("CutOff", move |operation, _| {
        let write = WRITES.contains(&operation);
        if write && writes.fetch_add(1, Ordering::SeqCst) >= allowed { Err("cut off".to_owned()) } else { Ok(()) }
    });
    DynamoStore::new(Client::from_conf(client_config().interceptor(cut).build()), table)
}

/// A store on `table` that never writes to partition `pk` (those writes fail, unsent), as an
/// erasure cut off at its first write to a call would leave it.
pub fn sparing_store(table: &str, pk: &str) -> DynamoStore {
    let pk = pk.to_owned();
    let spare = Gate::new("Sparing", move |operation, body| {
        let write = WRITES.contains(&operation);
        if write && body.to_string().contains(&format!("\"{pk}\"")) {
            Err(format!("no writes to {pk}"))
        } else {
            Ok(())
        }
    });
    DynamoStore::new(Client::from_conf(client_config().interceptor(spare).build()), table)
}

/// Stores `calls` two-person calls of synthetic user 0 with user 1 (both home users), not yet
/// rated, straight into `store`'s table: each call's exact items (header, session page, history
/// entries; the directory entries once), 25 to a `BatchWriteItem`. A heavy user in seconds,
/// where ingesting the records one by one would take minutes of moto.
pub async fn store_calls_of_one_user(store: &DynamoStore, calls: usize) {
    use callscope_core::app::ingest::prepare_calls;
    use callscope_core::support::fixtures::{HOME_TENANT, call_json};
    let mut items = Vec::new();
    for n in 0..calls {
        let start = ANCHOR - time::Duration::hours(1) - time::Duration::minutes(n as i64);
        let record = call_json(&format!("heavy-{n:05}"), 1, 2, 1, start);
        let prepared = prepare_calls(record.to_string().as_bytes(), ANCHOR, HOME_TENANT).unwrap().remove(0);
        items.push(prepared.header);
        items.extend(prepared.writes.pages);
        items.extend(prepared.writes.history);
        items.extend(prepared.parties.index);
        if n == 0 {
            items.extend(prepared.parties.directory.into_iter().flat_map(|d| d.items));
        }
    }
    let client = local_client();
    for chunk in items.chunks(25) {
        let writes: Vec<_> = chunk
            .iter()
            .map(|item| {
                let put = aws_sdk_dynamodb::types::PutRequest::builder().set_item(Some(item.clone())).build().unwrap();
                aws_sdk_dynamodb::types::WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let output =
            client.batch_write_item().request_items(store.table(), writes).send().await.expect("seed the heavy user");
        assert!(output.unprocessed_items.is_none_or(|u| u.is_empty()), "moto writes every item of a batch");
    }
}

/// A store on `table` whose every request is logged.
pub fn counted_store(table: &str) -> (DynamoStore, RequestLog) {
    let log = RequestLog::default();
    let client = Client::from_conf(client_config().interceptor(log.gate()).build());
    (DynamoStore::new(client, table), log)
}

/// `table`'s own store: no function's, so its requests are not checked against a role. For what
/// a test reads or sets up itself.
pub fn table_store(table: &str) -> DynamoStore {
    DynamoStore::new(local_client(), table)
}

/// A table of its own for one test, so tests run in parallel without seeing each other. Also
/// routes the handlers' logs (warnings and errors) to the test's output.
pub async fn fresh_store() -> DynamoStore {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("callscope-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let client = local_client();
    schema::create_table(&client, &name).await.expect("create the test table");
    let queues = callscope_dev::queues::ensure(&sqs_client(), &name, TEST_VISIBILITY_SECONDS).await;
    let queues = queues.expect("create the test table's work queues");
    assert_eq!(queues.urls, work_queue(&name).urls().clone(), "the work queues are where work_queue says");
    DynamoStore::new(client, name)
}

/// The cursor key of the test deployment.
pub const CURSOR_KEY: &str = "test-cursor-key-of-at-least-32-characters";

/// The Graph client state of the test deployment.
pub const GRAPH_CLIENT_STATE: &str = "test-graph-client-state-0123456789abcdef";

/// The subscription the sample events (`events/webhook-*.json`) name.
pub const EVENTS_SUBSCRIPTION: &str = "2f1c1a5e-5b9e-4a4e-9d64-0e7a5f3b8c21";

/// Stores `subscription` as our current one, as the keeper does when it creates it at
/// [`ANCHOR`]: the one Graph's notifications must name to be taken.
pub async fn subscribed_as(store: &DynamoStore, subscription: &str) {
    let expires = ANCHOR + time::Duration::days(2);
    store.save_subscription_state(subscription, expires, ANCHOR).await.expect("store the subscription state");
}

/// A change notification of ours (the tests' clientState, the home tenant, `subscription`)
/// naming call record `id`.
pub fn our_notification(subscription: &str, id: &str) -> serde_json::Value {
    let resource = format!("communications/callRecords/{id}");
    serde_json::json!({
        "subscriptionId": subscription, "clientState": GRAPH_CLIENT_STATE, "changeType": "updated",
        "tenantId": callscope_core::support::fixtures::HOME_TENANT, "resource": resource,
        "resourceData": { "@odata.type": "#microsoft.graph.callrecord", "@odata.id": resource, "id": id },
    })
}

/// Configuration as a deployment would set it, for `table`.
pub fn config(table: &str) -> Config {
    Config::from_lookup(|name| match name {
        "TABLE_NAME" => Some(table.to_owned()),
        "HOME_TENANT_ID" => Some(callscope_core::support::fixtures::HOME_TENANT.to_owned()),
        "CURSOR_KEY" => Some(CURSOR_KEY.to_owned()),
        "GRAPH_CLIENT_STATE" => Some(GRAPH_CLIENT_STATE.to_owned()),
        _ => None,
    })
    .expect("valid test configuration")
}

/// A clock stopped at [`ANCHOR`].
pub fn clock() -> Clock {
    Clock::fixed(ANCHOR)
}

/// The ingest function's app on `store`'s table, configured as a deployment would be.
pub fn ingest_app(store: &DynamoStore) -> ingest::App {
    ingest::App {
        config: config(store.table()),
        store: as_function(store, "ingest"),
        queue: work_queue(store.table()),
        clock: clock(),
    }
}

/// The classify function's app on `store`'s table, with the default thresholds.
pub fn classify_app(store: &DynamoStore) -> classify::App {
    classify::App {
        store: as_function(store, "classify"),
        thresholds: callscope_core::domain::classify::Thresholds::default(),
        clock: clock(),
        home_tenant: callscope_core::support::fixtures::HOME_TENANT.to_owned(),
    }
}

/// The query function's app on `store`'s table, configured as a deployment would be; its tenant data is
/// re-checked on every request, so uploads show at once.
pub fn query_app(store: DynamoStore) -> query::App {
    query::App {
        config: config(store.table()),
        store: as_function(&store, "query"),
        signer: callscope_core::domain::access::CursorSigner::new(CURSOR_KEY),
        home_tenant: callscope_core::support::fixtures::HOME_TENANT.to_owned(),
        clock: clock(),
        sites: Arc::new(callscope_core::app::site_cache::SiteCache::new(time::Duration::ZERO)),
        queues: queue_gauge(store.table()),
    }
}

/// The names of the files in `events/` that start with `prefix`, sorted.
pub fn event_files(prefix: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .expect("events/ exists")
        .map(|e| e.expect("a directory entry").file_name().into_string().expect("UTF-8 names"))
        .filter(|n| n.starts_with(prefix))
        .collect();
    files.sort();
    files
}

/// Asserts that `expected` names exactly the events in `events/` starting with `prefix`.
pub fn assert_every_event_listed(prefix: &str, expected: &[&str]) {
    let mut listed: Vec<String> = expected.iter().map(|n| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        event_files(prefix),
        listed,
        "every {prefix}* event in events/ must have an expected outcome in its test"
    );
}

/// `events/ingest-post-call.json` with `body` in place of its record: `POST /calls` by the
/// ingest role.
pub fn ingest_request(body: String) -> lambda_http::Request {
    let mut event: serde_json::Value = serde_json::from_str(&event_text("ingest-post-call.json")).unwrap();
    event["body"] = serde_json::Value::String(body);
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// `POST /calls` by the ingest role with `body` as raw bytes (sent base64-encoded, as API
/// Gateway sends a body that is not text) and `content_type` in place of `application/json`.
pub fn raw_ingest_request(body: &[u8], content_type: Option<&str>) -> lambda_http::Request {
    use base64::Engine;
    let mut event: serde_json::Value = serde_json::from_str(&event_text("ingest-post-call.json")).unwrap();
    event["body"] = base64::engine::general_purpose::STANDARD.encode(body).into();
    event["isBase64Encoded"] = true.into();
    match content_type {
        Some(value) => event["headers"]["content-type"] = value.into(),
        None => {
            event["headers"].as_object_mut().unwrap().remove("content-type");
        }
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// Every item in `table`, however it was keyed: for tests that prove nothing was written. A
/// `Scan`, so never on a request path.
pub async fn all_items(table: &str) -> Vec<callscope_core::store::Item> {
    local_client()
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("scan the test table")
}

/// `item` as text to search for personal data in: its attributes, with every compact page's
/// list (deflated JSON in a binary attribute, `store::compact`) inflated back to JSON.
pub fn item_text(item: &callscope_core::store::Item) -> String {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut text = format!("{item:?}");
    for value in item.values() {
        if let AttributeValue::B(bytes) = value
            && let Ok(list) = callscope_core::store::compact::decode::<serde_json::Value>(bytes.as_ref())
        {
            text.push_str(&serde_json::Value::Array(list).to_string());
        }
    }
    text
}

/// The item `pk`/`sk` of `table` as the store keeps it (keys, version, expiry and all): for
/// tests of storage details the domain does not show.
pub async fn stored_item<T: serde::de::DeserializeOwned>(table: &str, pk: &str, sk: &str) -> Option<T> {
    let output = local_client()
        .get_item()
        .table_name(table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read one test item");
    output.item.map(|item| serde_dynamo::from_item(item).expect("a stored item of that type"))
}

/// `user`'s stored history item for `call`.
pub async fn stored_history(store: &DynamoStore, user: &str, call: &str) -> callscope_core::store::items::HistoryItem {
    use callscope_core::store::keys;
    stored_item(store.table(), &keys::user_pk(user), &keys::history_sk(call)).await.expect("a history item")
}

/// The stored header of `call`.
pub async fn stored_header(store: &DynamoStore, call: &str) -> callscope_core::store::items::CallHeader {
    use callscope_core::store::keys;
    stored_item(store.table(), &keys::call_pk(call), keys::CALL_HEADER_SK).await.expect("a call header")
}

/// An HTTP API request `method path?query` as `role` (`None`: no verified claims), built on
/// `events/query-users-list-engineer.json`.
pub fn api_request(method: &str, role: Option<&str>, path: &str, query: &[(&str, &str)]) -> lambda_http::Request {
    api_request_with_roles_claim(method, role.map(|r| format!("[{r}]")).as_deref(), path, query)
}

/// [`api_request`] with the verified `roles` claim exactly `claim` (`None`: no verified claims).
pub fn api_request_with_roles_claim(
    method: &str,
    claim: Option<&str>,
    path: &str,
    query: &[(&str, &str)],
) -> lambda_http::Request {
    let mut event = api_event(method, path, query);
    match claim {
        Some(claim) => event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] = serde_json::json!(claim),
        None => {
            event["requestContext"].as_object_mut().unwrap().remove("authorizer");
        }
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// [`api_request`] with exactly the verified `claims` given (`roles`, `wids`, `sub`...).
pub fn api_request_with_claims(
    method: &str,
    claims: &[(&str, &str)],
    path: &str,
    query: &[(&str, &str)],
) -> lambda_http::Request {
    let mut event = api_event(method, path, query);
    let claims: serde_json::Map<String, serde_json::Value> =
        claims.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect();
    event["requestContext"]["authorizer"]["jwt"]["claims"] = serde_json::Value::Object(claims);
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// An HTTP API event `method path?query`, with `events/query-users-list-engineer.json`'s claims.
fn api_event(method: &str, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut event: Value = serde_json::from_str(&event_text("query-users-list-engineer.json")).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    let params: serde_json::Map<String, Value> = query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    event["rawQueryString"] = json!(form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish());
    event["queryStringParameters"] = Value::Object(params);
    // Each request its own id, as API Gateway gives it: the audit trail keys entries by it.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    event["requestContext"]["requestId"] = json!(format!("test-request-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    event
}

/// A helpdesk person, as their verified token names them.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
}

/// [`api_request`] by `person` (their `sub` and `name` claims), with `body` sent as JSON.
pub fn person_request(
    method: &str,
    person: Person,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
) -> lambda_http::Request {
    use serde_json::json;
    let mut event = api_event(method, path, query);
    let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
    claims["roles"] = json!(format!("[{}]", person.role));
    claims["sub"] = json!(person.id);
    claims["name"] = json!(person.name);
    if let Some(body) = body {
        event["body"] = json!(body);
        event["headers"]["content-type"] = json!("application/json");
    }
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// Posts `body` (a record or a `{"value": [...]}` batch) through `app`, expecting `202`.
pub async fn post_calls(app: &ingest::App, body: &serde_json::Value) {
    let response = app.handle(ingest_request(body.to_string())).await;
    assert_eq!(response.status(), 202, "{:?}", response.body());
}

/// Erases `user` through the ingest function, given no time beyond its first call (the rest is
/// handed over to classify through the stream), while a specialist escalates `call` as `user`'s
/// just before the erasure's marker lands: the escalation is written after the round looked for
/// what names `user`, so only a later round, or a writer the erasure overtook, takes them out.
pub async fn erasure_overtaking_an_escalation(store: &DynamoStore, user: &str, call: &str) {
    let specialist = Person { id: "sam-oid", name: "Sam Specialist", role: "support-specialist" };
    let path = format!("/calls/{call}/escalations");
    let request = person_request("POST", specialist, &path, &[("user", user)], Some(r#"{"note": "it froze"}"#));
    let desk = query_app(table_store(store.table()));
    let escalate = async move {
        let (status, body) = json_response(desk.handle(request).await);
        assert_eq!(status, 201, "the escalation racing the erasure: {body}");
    };
    let marker = |operation: &str, body: &serde_json::Value| {
        operation == "PutItem" && race::partition(body).starts_with("ERASED#")
    };
    let mut hurried = config(store.table());
    hurried.erasure_budget = std::time::Duration::ZERO;
    let racing = race::before(&table_store(store.table()), marker, escalate);
    let app = ingest::App { config: hurried, store: as_function(&racing, "ingest"), ..ingest_app(store) };
    let erase = api_request("DELETE", Some("admin"), &format!("/users/{user}"), &[]);
    let (status, report) = json_response(app.handle(erase).await);
    // Done with the user's one call, or handed over: either way the escalation came too late.
    assert!([200, 202].contains(&status), "{report}");
}

/// The deadline of one classify invocation as the deployed function has it: its 60-second
/// timeout less the 10 s it keeps to answer.
pub fn classify_deadline() -> callscope_core::support::deadline::Deadline {
    callscope_core::support::deadline::Deadline::after(std::time::Duration::from_secs(50))
}

/// A handler's response as its status and JSON body; every response must be JSON.
pub fn json_response(response: lambda_http::Response<lambda_http::Body>) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).expect("JSON body"),
        other => panic!("expected a text body, got {other:?}"),
    };
    (status, body)
}

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The text of `events/<name>`.
pub fn event_text(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

/// `events/<name>` as the request lambda_http hands the handler.
pub fn event_request(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_text(name))
        .unwrap_or_else(|e| panic!("events/{name} is not an HTTP API event: {e}"))
}

/// Every page of a list, following `nextCursor` until the last: `get` fetches one page with
/// the query it is given (`limit`, then the cursor too), and every page must be a 200.
pub async fn every_page(
    limit: u32,
    mut get: impl AsyncFnMut(&[(&str, &str)]) -> (u16, serde_json::Value),
) -> Vec<serde_json::Value> {
    let limit = limit.to_string();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", limit.as_str())];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let (status, page) = get(&query).await;
        assert_eq!(status, 200, "{page}");
        cursor = page["nextCursor"].as_str().map(str::to_owned);
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
    }
}

/// The items of every page of `pages`, in order.
pub fn page_items(pages: &[serde_json::Value]) -> impl Iterator<Item = &serde_json::Value> {
    pages.iter().flat_map(|page| page["items"].as_array().expect("a list page has items"))
}

/// `events/graph/<name>` as JSON.
pub fn graph_record(name: &str) -> serde_json::Value {
    serde_json::from_str(&event_text(&format!("graph/{name}"))).expect("graph samples are JSON")
}

/// The sample meeting (`events/graph/meeting.json`) as revised to `version`: what the tests of
/// revisions post.
pub fn meeting_record(version: i64) -> serde_json::Value {
    let mut record = graph_record("meeting.json");
    record["version"] = serde_json::json!(version);
    record
}

pub use callscope_dev::stream::{StreamTail, event};

/// A stream reader for `table` on the local server.
pub async fn stream_tail(table: &str) -> StreamTail {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("run through `make test`");
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    StreamTail::new(aws_sdk_dynamodbstreams::Client::from_conf(config), table).await.expect("the table has a stream")
}

/// The webhook function's app on `store`'s table, with the tests' clientState and the fixtures'
/// home tenant.
pub fn webhook_app(store: &DynamoStore) -> webhook::App {
    webhook::App {
        client_state: callscope_core::support::secret::Rotating::new(GRAPH_CLIENT_STATE),
        home_tenant: callscope_core::support::fixtures::HOME_TENANT.to_owned(),
        dispatch: dispatch(&as_function(store, "webhook")),
        clock: clock(),
    }
}

/// The write side of the product on one fresh table: the ingest and webhook handlers, the
/// table's stream, and the classify handler it feeds.
pub struct Pipeline {
    pub ingest: ingest::App,
    pub webhook: webhook::App,
    pub classify: classify::App,
    pub stream: StreamTail,
    /// The table's own store, no function's: what the tests read and set up with.
    table: DynamoStore,
}

impl Pipeline {
    /// A pipeline on a fresh table, its clock at [`ANCHOR`].
    pub async fn new() -> Self {
        Self::on(fresh_store().await).await
    }

    /// A pipeline whose handlers use `store` (a fresh table's, perhaps through a fault layer),
    /// each as its function; the stream is read directly, as Lambda's event source mapping reads it.
    pub async fn on(store: DynamoStore) -> Self {
        let stream = stream_tail(store.table()).await;
        Self {
            ingest: ingest_app(&store),
            webhook: webhook_app(&store),
            classify: classify_app(&store),
            stream,
            table: store,
        }
    }

    /// The table's own store (no function's: its requests are not checked against a role).
    pub fn store(&self) -> &DynamoStore {
        &self.table
    }

    /// Posts one Graph record (or a `{"value": [...]}` batch) through the ingest handler.
    pub async fn post(&self, body: &serde_json::Value) {
        post_calls(&self.ingest, body).await;
    }

    /// Delivers `event` to classify; the sequence numbers it reported as failed.
    pub async fn deliver(&self, event: aws_lambda_events::dynamodb::Event) -> Vec<String> {
        let response = classify::handle(&self.classify, event, classify_deadline()).await;
        response.batch_item_failures.into_iter().map(|f| f.item_identifier.unwrap_or_default()).collect()
    }

    /// Runs classify over the stream until it is quiet, as the event source mapping would.
    pub async fn classify_all(&mut self) {
        assert_eq!(self.classify_redelivering(100).await, 0, "classify reported failures");
    }

    /// Runs classify over the stream until it is quiet in batches of up to `batch` records,
    /// redelivering from the record a batch reported as failed, as Lambda does with
    /// `ReportBatchItemFailures`; how many batches reported a failure.
    pub async fn classify_redelivering(&mut self, batch: usize) -> u32 {
        let mut pending = std::collections::VecDeque::new();
        let mut failed_batches = 0;
        loop {
            if pending.is_empty() {
                pending.extend(self.stream.next_records().await.expect("read the stream"));
                if pending.is_empty() {
                    return failed_batches;
                }
            }
            let records: Vec<_> = pending.iter().take(batch).cloned().collect();
            let failures = self.deliver(event(records.clone())).await;
            let done = match failures.first() {
                None => records.len(),
                Some(sequence) => {
                    failed_batches += 1;
                    records
                        .iter()
                        .position(|r| r.change.sequence_number.as_ref() == Some(sequence))
                        .expect("a reported failure names a record of the batch")
                }
            };
            pending.drain(..done);
        }
    }
}
