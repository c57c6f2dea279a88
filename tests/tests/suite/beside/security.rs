//! The promises of docs/security.md that need the whole product: nobody widens their role by
//! anything but verified claims, every attempt to look at a user or call is audited, and the
//! right to erasure leaves no trace of the user outside the audit trail.

use callscope_core::store::ErasureRun;
use callscope_core::support::deadline::Deadline;
use callscope_core::support::fixtures;
use callscope_http::HttpFunction;
use callscope_tests::ANCHOR;
use callscope_tests::samples::{ADA, ADMIN, BOB, ENGINEER, MEETING, SPECIALIST};
use callscope_tests::{
    EVENTS_SUBSCRIPTION, Pipeline, all_items, api_request, api_request_with_roles_claim, as_function, graph_record,
    item_text, json_response, our_notification, query_app, subscribed_as,
};
use serde_json::{Value, json};

/// Ada's peer-to-peer call with a phone.
const P2P: &str = "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b";
/// No deadline: the erasure runs to its end in one go.
const ALL_AT_ONCE: Deadline = Deadline::never();
/// A deadline already past: a run does only what it owes.
const NO_TIME: Deadline = Deadline(time::OffsetDateTime::UNIX_EPOCH);

/// The sample tenant, ingested and rated, with the query and ingest apps on it.
/// The sample calls, with Bob moved into the home tenant: a colleague of Ada's, with a history
/// of his own that shows her.
async fn tenant() -> (Pipeline, query::App) {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&sample_calls(None)).await;
    pipeline.classify_all().await;
    let app = query_app(pipeline.store().clone());
    (pipeline, app)
}

/// The sample batch, Bob in the home tenant; both records at `version` if given.
fn sample_calls(version: Option<i64>) -> Value {
    let partner = "0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d";
    let meeting =
        graph_record("meeting.json").to_string().replace(partner, callscope_core::support::fixtures::HOME_TENANT);
    let mut calls = [graph_record("p2p-pstn.json"), serde_json::from_str(&meeting).unwrap()];
    if let Some(version) = version {
        calls.iter_mut().for_each(|c| c["version"] = json!(version));
    }
    json!({ "value": calls })
}

async fn get(app: &query::App, request: lambda_http::Request) -> (u16, Value) {
    json_response(app.handle(request).await)
}

