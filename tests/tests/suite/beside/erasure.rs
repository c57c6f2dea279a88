//! The right to erasure as an unlucky operator and the person asking meet it: each request
//! counts as of its own time, it reaches everyone a call names, a writer's repair cannot be lost,
//! a heavy user's erasure finishes in bounded rounds, and an admin can read where it stands.

use callscope_core::store::ErasureRun;
use callscope_core::support::clock::Clock;
use callscope_core::support::deadline::Deadline;
use callscope_core::support::fixtures::{self, HOME_TENANT};
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, ADMIN, ENGINEER, MEETING, SPECIALIST};
use callscope_tests::{ANCHOR, Pipeline, all_items, api_request, as_function, graph_record, item_text, json_response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use time::{Duration, OffsetDateTime};

/// Ada's peer-to-peer call with a phone.
const P2P: &str = "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b";
/// The meeting's guest, and the phone that joined it.
const GUEST: &str = "c0ffee00-1234-4abc-9def-0123456789ab";
const MEETING_PHONE: &str = "+15551234567";
/// Bob, a user of another organization in the sample meeting.
const BOB: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
/// The phone Ada called.
const CALLED: &str = "+15552823456";

/// Both functions' clocks at `at`: the time a request or a rating happens.
fn at(pipeline: &mut Pipeline, at: OffsetDateTime) {
    pipeline.ingest.clock = Clock::fixed(at);
    pipeline.classify.clock = Clock::fixed(at);
}

/// The sample calls, stored and rated.
async fn tenant() -> Pipeline {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&json!({ "value": [graph_record("p2p-pstn.json"), graph_record("meeting.json")] })).await;
    pipeline.classify_all().await;
    pipeline
}

async fn call(pipeline: &Pipeline, method: &str, path: &str) -> (u16, Value) {
    json_response(pipeline.ingest.handle(api_request(method, ADMIN, path, &[])).await)
}

async fn query(pipeline: &Pipeline, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let app = callscope_tests::query_app(pipeline.store().clone());
    json_response(app.handle(api_request("GET", ENGINEER, path, params)).await)
}

/// Every item naming any of `personal`, outside the audit trail and the erasures' own items
/// (their marker and the pointer to a pending sweep name only the id).
async fn traces(pipeline: &Pipeline, personal: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for item in all_items(pipeline.store().table()).await {
        let pk = item["PK"].as_s().unwrap();
        if pk.starts_with("AUDIT") || pk.starts_with("ERASED#") || pk == "ERASURESWEEPS" {
            continue;
        }
        let text = item_text(&item);
        if personal.iter().any(|p| text.contains(p)) {
            found.push(text);
        }
    }
    found
}

/// Ada's p2p call again, as a new call `id` that started at `start`, at `version`.
fn her_call(id: &str, start: OffsetDateTime, version: i64) -> Value {
    let text = graph_record("p2p-pstn.json").to_string();
    let mut record: Value = serde_json::from_str(&text.replace(P2P, id)).unwrap();
    let shift = |v: &Value| {
        let t = OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
        let moved = start + (t - datetime("2026-11-24T09:00:00Z"));
        json!(moved.format(&time::format_description::well_known::Rfc3339).unwrap())
    };
    shift_times(&mut record, &shift);
    record["version"] = json!(version);
    record
}

