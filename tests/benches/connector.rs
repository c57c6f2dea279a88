//! The Graph connector's figures (BENCHMARKS.md), against the stand-in Graph and moto:
//! - how long `POST /graph/notifications` takes to answer with 10,000 ids already queued,
//!   in-process (the handler) and over HTTP (the handler behind a local listener);
//! - records fetched whole and stored per second, with and without throttling;
//! - Graph requests per record for 2-, 50- and 250-participant calls;
//! - the town-hall fetch: a 10,000-person town hall at Graph's page sizes, under Graph's
//!   per-record limits and the worker's own timeout and margin, all time-scaled by
//!   [`TOWN_HALL_SCALE`]: requests, invocations, wall time (and at Graph's own limits), peak heap.
//!
//! Run: `scripts/with-moto.sh cargo bench -p callscope-tests --bench connector` (the town hall
//! alone: `... --bench connector -- town-hall`)

use callscope_core::domain::connector::{Lane, PerRecordLimits};
use callscope_core::support::fixtures;
use callscope_dev::graph_standin::Behaviour;
use callscope_http::HttpFunction;
use callscope_tests::connector::Connector;
use callscope_tests::heap::{Counting, peak_since, start_peak};
use callscope_tests::{ANCHOR, EVENTS_SUBSCRIPTION, our_notification, subscribed_as};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How much faster than Graph's the town-hall figure's clock runs: its windows, the worker's
/// timeout and margin all shrink by it.
const TOWN_HALL_SCALE: f64 = 0.01;

/// Ids queued (and not fetched) before acknowledgements are timed.
const QUEUED: usize = 10_000;
/// Deliveries timed per case.
const DELIVERIES: usize = 200;

/// A delivery of our subscription naming `ids`.
fn delivery(ids: impl Iterator<Item = String>) -> String {
    let value: Vec<Value> = ids.map(|id| our_notification(EVENTS_SUBSCRIPTION, &id)).collect();
    json!({ "value": value }).to_string()
}

fn quantiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1e3;
    format!("p50 {:.1} ms, p99 {:.1} ms ({} deliveries)", at(0.5), at(0.99), samples.len())
}

async fn acknowledgement() {
    let connector = Connector::new(Behaviour::default()).await;
    let dispatch = &connector.pipeline.webhook.dispatch;
    subscribed_as(connector.pipeline.store(), EVENTS_SUBSCRIPTION).await;
    let prefilled: Vec<String> = (0..QUEUED).map(|n| fixtures::graph_id(&format!("queued-{n:05}"))).collect();
    dispatch.fetches(&prefilled, Lane::Live, ANCHOR).await.expect("prefill the queue");
    let http = reqwest::Client::new();
    let url = format!("{}/graph/notifications", connector.webhook_url);
    for per_delivery in [1, 100] {
        let (mut in_process, mut over_http) = (Vec::new(), Vec::new());
        for round in 0..DELIVERIES {
            let ids =
                |tag: &'static str| (0..per_delivery).map(move |n| fixtures::graph_id(&format!("{tag}-{round}-{n}")));
            let body = delivery(ids("a"));
            let mut request = lambda_http::Request::new(lambda_http::Body::Text(body));
            *request.method_mut() = lambda_http::http::Method::POST;
            *request.uri_mut() = "/graph/notifications".parse().unwrap();
            request.headers_mut().insert("content-type", "application/json".parse().unwrap());
            let started = Instant::now();
            let response = connector.pipeline.webhook.handle(request).await;
            in_process.push(started.elapsed());
            assert_eq!(response.status(), 202);
            let body = delivery(ids("b"));
            let started = Instant::now();
            let response = http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
            over_http.push(started.elapsed());
            assert_eq!(response.status(), 202);
        }
        println!("ack, {per_delivery} id(s) per delivery, {QUEUED}+ queued, in-process: {}", quantiles(in_process));
        println!("ack, {per_delivery} id(s) per delivery, {QUEUED}+ queued, over HTTP:   {}", quantiles(over_http));
    }
}

async fn throughput(throttle_percent: u64, retry_after_seconds: u64) {
    const RECORDS: usize = 100;
    let behaviour = Behaviour { throttle_percent, retry_after_seconds, ..Behaviour::default() };
    let mut connector = Connector::subscribed(behaviour).await;
    let records: Vec<Value> = (0..RECORDS)
        .map(|n| {
            fixtures::call_json(&fixtures::graph_id(&format!("t-{n}")), 1, 2, 1, ANCHOR - time::Duration::hours(2))
        })
        .collect();
    let started = Instant::now();
    connector.publish_and_drain(records).await;
    let seconds = started.elapsed().as_secs_f64();
    let throttled = connector.stand_in.stats.throttled.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "fetched and stored, {throttle_percent}% answered 429 (Retry-After {retry_after_seconds} s): {:.1} records/s ({RECORDS} records in {seconds:.1} s, {throttled} throttled)",
        RECORDS as f64 / seconds
    );
}

async fn requests_per_record() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    for participants in [2, 50, 250] {
        let before = connector.api_requests();
        let record = fixtures::call_json(
            &fixtures::graph_id(&format!("size-{participants}")),
            1,
            participants,
            1,
            ANCHOR - time::Duration::hours(2),
        );
        connector.publish_and_drain(vec![record]).await;
        println!(
            "Graph requests per record, {participants} participants ({participants} sessions): {}",
            connector.api_requests() - before
        );
    }
}

async fn town_hall() {
    const PEOPLE: usize = 10_000;
    let limits = PerRecordLimits::GRAPH.scaled(TOWN_HALL_SCALE);
    let mut connector = Connector::subscribed(Behaviour { record_limits: Some(limits), ..Behaviour::default() }).await;
    // The Graph worker's timeout (300 s) and margin (60 s), scaled.
    connector.invocation = Duration::from_secs(300).mul_f64(TOWN_HALL_SCALE);
    connector.worker.margin = Duration::from_secs(60).mul_f64(TOWN_HALL_SCALE);
    let town_hall = fixtures::graph_id("town-hall");
    let record = fixtures::call_json(&town_hall, 1, PEOPLE, 1, ANCHOR - time::Duration::hours(2));
    let (requests, invocations) = (connector.api_requests(), connector.invocations);
    let baseline = start_peak();
    let started = Instant::now();
    connector.publish_and_drain(vec![record]).await;
    let elapsed = started.elapsed();
    let peak = peak_since(baseline);
    let store = connector.pipeline.store();
    let outcome = match store.dead_letter_of(&town_hall).await.unwrap() {
        Some(dead) => format!("dead-lettered: {}", dead.reason),
        None => "stored".to_owned(),
    };
    let refused = connector.stand_in.stats.record_throttled.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "town hall, {PEOPLE} people ({PEOPLE} sessions) at Graph's page sizes: {} requests ({refused} refused by the per-record limits), {} invocations, {:.1} s at 1/{} of Graph's time = {:.1} min at Graph's limits; peak heap {:.0} MB above the baseline (stand-in's pages included); {outcome}",
        connector.api_requests() - requests,
        connector.invocations - invocations,
        elapsed.as_secs_f64(),
        (1.0 / TOWN_HALL_SCALE).round(),
        elapsed.as_secs_f64() / TOWN_HALL_SCALE / 60.0,
        peak as f64 / 1e6,
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and the figures are not a test: only build it then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::args().any(|a| a == "town-hall") {
        return town_hall().await;
    }
    acknowledgement().await;
    throughput(0, 0).await;
    throughput(30, 0).await;
    throughput(30, 1).await;
    requests_per_record().await;
    town_hall().await;
}