async fn audit_entries(app: &query::App) -> Vec<Value> {
    let (status, body) = get(app, api_request("GET", ADMIN, "/audit", &[("limit", "100")])).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn odd_role_claims_grant_nothing_and_every_refused_look_is_audited() {
    let (_pipeline, app) = tenant().await;
    let history = format!("/users/{ADA}/calls");
    let detail = format!("/calls/{MEETING}");
    let claims = [
        "[\"admin\"",              // broken JSON array
        "admin support-engineer",  // two names without brackets: one unknown name
        "{\"roles\":[\"admin\"]}", // an object
        "[ADMIN]",                 // names are exact
        "[support-engineer-x]",    // a prefix is not the role
        "[\"support engineer\"]",  // nor a near miss
        "",                        // empty
        "[ingest]",                // a real role, but not a helpdesk one
    ];
    let before = audit_entries(&app).await.len();
    for claim in claims {
        for (path, query) in [(history.as_str(), vec![]), (detail.as_str(), vec![("user", ADA)])] {
            let (status, body) = get(&app, api_request_with_roles_claim("GET", Some(claim), path, &query)).await;
            assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{claim:?} on {path}");
        }
    }
    let entries = audit_entries(&app).await;
    let refused: Vec<&Value> = entries.iter().filter(|e| e["role"] == "none").collect();
    // One caller, one minute: one entry, counting every attempt.
    assert_eq!(entries.len() - before, 1, "refusals are counted per caller and minute: {refused:?}");
    assert_eq!(refused[0]["refusedAttempts"].as_u64(), Some(claims.len() as u64 * 2), "every attempt counted");
    assert_eq!(refused[0]["targetUser"], ADA, "with the user the first attempt tried to see");
}

#[tokio::test]
async fn path_ids_and_cursors_cannot_reach_another_users_data() {
    let (_pipeline, app) = tenant().await;
    // A call Bob was not in, asked for as Bob; ids that look like keys; a traversal.
    let not_found = [
        (format!("/calls/{MEETING}"), Some("not-in-this-call")),
        (format!("/users/USER%23{ADA}/calls"), None),
        (format!("/users/{ADA}%23x/calls"), None),
        ("/users/..%2F..%2Fcalls/calls".to_owned(), None),
        (format!("/calls/{MEETING}%23HEADER"), Some(ADA)),
    ];
    for (path, user) in not_found {
        let query: Vec<(&str, &str)> = user.map(|u| ("user", u)).into_iter().collect();
        let (status, body) = get(&app, api_request("GET", ENGINEER, &path, &query)).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // A cursor minted for the engineer's view of Ada's history works only there (admins get the
    // same view, so theirs is the one place it also works).
    let history = format!("/users/{ADA}/calls");
    let (_, page) = get(&app, api_request("GET", ENGINEER, &history, &[("limit", "1")])).await;
    let cursor = page["nextCursor"].as_str().expect("Ada has two calls: a second page").to_owned();
    assert_eq!(get(&app, api_request("GET", ENGINEER, &history, &[("limit", "1"), ("cursor", &cursor)])).await.0, 200);
    let foreign =
        [(SPECIALIST, history.clone()), (ENGINEER, format!("/users/{BOB}/calls")), (ENGINEER, "/users".to_owned())];
    for (role, path) in foreign {
        let (status, body) = get(&app, api_request("GET", role, &path, &[("limit", "1"), ("cursor", &cursor)])).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")), "{role:?} {path}");
    }
}

#[tokio::test]
async fn erasing_a_user_leaves_no_trace_of_them_outside_the_audit_trail() {
    let (mut pipeline, app) = tenant().await;
    let erase = |role| api_request("DELETE", role, &format!("/users/{ADA}"), &[]);

    for role in [SPECIALIST, ENGINEER, Some("ingest")] {
        let (status, _) = json_response(pipeline.ingest.handle(erase(role)).await);
        assert_eq!(status, 403, "{role:?} may not erase");
    }
    assert_eq!(get(&app, api_request("GET", ENGINEER, &format!("/users/{ADA}/calls"), &[])).await.0, 200);

    let (status, erased) = json_response(pipeline.ingest.handle(erase(ADMIN)).await);
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        (erased["callsRewritten"].as_u64(), erased["historyEntriesDeleted"].as_u64()),
        (Some(2), Some(2)),
        "{erased}"
    );
    assert!(erased["directoryEntriesDeleted"].as_u64() > Some(0), "{erased}");
    assert!(erased["counterpartsRewritten"].as_u64() > Some(0), "Bob's entry showed Ada as the organizer: {erased}");

    // Erased stays erased: the same records again (a retry after a 503), a newer version of
    // each (Graph revises records), and both classified as the stream delivers them.
    pipeline.post(&sample_calls(None)).await;
    pipeline.post(&sample_calls(Some(7))).await;
    pipeline.classify_all().await;

    // Gone from search, history, and every call; the other participants still see their call.
    assert_eq!(get(&app, api_request("GET", ENGINEER, &format!("/users/{ADA}/calls"), &[])).await.0, 404);
    let (_, found) = get(&app, api_request("GET", ENGINEER, "/users", &[("search", "ada")])).await;
    assert_eq!(found["items"], json!([]), "{found}");
    let (status, call) = get(&app, api_request("GET", ENGINEER, &format!("/calls/{MEETING}"), &[("user", BOB)])).await;
    assert_eq!(status, 200, "{call}");
    assert!(call.to_string().contains("Erased user"), "{call}");
    assert_eq!(call["version"], 7, "the newer version, stored without her");
    let (_, bobs) = get(&app, api_request("GET", ENGINEER, &format!("/users/{BOB}/calls"), &[])).await;
    assert_eq!(bobs["items"].as_array().map(Vec::len), Some(1), "{bobs}");
    assert_eq!(bobs["items"][0]["counterpart"]["displayName"], "Erased user", "{bobs}");
    let csv = app.handle(api_request("GET", ENGINEER, &format!("/users/{BOB}/calls"), &[("format", "csv")])).await;
    let csv = String::from_utf8(csv.body().to_vec()).unwrap();
    assert!(csv.contains("Erased user") && !csv.contains("Ada"), "{csv}");

    for item in all_items(pipeline.store().table()).await {
        let text = item_text(&item);
        let pk = item["PK"].as_s().unwrap();
        if pk.starts_with("AUDIT") {
            continue;
        }
        if pk == "ERASURESWEEPS" {
            // The pointer to her pending sweep: her id and when, kept no longer than the marker.
            let names: std::collections::BTreeSet<&str> = item.keys().map(String::as_str).collect();
            assert_eq!(names, "PK SK userId sweepAt expiresAt".split_whitespace().collect(), "{text}");
            continue;
        }
        if pk.starts_with("ERASED#") {
            // The marker that keeps her erased: her id, when, and what was done; nothing else.
            let names: std::collections::BTreeSet<&str> = item.keys().map(String::as_str).collect();
            let expected = "PK SK userId requestedAt requests expiresAt complete completedAt continued round \
                            callsFound callsRewritten counterpartsRewritten directoryEntriesDeleted \
                            historyEntriesDeleted stalePagesDeleted escalationsRewritten sweepAt changedAt version";
            assert_eq!(names, expected.split_whitespace().collect(), "{text}");
            continue;
        }
        for personal in [ADA, "Ada Lovelace", "ada.lovelace@contoso.com", "ADA-LAPTOP-01", "10.20.30.41"] {
            assert!(!text.contains(personal), "{personal} survived erasure in {text}");
        }
        // Her subnet stays only as a key of the per-subnet audio counts, which keep no call of
        // hers there (the others' subnets may count the calls again: those sides are theirs).
        if item["PK"].as_s().unwrap().starts_with("SUBNETS#") {
            if item["SK"].as_s().unwrap() == "10.20.30.0" {
                assert!(!text.contains(MEETING) && !text.contains(P2P), "her calls' samples were kept: {text}");
            }
        } else {
            assert!(!text.contains("10.20.30.0"), "her subnet survived erasure in {text}");
        }
    }
    let audited: Vec<Value> = audit_entries(&app).await.into_iter().filter(|e| e["action"] == "erase").collect();
    assert_eq!(audited.len(), 2, "the three refused attempts (one caller, one minute) and the erasure: {audited:?}");
    assert_eq!(audited.iter().filter(|e| e["role"] == "admin").count(), 1);
    let refused = audited.iter().find(|e| e["role"] != "admin").unwrap();
    assert_eq!(refused["refusedAttempts"], 3, "{refused}");
    let (status, again) = json_response(pipeline.ingest.handle(erase(ADMIN)).await);
    assert_eq!((status, again["complete"].as_bool()), (200, Some(true)), "a repeat reports the erasure: {again}");
    assert_eq!(again["callsRewritten"], erased["callsRewritten"], "and finds nothing more to do");
    let unknown = api_request("DELETE", ADMIN, "/users/never-seen", &[]);
    assert_eq!(json_response(pipeline.ingest.handle(unknown).await).0, 404, "nobody to erase");
}

/// Whether `pk` is an erasure's own: its marker, and the pointer to its pending sweep (both name
/// the person's id and nothing else of them; `erasing_a_user_leaves_no_trace...` checks that).
fn erasure_bookkeeping(pk: &str) -> bool {
    pk.starts_with("ERASED#") || pk == "ERASURESWEEPS"
}

/// Every item that still names Ada, outside the audit trail and her erasure's own items.
async fn traces_of_ada(pipeline: &Pipeline) -> Vec<String> {
    let mut traces = Vec::new();
    for item in all_items(pipeline.store().table()).await {
        let pk = item["PK"].as_s().unwrap();
        let text = item_text(&item);
        if !pk.starts_with("AUDIT") && !erasure_bookkeeping(pk) && (text.contains(ADA) || text.contains("Ada Lovelace"))
        {
            traces.push(text);
        }
    }
    traces
}

#[tokio::test]
async fn an_erasure_cut_off_anywhere_is_completed_by_repeating_it() {
    let now = callscope_tests::ANCHOR;
    let home = callscope_core::support::fixtures::HOME_TENANT;
    let mut writes_seen = 0;
    for allowed in 0.. {
        let (pipeline, _) = tenant().await;
        // The erasure as the ingest function runs it, cut off after `allowed` writes, then repeated.
        let cut = as_function(&callscope_tests::cut_off_store(pipeline.store().table(), allowed), "ingest");
        if cut.erase_user(ADA, home, now, ALL_AT_ONCE, ErasureRun::Request).await.is_ok() {
            writes_seen = allowed;
            break;
        }
        let finished = as_function(pipeline.store(), "ingest")
            .erase_user(ADA, home, now, ALL_AT_ONCE, ErasureRun::Request)
            .await
            .unwrap()
            .unwrap();
        assert!(finished.complete, "cut after {allowed} writes: {finished:?}");
        assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new(), "cut after {allowed} writes");
        let bob = pipeline.store().clone();
        let query = query_app(bob);
        let (_, bobs) = get(&query, api_request("GET", ENGINEER, &format!("/users/{BOB}/calls"), &[])).await;
        assert_eq!(bobs["items"][0]["counterpart"]["displayName"], "Erased user", "cut after {allowed}: {bobs}");
    }
    assert!(writes_seen > 8, "every step was cut in turn: {writes_seen} writes");
}