fn datetime(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

/// Every `startDateTime` and `endDateTime` in `value`, moved by `shift`.
fn shift_times(value: &mut Value, shift: &impl Fn(&Value) -> Value) {
    match value {
        Value::Object(map) => {
            for (name, field) in map.iter_mut() {
                if (name == "startDateTime" || name == "endDateTime") && field.is_string() {
                    *field = shift(field);
                } else {
                    shift_times(field, shift);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_times(v, shift)),
        _ => {}
    }
}

#[tokio::test]
async fn a_repeated_erasure_counts_from_its_own_time_and_covers_the_calls_made_between() {
    let mut pipeline = tenant().await;
    let (status, first) = call(&pipeline, "DELETE", &format!("/users/{ADA}")).await;
    assert_eq!((status, first["complete"].as_bool()), (200, Some(true)), "{first}");

    // A day later she calls again: a call after her erasure is hers, and shows.
    let later = "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b";
    at(&mut pipeline, ANCHOR + Duration::days(1));
    pipeline.post(&her_call(later, ANCHOR + Duration::hours(20), 1)).await;
    pipeline.classify_all().await;
    let (status, history) = query(&pipeline, &format!("/users/{ADA}/calls"), &[]).await;
    assert_eq!((status, history["items"].as_array().map(Vec::len)), (200, Some(1)), "{history}");

    // Erased again: as of this request, which covers the call made between the two.
    at(&mut pipeline, ANCHOR + Duration::days(2));
    let (status, second) = call(&pipeline, "DELETE", &format!("/users/{ADA}")).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["callsRewritten"], first["callsRewritten"].as_u64().unwrap() + 1, "{second}");

    // A replay of that call and a newer version of it (Graph revises records): no trace.
    pipeline.post(&her_call(later, ANCHOR + Duration::hours(20), 1)).await;
    pipeline.post(&her_call(later, ANCHOR + Duration::hours(20), 2)).await;
    pipeline.classify_all().await;
    let personal = [ADA, "Ada Lovelace", "ada.lovelace@contoso.com", "ADA-LAPTOP-01", "10.20.30.41"];
    assert_eq!(traces(&pipeline, &personal).await, Vec::<String>::new());
    assert_eq!(query(&pipeline, &format!("/users/{ADA}/calls"), &[]).await.0, 404);
    assert_eq!(query(&pipeline, "/users", &[("search", "ada")]).await.1["items"], json!([]));
    // Her subnet's samples keep no call of hers.
    for item in all_items(pipeline.store().table()).await {
        if item["PK"].as_s().unwrap().starts_with("SUBNETS#") && item["SK"].as_s().unwrap() == "10.20.30.0" {
            let text = item_text(&item);
            assert!(![P2P, MEETING, later].iter().any(|c| text.contains(c)), "{text}");
        }
    }
}

#[tokio::test]
async fn anyone_a_call_names_can_be_erased_and_later_records_arrive_without_them() {
    // A guest, another organization's user, and two phone numbers: none has a history here.
    let people = [
        (GUEST, vec![GUEST, "Grace Guest"]),
        (BOB, vec![BOB, "Bob Babbage", "bob@fabrikam.com"]),
        (MEETING_PHONE, vec![MEETING_PHONE]),
        (CALLED, vec![CALLED]),
    ];
    for (id, personal) in people {
        let mut pipeline = tenant().await;
        let (status, erased) = call(&pipeline, "DELETE", &format!("/users/{id}")).await;
        assert_eq!(status, 200, "{id}: {erased}");
        assert_eq!((erased["callsFound"].as_u64(), erased["callsRewritten"].as_u64()), (Some(1), Some(1)), "{erased}");
        // The same records again, and newer versions: stored with them already replaced.
        pipeline.post(&json!({ "value": [graph_record("p2p-pstn.json"), graph_record("meeting.json")] })).await;
        let mut newer = [graph_record("p2p-pstn.json"), graph_record("meeting.json")];
        newer.iter_mut().for_each(|r| r["version"] = json!(5));
        pipeline.post(&json!({ "value": newer })).await;
        pipeline.classify_all().await;
        assert_eq!(traces(&pipeline, &personal).await, Vec::<String>::new(), "{id}");
        // Ada still sees both her calls, the erased party as the placeholder.
        let (_, history) = query(&pipeline, &format!("/users/{ADA}/calls"), &[]).await;
        assert_eq!(history["items"].as_array().map(Vec::len), Some(2), "{history}");
        let which = if id == CALLED { P2P } else { MEETING };
        let (status, detail) = query(&pipeline, &format!("/calls/{which}"), &[("user", ADA)]).await;
        assert_eq!(status, 200, "{detail}");
        assert!(detail.to_string().contains("Erased user"), "{id}: {detail}");
    }
    let pipeline = tenant().await;
    assert_eq!(call(&pipeline, "DELETE", "/users/+15550000000").await.0, 404, "a number no call names");
}

#[tokio::test]
async fn a_writers_repair_cut_off_anywhere_is_finished_by_its_retry_or_by_the_sweep() {
    // Version 2 of Ada's call is being stored when her erasure runs to its end: the writer read
    // the markers before, so it stores her, and its after-check repairs that. That repair is
    // cut off after each write in turn; then either the writer's retry or the erasure's sweep
    // must finish it.
    let mut cuts = 0;
    for allowed in 0.. {
        let mut finished = false;
        for by_sweep in [false, true] {
            let mut pipeline = Pipeline::new().await;
            pipeline.post(&graph_record("p2p-pstn.json")).await;
            pipeline.classify_all().await;
            let newer = json!(her_call(P2P, datetime("2026-11-24T09:00:00Z"), 2));
            let (table, ran) = (pipeline.store().clone(), Arc::new(AtomicBool::new(false)));
            let erased = ran.clone();
            let erase = async move {
                let erasing = as_function(&table, "ingest");
                let done = erasing.erase_user(ADA, HOME_TENANT, ANCHOR, Deadline::never(), ErasureRun::Request);
                assert!(done.await.unwrap().unwrap().complete);
                erased.store(true, Ordering::SeqCst);
            };
            let header = |operation: &str, body: &Value| {
                operation == "PutItem" && callscope_tests::race::sort_key(body) == "#HEADER"
            };
            let cut = callscope_tests::cut_off_store(pipeline.store().table(), allowed);
            let racing = callscope_tests::race::before(&cut, header, erase);
            let writer = callscope_ingest_app(&pipeline, &racing);
            let response = writer.handle(callscope_tests::ingest_request(newer.to_string())).await;
            if response.status() == 202 {
                finished = true;
                break;
            }
            if !ran.load(Ordering::SeqCst) {
                // Cut before the commit: the erasure never raced this write.
                continue;
            }
            if by_sweep {
                let classify = as_function(pipeline.store(), "classify");
                let due = ANCHOR + callscope_core::store::WRITER_WINDOW;
                assert_eq!(classify.start_due_sweeps(due).await.unwrap(), 1, "cut after {allowed}");
                at(&mut pipeline, due);
            } else {
                pipeline.post(&newer).await;
            }
            pipeline.classify_all().await;
            let personal = [ADA, "Ada Lovelace", "ADA-LAPTOP-01", "10.20.30.41"];
            let how = if by_sweep { "the sweep" } else { "the retry" };
            assert_eq!(traces(&pipeline, &personal).await, Vec::<String>::new(), "cut after {allowed}, {how}");
        }
        if finished {
            cuts = allowed;
            break;
        }
    }
    assert!(cuts > 6, "the write and its after-check were cut at every point: {cuts} writes");
}

/// The ingest function's app as the tests build it, on `store`.
fn callscope_ingest_app(pipeline: &Pipeline, store: &callscope_core::store::DynamoStore) -> ingest::App {
    ingest::App { store: as_function(store, "ingest"), ..pipeline.ingest.clone() }
}

#[tokio::test]
async fn an_admin_reads_where_an_erasure_stands_and_the_sweep_ends_it() {
    let mut pipeline = tenant().await;
    let path = format!("/users/{ADA}/erasure");
    assert_eq!(call(&pipeline, "GET", &path).await.0, 404, "never erased");
    assert_eq!(call(&pipeline, "DELETE", &format!("/users/{ADA}")).await.0, 200);
    for role in [SPECIALIST, ENGINEER, Some("ingest")] {
        let response = pipeline.ingest.handle(api_request("GET", role, &path, &[])).await;
        assert_eq!(response.status(), 403, "{role:?}");
    }
    let (status, standing) = call(&pipeline, "GET", &path).await;
    assert_eq!(status, 200, "{standing}");
    let sweep_at = ANCHOR + callscope_core::store::WRITER_WINDOW;
    let rfc3339 = |t: OffsetDateTime| callscope_core::support::clock::rfc3339(t);
    assert_eq!(
        (&standing["requestedAt"], &standing["requests"], &standing["complete"], &standing["completedAt"]),
        (&json!(rfc3339(ANCHOR)), &json!(1), &json!(true), &json!(rfc3339(ANCHOR))),
        "{standing}"
    );
    assert_eq!((&standing["sweepPending"], &standing["sweepAt"]), (&json!(true), &json!(rfc3339(sweep_at))));
    assert_eq!((standing["callsFound"].as_u64(), standing["callsRewritten"].as_u64()), (Some(2), Some(2)));

    // Not due yet: nothing starts. Due: the sweep runs from the stream, and ends it.
    let classify = as_function(pipeline.store(), "classify");
    assert_eq!(classify.start_due_sweeps(sweep_at - Duration::seconds(1)).await.unwrap(), 0);
    assert_eq!(classify.start_due_sweeps(sweep_at).await.unwrap(), 1);
    at(&mut pipeline, sweep_at);
    pipeline.classify_all().await;
    let (_, swept) = call(&pipeline, "GET", &path).await;
    assert_eq!(
        (&swept["sweepPending"], &swept["complete"], &swept["rounds"]),
        (&json!(false), &json!(true), &json!(1))
    );
    assert!(swept.get("sweepAt").is_none_or(Value::is_null), "{swept}");
    let pointers = all_items(pipeline.store().table()).await;
    assert!(!pointers.iter().any(|i| i["PK"].as_s().unwrap() == "ERASURESWEEPS"), "the pointer went with it");

    let app = callscope_tests::query_app(pipeline.store().clone());
    let (_, audit) = json_response(app.handle(api_request("GET", ADMIN, "/audit", &[("limit", "100")])).await);
    let reads = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "erasureStatus").count();
    assert_eq!(reads, 3, "the two reads and the refused ones (one caller, one minute): {audit}");
}

#[tokio::test]
async fn a_user_with_thousands_of_calls_is_erased_in_bounded_rounds() {
    // Each round has one second (`make stress`: 5,000 calls, BENCHMARKS.md).
    let calls = callscope_tests::stress_size(5_000, 100);
    let pipeline = Pipeline::new().await;
    let started = std::time::Instant::now();
    let user = fixtures::user_id(0);
    callscope_tests::store_calls_of_one_user(pipeline.store(), calls).await;
    let seeded = started.elapsed();
    let erasing = as_function(pipeline.store(), "ingest");
    let budget = std::time::Duration::from_secs(1);
    let (mut rounds, mut longest, mut run, mut done) = (0, std::time::Duration::ZERO, ErasureRun::Request, 0);
    let started = std::time::Instant::now();
    loop {
        let round = std::time::Instant::now();
        let report = erasing.erase_user(&user, HOME_TENANT, ANCHOR, Deadline::after(budget), run).await.unwrap();
        let report = report.expect("her marker");
        longest = longest.max(round.elapsed());
        rounds += 1;
        assert!(report.calls_found > done || report.complete, "round {rounds} got further: {report:?}");
        done = report.calls_found;
        run = ErasureRun::Round;
        if report.complete {
            assert_eq!(report.calls_found as usize, calls, "{report:?}");
            break;
        }
    }
    let personal = [user.as_str(), "Test User0\"", "user0@contoso.com"];
    assert_eq!(traces(&pipeline, &personal).await, Vec::<String>::new());
    println!(
        "erasure of one user with {calls} calls: {rounds} rounds of at most {budget:?} each, the longest {longest:?}, \
         {:?} in all (seeded in {seeded:?})",
        started.elapsed()
    );
}

/// Ada's call as the `associatedIdentity` of an endpoint whose own identity is an
/// application (a call queue's resource account answered by her): she is no party of the call
/// (one identity per set), only an identity it names.
fn queue_call(id: &str, start: OffsetDateTime) -> Value {
    let mut record = her_call(id, start, 1);
    let ada = json!({ "id": ADA, "displayName": "Ada Lovelace", "userPrincipalName": "ada.lovelace@contoso.com",
        "tenantId": "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e" });
    let queue = json!({ "applicationInstance": { "id": "queue-app-1", "displayName": "Helpdesk queue" } });
    record["organizer_v2"] = json!({ "id": "queue-app-1", "identity": queue });
    record["participants_v2"] = json!([
        { "id": "queue-app-1", "identity": queue },
        { "id": CALLED, "identity": { "phone": { "id": CALLED } } }
    ]);
    for session in record["sessions"].as_array_mut().unwrap() {
        session["caller"] = json!({ "name": "ADA-LAPTOP-01", "identity": queue, "associatedIdentity": ada });
        for segment in session["segments"].as_array_mut().into_iter().flatten() {
            segment["caller"] = json!({ "name": "ADA-LAPTOP-01", "identity": queue, "associatedIdentity": ada });
        }
    }
    record
}

#[tokio::test]
async fn someone_named_only_behind_a_call_queue_is_erased_and_later_records_arrive_without_them() {
    let mut pipeline = tenant().await;
    // 1. Stored before her erasure, then erased.
    let before = "11111111-2222-4333-8444-555555555555";
    pipeline.post(&queue_call(before, ANCHOR - Duration::hours(3))).await;
    pipeline.classify_all().await;
    let (status, erased) = call(&pipeline, "DELETE", &format!("/users/{ADA}")).await;
    assert_eq!(status, 200, "{erased}");
    // 2. A record of a call made before her erasure arriving after it.
    let after = "66666666-7777-4888-9999-aaaaaaaaaaaa";
    pipeline.post(&queue_call(after, ANCHOR - Duration::hours(2))).await;
    pipeline.classify_all().await;
    // 3. The sweep.
    let due = ANCHOR + callscope_core::store::WRITER_WINDOW;
    at(&mut pipeline, due);
    as_function(pipeline.store(), "classify").start_due_sweeps(due).await.unwrap();
    pipeline.classify_all().await;
    let found = traces(&pipeline, &[ADA, "Ada Lovelace", "ada.lovelace@contoso.com"]).await;
    let calls: Vec<&str> = [before, after].into_iter().filter(|c| found.iter().any(|t| t.contains(c))).collect();
    assert_eq!(found, Vec::<String>::new(), "her name survives in calls {calls:?}");
}

/// Through the real ingest path (with its after-check): writer A reads the markers, Ada's
/// erasure runs to its end, A reads no header, writer B (after the erasure) commits the call
/// with her replaced, A writes its pages and directory entries, loses the header, repairs.
#[tokio::test]
async fn a_writer_that_loses_the_commit_to_a_later_one_leaves_no_directory_entry_of_hers() {
    let mut pipeline = tenant().await;
    let id = "44444444-3333-4444-8555-666666666666";
    let record = her_call(id, ANCHOR - Duration::hours(3), 1);
    let table = pipeline.store().clone();
    let erase = async move {
        let erasing = as_function(&table, "ingest");
        let done = erasing.erase_user(ADA, HOME_TENANT, ANCHOR, Deadline::never(), ErasureRun::Request);
        assert!(done.await.unwrap().unwrap().complete);
    };
    let (b_app, b_body) = (pipeline.ingest.clone(), record.to_string());
    let b = async move {
        let response = b_app.handle(callscope_tests::ingest_request(b_body)).await;
        assert_eq!(response.status(), 202);
    };
    let header_read = move |op: &str, body: &Value| {
        op == "GetItem" && callscope_tests::race::sort_key(body) == "#HEADER" && body.to_string().contains(id)
    };
    let first = callscope_tests::race::before(pipeline.store(), header_read, erase);
    let second = callscope_tests::race::before(&first, |op: &str, _: &Value| op == "BatchWriteItem", b);
    let writer = callscope_ingest_app(&pipeline, &second);
    let response = writer.handle(callscope_tests::ingest_request(record.to_string())).await;
    assert_eq!(response.status(), 202);
    pipeline.classify_all().await;
    let due = ANCHOR + callscope_core::store::WRITER_WINDOW;
    at(&mut pipeline, due);
    assert_eq!(as_function(pipeline.store(), "classify").start_due_sweeps(due).await.unwrap(), 1);
    pipeline.classify_all().await;
    let found =
        traces(&pipeline, &[ADA, "Ada Lovelace", "ada.lovelace@contoso.com", "ADA-LAPTOP-01", "10.20.30.41"]).await;
    let pks: Vec<String> = found
        .iter()
        .map(|t| {
            let at = t.find("PK").unwrap_or(0);
            t.chars().skip(at).take(24).collect()
        })
        .collect();
    let (_, listing) = query(&pipeline, "/users", &[]).await;
    let (_, search) = query(&pipeline, "/users", &[("search", "lovelace")]).await;
    assert_eq!(pks, Vec::<String>::new(), "listing: {listing}\nsearch: {search}");
}

/// Version 1 saw Ada on one subnet, version 2 on another: both days' samples lose the call.
#[tokio::test]
async fn an_older_versions_subnet_sample_goes_too() {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&graph_record("p2p-pstn.json")).await;
    pipeline.classify_all().await;
    let mut v2: Value =
        serde_json::from_str(&graph_record("p2p-pstn.json").to_string().replace("10.20.30.", "10.77.30.")).unwrap();
    v2["version"] = json!(2);
    pipeline.post(&v2).await;
    pipeline.classify_all().await;
    let before: Vec<String> = all_items(pipeline.store().table())
        .await
        .iter()
        .filter(|i| i["PK"].as_s().unwrap().starts_with("SUBNETS#"))
        .map(item_text)
        .collect();
    assert_eq!(call(&pipeline, "DELETE", &format!("/users/{ADA}")).await.0, 200);
    let samples: Vec<String> = all_items(pipeline.store().table())
        .await
        .iter()
        .filter(|i| i["PK"].as_s().unwrap().starts_with("SUBNETS#"))
        .map(item_text)
        .filter(|t| t.contains(P2P))
        .collect();
    assert_eq!(samples, Vec::<String>::new(), "before: {before:#?}");
}

