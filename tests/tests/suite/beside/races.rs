//! The race run: 1,000 concurrent requests under `make stress` (200 on every commit) — versions
//! 1–5 of the same calls in random order,
//! each sent three times, calls that are already expired for the readers, and specialist
//! readers of history and detail throughout. Readers never see a half-written, expired or
//! unmasked item; afterwards every call holds exactly its highest version, rated, and every
//! history count is exact.

use callscope_core::domain::classify::Rating;
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, P2P, PHONE, SPECIALIST};
use callscope_tests::{
    ANCHOR, Pipeline, api_request, graph_record, ingest_request, json_response, query_app, stress_size,
};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

const VERSIONS: i64 = 5;
const DUPLICATES: usize = 3;
const USERS: usize = 8;

/// The run's size: its calls, the calls posted by an ingest whose clock is two days behind
/// (live when written, already past their expiry for the readers), and its requests in all
/// (the rest are readers).
fn sizes() -> (usize, usize, usize) {
    (stress_size(40, 8), stress_size(30, 6), stress_size(1_000, 200))
}

fn user(n: usize) -> String {
    format!("00000000-0000-4000-8000-{:012}", n % USERS)
}

/// Version `version` of call `n`: `version` sessions, so a reader can tell a whole version.
fn record(n: usize, version: i64) -> Value {
    let text = graph_record("p2p-pstn.json").to_string().replace(P2P, &format!("race-{n:03}")).replace(ADA, &user(n));
    let mut record: Value = serde_json::from_str(&text).unwrap();
    record["version"] = json!(version);
    let session = record["sessions"][0].clone();
    record["sessions"] = (0..version)
        .map(|i| {
            let mut s = session.clone();
            s["id"] = json!(format!("race-{n:03}-s{i}"));
            s
        })
        .collect();
    record
}

/// A call that ended 31 days before the readers' clock: live for an ingest two days behind.
fn expired(n: usize) -> Value {
    let mut record = record(1_000 + n, 1);
    record["startDateTime"] = json!("2026-10-25T10:00:00Z");
    record["endDateTime"] = json!("2026-10-25T10:05:00Z");
    record
}

enum Request {
    Post(Value),
    PostLate(Value),
    History(usize),
    Detail(usize),
}

/// Checks what a specialist reader got while writers raced.
fn check_read(status: u16, body: &Value, what: &str) {
    let text = body.to_string();
    assert!(status == 200 || status == 404, "{what}: {status} {body}");
    assert!(!text.contains(PHONE) && !text.contains("\"advanced\"") && !text.contains("\"debug\""), "{what}: {text}");
    assert!(!text.contains("race-1"), "{what}: an expired call was shown: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_requests_leave_exactly_the_newest_versions_and_readers_see_only_whole_items() {
    let (calls, expired_calls, total) = sizes();
    let readers = total - calls * VERSIONS as usize * DUPLICATES - expired_calls;
    let mut pipeline = Pipeline::new().await;
    let query_app = query_app(pipeline.store().clone());
    let late = ingest::App {
        clock: callscope_core::support::clock::Clock::fixed(ANCHOR - time::Duration::days(2)),
        ..pipeline.ingest.clone()
    };

    let mut requests = Vec::new();
    for n in 0..calls {
        for version in 1..=VERSIONS {
            requests.extend((0..DUPLICATES).map(|_| Request::Post(record(n, version))));
        }
    }
    requests.extend((0..expired_calls).map(|n| Request::PostLate(expired(n))));
    requests.extend(
        (0..readers).map(|i| if i % 2 == 0 { Request::History(i % USERS) } else { Request::Detail(i % calls) }),
    );
    assert_eq!(requests.len(), total);
    fastrand::Rng::with_seed(0xace5).shuffle(&mut requests);

    let whole_reads = AtomicU32::new(0);
    let run = |request: Request| {
        let (ingest, late, query_app, whole_reads) = (&pipeline.ingest, &late, &query_app, &whole_reads);
        async move {
            match request {
                Request::Post(body) => {
                    let (status, answer) = json_response(ingest.handle(ingest_request(body.to_string())).await);
                    assert_eq!(status, 202, "{answer}");
                }
                Request::PostLate(body) => {
                    let (status, answer) = json_response(late.handle(ingest_request(body.to_string())).await);
                    assert_eq!(status, 202, "{answer}");
                }
                Request::History(u) => {
                    let path = format!("/users/{}/calls", user(u));
                    let (status, body) =
                        json_response(query_app.handle(api_request("GET", SPECIALIST, &path, &[])).await);
                    check_read(status, &body, &path);
                }
                Request::Detail(n) => {
                    let path = format!("/calls/race-{n:03}");
                    let (status, body) = json_response(
                        query_app.handle(api_request("GET", SPECIALIST, &path, &[("user", &user(n))])).await,
                    );
                    check_read(status, &body, &path);
                    if status == 200 {
                        let sessions = body["sessions"].as_array().unwrap().len() as i64;
                        assert_eq!(Some(sessions), body["version"].as_i64(), "{path}: a version shown whole");
                        whole_reads.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    };
    futures::stream::iter(requests).map(run).buffer_unordered(64).collect::<Vec<()>>().await;
    pipeline.classify_all().await;

    let store = pipeline.store();
    let mut per_user: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..calls {
        let stored = store.call(&format!("race-{n:03}"), ANCHOR).await.unwrap().expect("stored");
        assert_eq!((stored.summary.version, stored.sessions.len() as i64), (VERSIONS, VERSIONS), "call {n}");
        assert_ne!(stored.summary.rating, Rating::Pending, "call {n} is rated");
        assert_eq!(stored.results.map(|r| r.len() as i64), Some(VERSIONS), "call {n}: a result per session");
        *per_user.entry(user(n)).or_default() += 1;
    }
    for n in 0..expired_calls {
        assert!(store.call(&format!("race-{:03}", 1_000 + n), ANCHOR).await.unwrap().is_none(), "expired call {n}");
    }
    for (u, expected) in &per_user {
        let path = format!("/users/{u}/calls");
        let (status, body) = json_response(query_app.handle(api_request("GET", SPECIALIST, &path, &[])).await);
        check_read(status, &body, &path);
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), *expected, "{u}'s history");
        for item in items {
            assert_ne!(item["rating"], json!("pending"), "{u}: {item}");
        }
    }
    println!(
        "race run: {total} requests ({} writes of {calls} calls x {VERSIONS} versions x {DUPLICATES}, {expired_calls} \
         expired on arrival, {readers} readers); {} detail reads found a whole version; final state exact",
        calls * VERSIONS as usize * DUPLICATES,
        whole_reads.load(Ordering::Relaxed)
    );
}
