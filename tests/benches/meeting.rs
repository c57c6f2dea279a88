//! Ingesting one large meeting (BENCHMARKS.md): the requests the ingest handler makes to the
//! table and its wall time against moto, for a 2-person call and a 250-participant meeting,
//! the first call of new users and a later call of the same users that day; then the first
//! page of the user listing (up to 50 of those users) through the query handler.
//!
//! Run: `scripts/with-moto.sh cargo bench --profile dev -p callscope-tests --bench meeting` (the
//! time is moto's and the network's; a debug build changes nothing measurable and builds in a
//! fraction of the time).

use callscope_core::support::fixtures;
use callscope_http::HttpFunction;
use callscope_tests::{ANCHOR, counted_store, fresh_store, ingest_app};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Meetings timed per case, each in a table of its own.
const ROUNDS: usize = 7;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

/// How many requests of each operation `log` holds.
fn count(log: Vec<String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for operation in log {
        *counts.entry(operation).or_insert(0usize) += 1;
    }
    counts
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and the figures are not a test: only build it then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("| participants | call | requests to the table | wall time, median of {ROUNDS} |");
    println!("|---|---|---|---|");
    for participants in [2, 250] {
        let (mut first, mut later, mut listing) = (Vec::new(), Vec::new(), Vec::new());
        let mut requests = [BTreeMap::new(), BTreeMap::new(), BTreeMap::new()];
        for round in 0..ROUNDS {
            let table = fresh_store().await;
            let (store, log) = counted_store(table.table());
            let app = ingest::App { store, ..ingest_app(&table) };
            for (n, times) in [&mut first, &mut later].into_iter().enumerate() {
                let start = ANCHOR - time::Duration::hours(3 - n as i64);
                let record = fixtures::call_json(&format!("m{round}-{n}"), 1, participants, 1, start);
                log.take();
                let started = Instant::now();
                callscope_tests::post_calls(&app, &record).await;
                times.push(started.elapsed());
                requests[n] = count(log.take());
            }
            let desk = callscope_tests::query_app(app.store.clone());
            let page = callscope_tests::api_request("GET", Some("support-specialist"), "/users", &[]);
            log.take();
            let started = Instant::now();
            let (status, body) = callscope_tests::json_response(desk.handle(page).await);
            listing.push(started.elapsed());
            assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(participants.min(50))));
            requests[2] = count(log.take());
        }
        let cases = [
            ("first of new users", first, &requests[0]),
            ("later the same day", later, &requests[1]),
            ("then `GET /users` (a page of up to 50)", listing, &requests[2]),
        ];
        for (name, times, counts) in cases {
            let total: usize = counts.values().sum();
            let shown: Vec<String> = counts.iter().map(|(op, n)| format!("{n} {op}")).collect();
            println!("| {participants} | {name} | {total}: {} | {:.0} ms |", shown.join(", "), median(times));
        }
    }
}