/// A meeting of `participants` synthetic users (user 0 organizes, one session each), over the
/// 100 parties a header keeps (so they are kept in party pages), ingested and rated.
async fn large_meeting(participants: usize) -> Pipeline {
    let mut pipeline = Pipeline::new().await;
    let start = callscope_tests::ANCHOR - time::Duration::hours(2);
    pipeline.post(&json!({ "value": [fixtures::call_json("big", 1, participants, 1, start)] })).await;
    pipeline.classify_all().await;
    pipeline
}

/// What names synthetic user `n`: id, name, UPN, machine name.
fn personal_data_of(n: usize) -> [String; 4] {
    [fixtures::user_id(n), format!("Test User{n}\""), format!("user{n}@contoso.com"), format!("PC-{n}\"")]
}

/// Every item that still names synthetic user `n`, outside the audit trail and their marker.
async fn traces_of_user(pipeline: &Pipeline, n: usize) -> Vec<String> {
    let personal = personal_data_of(n);
    let mut traces = Vec::new();
    for item in all_items(pipeline.store().table()).await {
        let pk = item["PK"].as_s().unwrap();
        let text = item_text(&item);
        if !pk.starts_with("AUDIT") && !erasure_bookkeeping(pk) && personal.iter().any(|p| text.contains(p)) {
            traces.push(text);
        }
    }
    traces
}