#[tokio::test]
async fn the_sweep_leaves_alone_a_call_made_after_the_request() {
    let mut pipeline = tenant().await;
    assert_eq!(call(&pipeline, "DELETE", &format!("/users/{ADA}")).await.0, 200);
    // Five minutes later she calls again: a call after her erasure is hers.
    let later = "5e1f0a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b";
    at(&mut pipeline, ANCHOR + Duration::minutes(10));
    pipeline.post(&her_call(later, ANCHOR + Duration::minutes(5), 1)).await;
    pipeline.classify_all().await;
    // The sweep, due 15 minutes after the request, runs every entry of hers again.
    let sweep_at = ANCHOR + callscope_core::store::WRITER_WINDOW;
    at(&mut pipeline, sweep_at);
    assert_eq!(as_function(pipeline.store(), "classify").start_due_sweeps(sweep_at).await.unwrap(), 1);
    pipeline.classify_all().await;
    let (status, history) = query(&pipeline, &format!("/users/{ADA}/calls"), &[]).await;
    assert_eq!((status, history["items"].as_array().map(Vec::len)), (200, Some(1)), "{history}");
    assert_eq!(history["items"][0]["callId"], later, "{history}");
    let (status, detail) = query(&pipeline, &format!("/calls/{later}"), &[("user", ADA)]).await;
    assert_eq!(status, 200, "{detail}");
    assert!(detail.to_string().contains("Ada Lovelace"), "her own later call names her: {detail}");
    let (_, standing) = call(&pipeline, "GET", &format!("/users/{ADA}/erasure")).await;
    assert_eq!((&standing["complete"], &standing["sweepPending"]), (&json!(true), &json!(false)), "{standing}");
}

