//! `make scale`: a scaled tenant through the stand-in Graph, the webhook, the work queues (moto's
//! SQS) and the Graph worker, with Graph's documented limits time-scaled, and what came of it
//! (BENCHMARKS.md "At scale", docs/capacity.md). It fails (exit 1) if any published record is
//! neither stored at its version nor set aside as a dead letter with its reason: lost.
//!
//! The scenario: `SCALE_RECORDS` call records (default 600) — every tenth a 50-person meeting,
//! one a 5,000-person meeting, the rest 2-person calls — published and notified at once, except
//! one published silently (no notification: only the reconciliation finds it); 30 % of Graph
//! requests answered `429` with `Retry-After: 1`; Graph's per-record limits with their windows
//! scaled by `SCALE_FACTOR` (default 0.1, the worker paced to the same); then a `missed`
//! lifecycle event, which queues a reconciliation; then the worker drains both queues, one
//! invocation (a batch of up to 10, 4 fetches at once) at a time.
//!
//! Run: `scripts/scale.sh` (moto started and stopped around
//! `cargo run -p callscope-tests --example scale`, a dev build: the time is moto's and the
//! stand-in's, not the build's).

use callscope_core::domain::connector::{Lane, PerRecordLimits};
use callscope_core::support::fixtures;
use callscope_dev::graph_standin::Behaviour;
use callscope_tests::connector::Connector;
use callscope_tests::sqs_client;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Share of Graph requests answered `429`, in percent (`SCALE_THROTTLE_PERCENT` overrides it),
/// and the `Retry-After` they carry.
const THROTTLE_PERCENT: u64 = 30;
const RETRY_AFTER_SECONDS: u64 = 1;
/// People in the one large meeting, and in the ordinary meetings (every tenth record).
const LARGE_MEETING: usize = 5_000;
const MEETING: usize = 50;
/// The large meeting's name, from which its id (a GUID, as Graph's) is made.
const LARGE_NAME: &str = "scale-large-meeting";