/// Leaves the pages of call `big` whose sort key starts with `prefix` as a cut-off erasure of
/// user `n` would have: their lists no longer name them (the header and other pages do).
async fn erase_pages_by_hand(pipeline: &Pipeline, prefix: &str, n: usize) {
    use aws_sdk_dynamodb::types::AttributeValue;
    use callscope_core::store::compact;
    let [id, name, upn, machine] = personal_data_of(n);
    let mut written = 0;
    for mut item in all_items(pipeline.store().table()).await {
        if item["PK"].as_s().unwrap() != "CALL#big" || !item["SK"].as_s().unwrap().starts_with(prefix) {
            continue;
        }
        for value in item.values_mut() {
            if let AttributeValue::B(bytes) = value
                && let Ok(list) = compact::decode::<Value>(bytes.as_ref())
            {
                let text = Value::Array(list)
                    .to_string()
                    .replace(&id, callscope_core::domain::erasure::ERASED_ID)
                    .replace(&name, "Erased user\"")
                    .replace(&upn, "")
                    .replace(&machine, "\"");
                let list: Vec<Value> = serde_json::from_str(&text).unwrap();
                *value = AttributeValue::B(compact::encode(&list).unwrap().into());
            }
        }
        let client = callscope_tests::local_client();
        client.put_item().table_name(pipeline.store().table()).set_item(Some(item)).send().await.unwrap();
        written += 1;
    }
    assert!(written > 0, "call big has {prefix} pages");
}