#[tokio::test]
async fn a_replay_after_erasures_reads_no_attendees_history() {
    let pipeline = Pipeline::new().await;
    let record = fixtures::call_json("a77ac4e0-0000-4000-8000-0000000000aa", 1, 300, 1, ANCHOR - Duration::hours(2));
    pipeline.post(&record).await;
    // The organizer and an attendee erased: the meeting's other 298 lines showed the organizer.
    for n in [0, 1] {
        assert_eq!(call(&pipeline, "DELETE", &format!("/users/{}", fixtures::user_id(n))).await.0, 200);
    }
    let (counted, log) = callscope_tests::counted_store(pipeline.store().table());
    callscope_tests::post_calls(&callscope_tests::ingest_app(&counted), &record).await;
    let requests = log.take_requests();
    let reads = requests.iter().filter(|(op, body)| op == "GetItem" && body.to_string().contains("USER#")).count();
    assert!(reads < 10, "the replay's repair found them erased already: {reads} history entries read");
    let writes = requests.iter().filter(|(op, _)| op == "PutItem").count();
    assert!(writes <= 300, "a replay writes its history lines again, no index: {writes} puts");
    let personal = [fixtures::user_id(0), fixtures::user_id(1)];
    assert_eq!(traces(&pipeline, &[personal[0].as_str(), personal[1].as_str()]).await, Vec::<String>::new());
}