/// Whether `id` is stored (at any version).
async fn stored(connector: &Connector, id: &str) -> bool {
    let store = connector.pipeline.store();
    store.stored_versions(&[id.to_owned()], connector.now()).await.expect("read a stored header").contains_key(id)
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value.parse().unwrap_or_else(|_| panic!("{name}={value} is not a number")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() {
    let records: usize = env("SCALE_RECORDS", 600);
    let factor: f64 = env("SCALE_FACTOR", 0.1);
    let throttle_percent: u64 = env("SCALE_THROTTLE_PERCENT", THROTTLE_PERCENT);
    assert!(records >= 3, "SCALE_RECORDS must be at least 3 (a large meeting, a silent record, a call)");
    assert!(factor > 0.0 && factor <= 1.0, "SCALE_FACTOR must be in (0, 1]");
    let limits = PerRecordLimits::GRAPH.scaled(factor);
    let behaviour = Behaviour { record_limits: Some(limits), ..Behaviour::default() };
    // Subscribed (the first backfill drained, on an empty tenant) before the load starts.
    let mut connector = Connector::subscribed(behaviour).await;
    connector.stand_in.set_behaviour(|b| {
        b.throttle_percent = throttle_percent;
        b.retry_after_seconds = RETRY_AFTER_SECONDS;
    });
    let now = connector.now();
    let start = |n: usize| now - time::Duration::minutes(90 + (n % 600) as i64);
    let (mut calls, mut meetings) = (0, 0);
    let mut published: Vec<(String, usize)> = Vec::with_capacity(records);
    let mut notified: Vec<Value> = Vec::with_capacity(records);
    for n in 0..records - 2 {
        let people = if n % 10 == 9 { MEETING } else { 2 };
        if people == 2 {
            calls += 1
        } else {
            meetings += 1
        }
        let id = fixtures::graph_id(&format!("scale-{n:06}"));
        notified.push(fixtures::call_json(&id, 1, people, 1, start(n)));
        published.push((id, people));
    }
    let large = fixtures::graph_id(LARGE_NAME);
    notified.push(fixtures::call_json(&large, 1, LARGE_MEETING, 1, start(0)));
    published.push((large, LARGE_MEETING));
    let silent = fixtures::graph_id("scale-never-notified");
    let silent_record = fixtures::call_json(&silent, 1, 2, 1, start(1));
    published.push((silent, 2));
    println!(
        "==> {records} records: {calls} 2-person calls, {meetings} {MEETING}-person meetings, one {LARGE_MEETING}-person meeting, one 2-person call published without a notification"
    );
    println!(
        "==> Graph: {throttle_percent} % of requests answered 429 (Retry-After {RETRY_AFTER_SECONDS} s); per-record limits at {factor} of Graph's windows (10 per {:.1} s first pages, 50 per {:.1} s later pages)",
        20.0 * factor,
        300.0 * factor
    );

    let stats = &connector.stand_in.stats;
    let (requests_before, throttled_before, limited_before) = (
        stats.api_requests.load(Ordering::Relaxed),
        stats.throttled.load(Ordering::Relaxed),
        stats.record_throttled.load(Ordering::Relaxed),
    );
    let invocations_before = connector.invocations;
    let started = Instant::now();
    connector.stand_in.publish_silently(vec![silent_record]);
    connector.stand_in.publish(notified).await;
    connector.stand_in.deliveries_done().await;
    // Graph tells the subscription it missed notifications: a reconciliation is queued.
    connector.stand_in.lifecycle("missed").await;
    // Drained as `Connector::drain_counting_failures` drains (live, then backfill, one batch
    // each, until both queues are empty), noting the queues' depth and when the large meeting
    // was stored.
    connector.stand_in.deliveries_done().await;
    let (mut depth_peak, mut large_stored_at, mut rest_stored_at) = (0, None, None);
    let large = fixtures::graph_id(LARGE_NAME);
    let mut rest: Vec<String> = published.iter().map(|(id, _)| id.clone()).filter(|id| *id != large).collect();
    loop {
        let mut received = 0;
        for lane in [Lane::Live, Lane::Backfill] {
            received += connector.run_batch(lane).await;
        }
        if large_stored_at.is_none() && stored(&connector, &large).await {
            large_stored_at = Some(started.elapsed().as_secs_f64());
        }
        if rest_stored_at.is_none() {
            let mut found = std::collections::HashMap::new();
            for chunk in rest.chunks(100) {
                let store = connector.pipeline.store();
                found.extend(store.stored_versions(chunk, connector.now()).await.expect("read the stored headers"));
            }
            rest.retain(|id| !found.contains_key(id));
            if rest.is_empty() {
                rest_stored_at = Some(started.elapsed().as_secs_f64());
            }
        }
        let pending = connector.live.pending().await.unwrap() + connector.backfill.pending().await.unwrap();
        depth_peak = depth_peak.max(pending + received as u64);
        if received == 0 && pending == 0 {
            break;
        }
        if received == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
    let wall = started.elapsed().as_secs_f64();

    let stats = &connector.stand_in.stats;
    let requests = stats.api_requests.load(Ordering::Relaxed) - requests_before;
    let throttled = stats.throttled.load(Ordering::Relaxed) - throttled_before;
    let limited = stats.record_throttled.load(Ordering::Relaxed) - limited_before;
    let invocations = connector.invocations - invocations_before;

    // What the table holds: every published record's header, at its version (version 1).
    let store = connector.pipeline.store();
    let ids: Vec<String> = published.iter().map(|(id, _)| id.clone()).collect();
    let mut stored_at = std::collections::HashMap::new();
    for chunk in ids.chunks(100) {
        stored_at.extend(store.stored_versions(chunk, connector.now()).await.expect("read the stored headers"));
    }
    let stored = ids.iter().filter(|id| stored_at.get(*id).is_some_and(|v| *v >= 1)).count();
    let (mut dead, mut lost) = (Vec::new(), Vec::new());
    for id in ids.iter().filter(|id| stored_at.get(*id).is_none_or(|v| *v < 1)) {
        match store.dead_letter_of(id).await.expect("read a dead letter") {
            Some(letter) => dead.push(format!("{id}: {}", letter.reason)),
            None => lost.push(id.clone()),
        }
    }
    let table = store.table().to_owned();
    let queues = callscope_dev::queues::ensure(&sqs_client(), &table, callscope_tests::TEST_VISIBILITY_SECONDS)
        .await
        .expect("the work queues");
    let mut dead_queued = 0;
    for lane in [Lane::Live, Lane::Backfill] {
        dead_queued += callscope_dev::queues::pending(&sqs_client(), queues.dead_letters(lane)).await.unwrap_or(0);
    }

    let answered = requests - throttled - limited;
    println!("records published:        {records}");
    println!("records stored:           {stored} (their call headers read back at version 1)");
    println!("records LOST:             {}", lost.len());
    println!(
        "Graph requests per record: {:.2} ({requests} requests; {answered} answered 200, {:.2} per record)",
        requests as f64 / records as f64,
        answered as f64 / records as f64
    );
    println!(
        "429s answered:            {} ({throttled} injected, {limited} by the per-record limits; {:.1} % of requests)",
        throttled + limited,
        100.0 * (throttled + limited) as f64 / requests.max(1) as f64
    );
    println!(
        "drain time:               {wall:.1} s wall ({:.2} records/s); {:.1} min at Graph's time (wall / {factor})",
        records as f64 / wall,
        wall / factor / 60.0
    );
    println!(
        "worker invocations:       {invocations} (batches of up to 10; {} messages reported failed and delivered again)",
        connector.failures
    );
    println!("queue depth, at most:     {depth_peak} messages (live and backfill, in flight included)");
    if let Some(at) = rest_stored_at {
        println!("every other record:       stored {at:.1} s into the drain");
    }
    match large_stored_at {
        Some(at) => {
            println!(
                "the {LARGE_NAME}:  stored {at:.1} s into the drain ({:.1} min at Graph's time)",
                at / factor / 60.0
            )
        }
        None => println!("the {LARGE_NAME}:  not stored"),
    }
    println!("dead-lettered:            {} (table) / {dead_queued} (the queues' dead-letter queues)", dead.len());
    for letter in &dead {
        println!("  dead letter {letter}");
    }
    if !lost.is_empty() {
        eprintln!("LOST (published, neither stored nor dead-lettered): {}", lost.join(", "));
        std::process::exit(1);
    }
}