#[tokio::test]
async fn a_large_meeting_left_half_rewritten_by_a_cut_off_erasure_is_finished_by_repeating_it() {
    // A meeting too large for one transaction is rewritten page by page and its header last:
    // a run cut off between them leaves pages that no longer name the person beside pages and
    // a header that still do. Each such state, then the erasure asked again.
    let home = callscope_core::support::fixtures::HOME_TENANT;
    let states = [
        (42, vec!["PARTIES#"], "an attendee: a party page written, the session pages not"),
        (0, vec!["PARTIES#", "SESSIONS#"], "the organizer: every page written, the header not"),
    ];
    for (n, prefixes, state) in states {
        let pipeline = large_meeting(105).await;
        let user = fixtures::user_id(n);
        // The steps before the call's rewrite (marker, directory), then the cut pages.
        let spared = callscope_tests::sparing_store(pipeline.store().table(), "CALL#big");
        assert!(
            as_function(&spared, "ingest")
                .erase_user(&user, home, ANCHOR, ALL_AT_ONCE, ErasureRun::Request)
                .await
                .is_err()
        );
        for prefix in prefixes {
            erase_pages_by_hand(&pipeline, prefix, n).await;
        }
        let erased = as_function(pipeline.store(), "ingest")
            .erase_user(&user, home, ANCHOR, ALL_AT_ONCE, ErasureRun::Request)
            .await;
        let erased = erased.unwrap().unwrap();
        assert!(erased.complete && erased.calls_rewritten == 1, "{state}: {erased:?}");
        assert_eq!(traces_of_user(&pipeline, n).await, Vec::<String>::new(), "{state}");
        if n == 0 {
            // The organizer was everyone's counterpart: every other line shows the placeholder.
            assert_eq!(erased.counterparts_rewritten, 104, "{erased:?}");
            let path = format!("/users/{}/calls", fixtures::user_id(7));
            let (_, calls) = get(&query_app(pipeline.store().clone()), api_request("GET", ENGINEER, &path, &[])).await;
            assert_eq!(calls["items"][0]["counterpart"]["displayName"], "Erased user", "{calls}");
        }
    }
}

#[tokio::test]
async fn a_town_hall_organizers_erasure_goes_on_where_the_last_round_stopped() {
    // 300 participants: the organizer is the counterpart in 299 other history entries, more
    // than one round's batch of them when the round has no time left.
    let home = callscope_core::support::fixtures::HOME_TENANT;
    let pipeline = large_meeting(300).await;
    let organizer = fixtures::user_id(0);
    let hurried = as_function(pipeline.store(), "ingest");
    // However little time a run has, it gets one call further: the first batch of its fan-out.
    let asked = hurried.erase_user(&organizer, home, ANCHOR, NO_TIME, ErasureRun::Request).await.unwrap().unwrap();
    assert!(!asked.complete && asked.calls_rewritten == 1, "no time at all: one call, then handed over: {asked:?}");
    assert_eq!(asked.counterparts_rewritten, 256, "one batch, then the deadline: {asked:?}");
    let marker: Value =
        callscope_tests::stored_item(pipeline.store().table(), &format!("ERASED#{organizer}"), "#MARKER")
            .await
            .unwrap();
    assert_eq!(marker["fanOut"], json!({ "callId": "big", "version": 1, "done": 256 }), "{marker}");

    // The next round, as the stream runs it, goes on from there, again with no time.
    let (counted, log) = callscope_tests::counted_store(pipeline.store().table());
    let next = as_function(&counted, "ingest").erase_user(&organizer, home, ANCHOR, NO_TIME, ErasureRun::Round).await;
    let next = next.unwrap().unwrap();
    assert!(next.complete && next.counterparts_rewritten == 299, "{next:?}");
    let reads = log.take().iter().filter(|op| *op == "GetItem").count();
    assert!(reads < 60, "the 43 entries left and a few more, not all 299 again: {reads} GetItem");
    assert_eq!(traces_of_user(&pipeline, 0).await, Vec::<String>::new());
    let marker: Value =
        callscope_tests::stored_item(pipeline.store().table(), &format!("ERASED#{organizer}"), "#MARKER")
            .await
            .unwrap();
    assert!(marker.get("fanOut").is_none(), "a finished erasure keeps no progress: {marker}");
}