#[tokio::test]
async fn an_older_versions_samples_on_the_day_before_go_too() {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&graph_record("p2p-pstn.json")).await;
    pipeline.classify_all().await;
    // Version 2 ends past midnight: its samples count on the next day, version 1's stay on theirs.
    let mut newer = graph_record("p2p-pstn.json");
    newer["version"] = json!(2);
    newer["endDateTime"] = json!("2026-11-25T00:30:00Z");
    pipeline.post(&newer).await;
    pipeline.classify_all().await;
    let days = |items: Vec<callscope_core::store::Item>| -> Vec<String> {
        items.iter().filter(|i| i["PK"].as_s().unwrap().starts_with("SUBNETS#")).map(item_text).collect()
    };
    let before = days(all_items(pipeline.store().table()).await);
    assert!(before.iter().filter(|t| t.contains(P2P)).count() >= 2, "both days sampled the call: {before:#?}");
    assert_eq!(call(&pipeline, "DELETE", &format!("/users/{ADA}")).await.0, 200);
    let left: Vec<String> =
        days(all_items(pipeline.store().table()).await).into_iter().filter(|t| t.contains(P2P)).collect();
    assert_eq!(left, Vec::<String>::new(), "samples still naming her call");
}

#[tokio::test]
async fn a_secondary_identity_with_an_id_no_key_can_hold_is_refused_where_it_is() {
    let pipeline = Pipeline::new().await;
    let mut record = graph_record("p2p-pstn.json");
    record["participants_v2"][1]["identity"]["device"] = json!({ "id": "d".repeat(300) });
    let (status, body) =
        json_response(pipeline.ingest.handle(callscope_tests::ingest_request(record.to_string())).await);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["problems"][0]["path"], "participants_v2[1].identity.device.id", "{body}");
    assert!(all_items(pipeline.store().table()).await.is_empty(), "nothing written");
}