#[tokio::test]
async fn erasing_a_pending_call_gives_the_placeholder_no_history_and_classify_no_names() {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&sample_calls(None)).await;
    let admin = api_request("DELETE", ADMIN, &format!("/users/{ADA}"), &[]);
    assert_eq!(json_response(pipeline.ingest.handle(admin).await).0, 200);
    pipeline.classify_all().await;
    assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new());
    let placeholder = all_items(pipeline.store().table())
        .await
        .into_iter()
        .filter(|i| i["PK"].as_s().unwrap() == "USER#erased")
        .count();
    assert_eq!(placeholder, 0, "the placeholder has no history");
}

#[tokio::test]
async fn a_classification_the_erasure_has_not_reached_yet_publishes_no_names() {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&sample_calls(None)).await;
    // The marker is written (after the pointer to its sweep), the calls not yet rewritten: an
    // erasure still on its way.
    let store = pipeline.store().clone();
    let cut = as_function(&callscope_tests::cut_off_store(store.table(), 2), "ingest");
    assert!(
        cut.erase_user(
            ADA,
            callscope_core::support::fixtures::HOME_TENANT,
            callscope_tests::ANCHOR,
            ALL_AT_ONCE,
            ErasureRun::Request
        )
        .await
        .is_err()
    );
    pipeline.classify_all().await;
    let items = all_items(store.table()).await;
    let history = |user: &str| -> Vec<String> {
        let pk = format!("USER#{user}");
        items.iter().filter(|i| i["PK"].as_s().unwrap() == &pk).map(|i| format!("{i:?}")).collect()
    };
    for entry in history(ADA) {
        assert!(entry.contains("S(\"pending\")"), "classify published no rated history of hers: {entry}");
    }
    let bobs = history(BOB);
    assert_eq!(bobs.len(), 1);
    assert!(bobs[0].contains("Erased user") && !bobs[0].contains("Ada"), "Bob's rated entry: {}", bobs[0]);
}

#[tokio::test]
async fn a_flood_of_refused_requests_cannot_starve_the_audited_reads() {
    let (pipeline, app) = tenant().await;
    // Every partition takes at most 200 writes: a flood into one partition throttles it.
    let app = query::App {
        store: as_function(&callscope_tests::hot_partition_store(pipeline.store().table(), 200), "query"),
        ..app
    };
    let history = format!("/users/{ADA}/calls");
    // More refusals than the partition takes (the full flood under `make stress`).
    for _ in 0..callscope_tests::stress_size(1_000, 300) {
        let (status, _) = get(&app, api_request("GET", Some("ingest"), &history, &[])).await;
        assert_eq!(status, 403, "every refusal is answered, counted or not");
    }
    for _ in 0..20 {
        let (status, body) = get(&app, api_request("GET", ENGINEER, &history, &[])).await;
        assert_eq!(status, 200, "an engineer's audited read still succeeds: {body}");
    }
    let refused: Vec<Value> = audit_entries(&app).await.into_iter().filter(|e| e["role"] == "none").collect();
    assert_eq!(refused.len(), 1, "one entry per caller per minute: {refused:?}");
    let counted = refused[0]["refusedAttempts"].as_u64().unwrap();
    assert!((190..=200).contains(&counted), "counted until its partition throttled: {counted}");
}

#[tokio::test]
async fn a_classification_racing_the_erasure_leaves_no_names_in_any_order() {
    let home = callscope_core::support::fixtures::HOME_TENANT;
    for round in 0..12 {
        let pipeline = Pipeline::new().await;
        pipeline.post(&sample_calls(None)).await;
        let store = pipeline.store().clone();
        let rate = |call: &'static str| {
            let store = store.clone();
            async move {
                callscope_core::app::classify::rate_call(
                    &store,
                    call,
                    1,
                    &Default::default(),
                    callscope_tests::ANCHOR,
                    home,
                )
                .await
                .map(|_| ())
            }
        };
        // Both calls rated while Ada is erased, started a little apart each round.
        let erase = async {
            tokio::time::sleep(std::time::Duration::from_millis(round * 3)).await;
            store.erase_user(ADA, home, callscope_tests::ANCHOR, ALL_AT_ONCE, ErasureRun::Request).await.map(|_| ())
        };
        let (a, b, c) = tokio::join!(rate(MEETING), rate("0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b"), erase);
        a.and(b).and(c).unwrap();
        assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new(), "round {round}");
    }
}

#[tokio::test]
async fn an_erasure_longer_than_its_request_answers_202_and_finishes_from_the_stream() {
    let (mut pipeline, app) = tenant().await;
    let mut config = pipeline.ingest.config.clone();
    config.erasure_budget = std::time::Duration::ZERO;
    let hurried = ingest::App { config, ..pipeline.ingest.clone() };
    let erase = || api_request("DELETE", ADMIN, &format!("/users/{ADA}"), &[]);
    let (status, report) = json_response(hurried.handle(erase()).await);
    assert_eq!((status, report["complete"].as_bool()), (202, Some(false)), "{report}");
    assert!(report["directoryEntriesDeleted"].as_u64() > Some(0), "the first round did what it could: {report}");
    assert_eq!(get(&app, api_request("GET", ENGINEER, "/users", &[("search", "ada")])).await.1["items"], json!([]));

    // The marker's change reaches classify through the stream, which runs the rest.
    pipeline.classify_all().await;
    assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new());
    let (status, report) = json_response(pipeline.ingest.handle(erase()).await);
    assert_eq!(
        (status, report["complete"].as_bool()),
        (200, Some(true)),
        "sending it again reads the result: {report}"
    );
    assert_eq!(report["historyEntriesDeleted"], 2, "{report}");
}

/// The erasure marker `DELETE /users/{ADA}` left, as stored.
async fn marker_of_ada(pipeline: &Pipeline) -> Value {
    let pk = format!("ERASED#{ADA}");
    callscope_tests::stored_item(pipeline.store().table(), &pk, "#MARKER").await.expect("her erasure marker")
}

/// The sample calls stored at their own version and then at version 9 (the first version's
/// session pages superseded, still stored), rated.
async fn revised_tenant() -> Pipeline {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&sample_calls(None)).await;
    pipeline.post(&sample_calls(Some(9))).await;
    pipeline.classify_all().await;
    pipeline
}

#[tokio::test]
async fn an_erasure_deletes_the_pages_of_superseded_versions_too() {
    let pipeline = revised_tenant().await;
    let erase = api_request("DELETE", ADMIN, &format!("/users/{ADA}"), &[]);
    let (status, report) = json_response(pipeline.ingest.handle(erase).await);
    assert_eq!(status, 200, "{report}");
    assert!(report["stalePagesDeleted"].as_u64() > Some(0), "version 1's pages named her: {report}");
    assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new());
}

#[tokio::test]
async fn an_erasures_next_round_reaches_an_escalation_written_during_the_first() {
    let mut pipeline = revised_tenant().await;
    callscope_tests::erasure_overtaking_an_escalation(pipeline.store(), ADA, MEETING).await;
    // classify runs the next round from the marker's change on the stream.
    pipeline.classify_all().await;
    let marker = marker_of_ada(&pipeline).await;
    assert_eq!(marker["complete"], true, "{marker}");
    assert_eq!(marker["escalationsRewritten"], 1, "the escalation opened during the first round: {marker}");
    assert!(marker["stalePagesDeleted"].as_u64() > Some(0), "{marker}");
    assert_eq!(traces_of_ada(&pipeline).await, Vec::<String>::new());
}