/// A person's erasure through `DELETE /users/{id}`: their session's segment caller endpoint
/// (a participantEndpoint, whose feedback the engineer's view shows) carries no identity of its
/// own; it goes with the session's side, so the other participant's engineer view of the call
/// shows neither the erased person's feedback text nor their machine name.
#[tokio::test]
async fn an_erasure_takes_the_feedback_and_machine_name_of_a_segment_endpoint_that_names_nobody() {
    let store = callscope_tests::fresh_store().await;
    let ingest = callscope_tests::ingest_app(&store);
    let start = ANCHOR - time::Duration::hours(2);
    let mut record = fixtures::call_json("feedback-call", 1, 2, 1, start);
    record["sessions"][0]["segments"][0]["caller"] = json!({
        "name": "USER0-LAPTOP",
        "feedback": { "rating": "bad", "text": "User Zero here, call me on +1 555 010 9999" }
    });
    callscope_tests::post_calls(&ingest, &record).await;
    let erased = fixtures::user_id(0);
    let response = ingest.handle(callscope_tests::api_request("DELETE", ADMIN, &format!("/users/{erased}"), &[])).await;
    assert!([200, 202].contains(&response.status().as_u16()), "{:?}", response.body());
    let app = callscope_tests::query_app(store.clone());
    let other = fixtures::user_id(1);
    let (status, detail) = callscope_tests::json_response(
        app.handle(callscope_tests::api_request("GET", ENGINEER, "/calls/feedback-call", &[("user", &other)])).await,
    );
    assert_eq!(status, 200, "{detail}");
    let text = detail.to_string();
    assert!(text.contains("Erased user"), "the erasure ran: {text}");
    for personal in ["User Zero here", "+1 555 010 9999", "USER0-LAPTOP"] {
        assert!(!text.contains(personal), "the erased caller's {personal:?} is still shown after the erasure");
    }
}