/// Secrets live in Secrets Manager, not in the functions' environment: a cold start reads each
/// once (its current value and, for a rotating one, the previous), and nothing after; both
/// values of a rotated clientState are accepted, and a variable set locally is never looked up.
#[tokio::test]
async fn secrets_are_read_once_at_cold_start_and_a_rotation_accepts_both_values() {
    use callscope_core::support::config::{Config, ConfigError};
    use callscope_core::support::secrets_manager::resolve;
    let (client, requests) = callscope_tests::secrets_client();
    let unique =
        format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let (before, now) = ("clientstate-before-rotation-0123456789", "clientstate-after-rotation-9876543210");
    let state = client.create_secret().name(format!("state-{unique}")).secret_string(before).send().await.unwrap();
    let state_arn = state.arn().unwrap().to_owned();
    client.put_secret_value().secret_id(&state_arn).secret_string(now).send().await.unwrap();
    let key = client.create_secret().name(format!("key-{unique}")).secret_string("k".repeat(64)).send().await.unwrap();
    let key_arn = key.arn().unwrap().to_owned();
    requests.take();

    let table = Pipeline::new().await;
    let vars = [
        ("TABLE_NAME", table.store().table().to_owned()),
        ("HOME_TENANT_ID", callscope_core::support::fixtures::HOME_TENANT.to_owned()),
        ("GRAPH_CLIENT_STATE_ARN", state_arn.clone()),
        ("CURSOR_KEY_ARN", key_arn),
    ];
    let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let resolved = resolve(&client, &lookup, &["GRAPH_CLIENT_STATE", "CURSOR_KEY"]).await.unwrap();
    assert_eq!(requests.take(), ["GetSecretValue"; 4], "current and previous of each, once");
    let config = Config::from_lookup(|name| lookup(name).or_else(|| resolved.get(name).cloned())).unwrap();
    let states = config.require_graph_client_state().unwrap();
    assert_eq!(states.accepted(), [now, before], "the current value first, the previous still accepted");
    let keys = config.require_cursor_key().unwrap();
    assert_eq!((keys.current.expose().len(), keys.previous.is_none()), (64, true), "never rotated: one key");
    assert!(!format!("{config:?}").contains("clientstate-"), "no secret printed");

    // The webhook built from it takes deliveries under either value, and reads no secret again.
    let app = webhook::App { client_state: states.clone(), ..table.webhook.clone() };
    subscribed_as(table.store(), EVENTS_SUBSCRIPTION).await;
    for (state, queued) in [(now, 1), (before, 1), ("clientstate-of-someone-else-0123456789", 0)] {
        let mut notification = our_notification(EVENTS_SUBSCRIPTION, &fixtures::graph_id(state));
        notification["clientState"] = json!(state);
        let body = json!({ "value": [notification] });
        let mut request = api_request("POST", None, "/graph/notifications", &[]);
        *request.body_mut() = lambda_http::Body::Text(body.to_string());
        request.headers_mut().insert("content-type", "application/json".parse().unwrap());
        let (status, answer) = json_response(app.handle(request).await);
        assert_eq!((status, &answer["queued"]), (202, &json!(queued)), "{state}: {answer}");
    }
    assert!(requests.take().is_empty(), "no secret read after the cold start");

    // Set locally: nothing is read. A secret that cannot be read names the setting.
    let local = |name: &str| (name == "GRAPH_CLIENT_STATE").then(|| now.to_owned()).or_else(|| lookup(name));
    assert!(resolve(&client, &local, &["GRAPH_CLIENT_STATE"]).await.unwrap().is_empty());
    assert!(requests.take().is_empty(), "a variable set wins over its _ARN");
    let gone = |name: &str| (name == "GRAPH_CLIENT_STATE_ARN").then(|| format!("{state_arn}-missing"));
    let error = resolve(&client, &gone, &["GRAPH_CLIENT_STATE"]).await.unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { name: "GRAPH_CLIENT_STATE", .. }), "{error}");
}
