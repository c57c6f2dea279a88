//! The ingest function end to end: sample events through the real handler into a moto table.

use aws_sdk_dynamodb::types::AttributeValue;
use callscope_core::store::{DynamoStore, keys};
use callscope_core::support::fixtures;
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, BOB, GRACE_GUEST, MEETING, P2P};
use callscope_tests::{ANCHOR, event_request, event_text, fresh_store, meeting_record};
use ingest::App;
use lambda_http::Request;
use serde_json::{Value, json};
use time::macros::datetime;

async fn app() -> App {
    callscope_tests::ingest_app(&fresh_store().await)
}

/// The app's table, read as the test itself (no function's role).
fn own(app: &App) -> callscope_core::store::DynamoStore {
    callscope_tests::table_store(app.store.table())
}

/// Sends `request` and returns the status and the JSON body.
async fn send(app: &App, request: Request) -> (u16, Value) {
    callscope_tests::json_response(app.handle(request).await)
}

/// The `ingest-post-call.json` event with `body` in place of its record.
fn post(body: &Value) -> Request {
    with_body(body.to_string())
}

fn with_body(body: String) -> Request {
    callscope_tests::ingest_request(body)
}

fn statuses(body: &Value) -> Vec<(String, i64, String)> {
    body["accepted"]
        .as_array()
        .expect("accepted list")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["version"].as_i64().unwrap(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn history_ids(store: &DynamoStore, user: &str, now: time::OffsetDateTime) -> Vec<String> {
    let window = (now - time::Duration::days(30), now);
    let page = store.user_history(user, window, 100, None, now).await.unwrap();
    page.entries.into_iter().map(|e| e.call_id).collect()
}

#[tokio::test]
async fn a_sample_call_is_accepted_and_stored_whole() {
    let app = app().await;
    let (status, body) = send(&app, event_request("ingest-post-meeting.json")).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(statuses(&body), [(MEETING.to_owned(), 2, "created".to_owned())]);

    let stored = own(&app).call(MEETING, ANCHOR).await.unwrap().expect("the meeting is stored");
    assert_eq!(stored.summary.version, 2);
    assert_eq!(stored.sessions.len(), 2);
    assert_eq!(stored.summary.parties.len(), 4, "Ada, Bob, the guest and the phone");
    let jitter = stored.sessions[0].segments[0].media[0].streams[0].average_jitter.unwrap();
    assert_eq!(jitter.as_ms(), 7.0, "durations are stored as milliseconds");
    let ssid = stored.sessions[0].segments[0].media[0].caller_network.as_ref().unwrap().ssid.as_deref();
    assert_eq!(ssid, Some("CONTOSO-CORP"), "the ssid extra is kept");
}

#[tokio::test]
async fn versions_go_created_unchanged_updated_stale() {
    let app = app().await;
    let mut seen = Vec::new();
    for version in [2, 2, 3, 1] {
        let (status, body) = send(&app, post(&meeting_record(version))).await;
        assert_eq!(status, 202, "{body}");
        seen.push(statuses(&body)[0].2.clone());
    }
    assert_eq!(seen, ["created", "unchanged", "updated", "stale"]);
    let stored = own(&app).call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!(stored.summary.version, 3, "the stale version 1 did not overwrite version 3");
}

#[tokio::test]
async fn concurrent_versions_leave_the_highest() {
    let app = app().await;
    let mut versions: Vec<i64> = (1..=6).chain(1..=6).collect();
    versions.reverse();
    let posts = versions.iter().map(|v| send(&app, post(&meeting_record(*v))));
    for (status, body) in futures::future::join_all(posts).await {
        assert_eq!(status, 202, "{body}");
    }
    let stored = own(&app).call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!(stored.summary.version, 6);
    let history =
        own(&app).user_history(ADA, (ANCHOR - time::Duration::days(30), ANCHOR), 10, None, ANCHOR).await.unwrap();
    assert_eq!(history.entries.len(), 1);
    let item = callscope_tests::stored_history(&own(&app), ADA, MEETING).await;
    assert_eq!((item.version, &item.entry), (6, &history.entries[0]), "the history entry carries the winning version");
}

#[tokio::test]
async fn every_item_expires_thirty_days_after_the_call_ends() {
    let app = app().await;
    assert_eq!(send(&app, event_request("ingest-post-meeting.json")).await.0, 202);
    let expected = datetime!(2026-11-24 14:45:30.5 UTC) + time::Duration::days(30);
    assert_eq!(callscope_tests::stored_header(&own(&app), MEETING).await.expires_at, expected.unix_timestamp());

    // Every item written for the call carries the TTL attribute, not only the header; the
    // directory entries a day longer, so a user's next calls that day need not rewrite them.
    let directory = expected + callscope_core::store::prepare::DIRECTORY_SLACK;
    for (pk, sk, expected) in [
        (keys::call_pk(MEETING), keys::CALL_HEADER_SK.to_owned(), expected),
        (keys::call_pk(MEETING), keys::session_page_sk(2, 0), expected),
        (keys::user_pk(ADA), keys::history_sk(MEETING), expected),
        (keys::name_pk("ada"), keys::name_sk("ada", ADA), directory),
        (keys::USERS_PK.to_owned(), keys::users_sk("Ada Lovelace", ADA), directory),
    ] {
        let item = callscope_tests::local_client()
            .get_item()
            .table_name(app.store.table())
            .key("PK", AttributeValue::S(pk.clone()))
            .key("SK", AttributeValue::S(sk.clone()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("no item {pk} / {sk}"));
        assert_eq!(
            item.get("expiresAt"),
            Some(&AttributeValue::N(expected.unix_timestamp().to_string())),
            "{pk} / {sk}"
        );
    }
}

#[tokio::test]
async fn a_call_is_in_every_home_users_history_and_nobody_elses() {
    let app = app().await;
    let (status, body) = send(&app, event_request("ingest-post-batch.json")).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(statuses(&body).iter().map(|s| s.2.as_str()).collect::<Vec<_>>(), ["created", "created"]);

    assert_eq!(history_ids(&own(&app), ADA, ANCHOR).await, [MEETING, P2P], "newest first");
    assert!(history_ids(&own(&app), BOB, ANCHOR).await.is_empty(), "another tenant's user has no history here");
    assert!(history_ids(&own(&app), GRACE_GUEST, ANCHOR).await.is_empty(), "nor has a guest");
    assert!(history_ids(&own(&app), "+15551234567", ANCHOR).await.is_empty(), "phone numbers have no history");
    assert!(history_ids(&own(&app), "someone-else", ANCHOR).await.is_empty());

    let window = (ANCHOR - time::Duration::days(30), ANCHOR);
    let entry = &own(&app).user_history(ADA, window, 10, None, ANCHOR).await.unwrap().entries[1];
    assert_eq!(entry.counterpart.as_ref().map(|p| p.id.as_str()), Some("+15552823456"), "p2p counterpart");
    assert_eq!((entry.duration_seconds, entry.participant_count), (754, 2));
    let entry = &own(&app).user_history(ADA, window, 10, None, ANCHOR).await.unwrap().entries[0];
    assert_eq!(entry.counterpart, None, "Ada organized the meeting: it has no other side for her");
}

#[tokio::test]
async fn expired_items_are_not_returned_even_if_still_stored() {
    let app = app().await;
    assert_eq!(send(&app, event_request("ingest-post-meeting.json")).await.0, 202);
    let expires = datetime!(2026-11-24 14:45:30.5 UTC) + time::Duration::days(30);
    let just_before = expires - time::Duration::seconds(1);
    let at_expiry = expires + time::Duration::milliseconds(500);
    assert!(own(&app).call(MEETING, just_before).await.unwrap().is_some());
    assert!(
        own(&app).call(MEETING, at_expiry).await.unwrap().is_none(),
        "moto never deletes it; the read must drop it"
    );
    let everything = (ANCHOR - time::Duration::days(60), at_expiry);
    let page = own(&app).user_history(ADA, everything, 10, None, at_expiry).await.unwrap();
    assert!(page.entries.is_empty());
}

#[tokio::test]
async fn a_large_meeting_is_split_into_pages_and_read_back_whole() {
    let app = app().await;
    let record = fixtures::call_json("big-meeting", 1, 250, 3, ANCHOR - time::Duration::hours(3));
    let (status, body) = send(&app, post(&record)).await;
    assert_eq!(status, 202, "{body}");
    let stored = own(&app).call("big-meeting", ANCHOR).await.unwrap().unwrap();
    let header = callscope_tests::stored_header(&own(&app), "big-meeting").await;
    assert_eq!((header.participant_count, header.party_pages), (250, 1), "the parties are kept beside the header");
    assert!(header.summary.parties.is_empty(), "and not in it: a town hall's would not fit one item");
    assert_eq!(stored.sessions.len(), 250);
    assert_eq!(stored.sessions[249].id.as_deref(), Some("big-meeting-s249"), "sessions keep their order");
    assert_eq!(history_ids(&own(&app), &fixtures::user_id(249), ANCHOR).await, ["big-meeting"]);
}

#[tokio::test]
async fn a_new_version_with_fewer_sessions_is_read_from_its_own_pages() {
    let app = app().await;
    let start = ANCHOR - time::Duration::hours(3);
    assert_eq!(send(&app, post(&fixtures::call_json("shrinking", 1, 250, 3, start))).await.0, 202);
    assert_eq!(send(&app, post(&fixtures::call_json("shrinking", 2, 3, 1, start))).await.0, 202);
    let stored = own(&app).call("shrinking", ANCHOR).await.unwrap().unwrap();
    assert_eq!((stored.summary.version, stored.sessions.len()), (2, 3));
    let items = callscope_tests::local_client()
        .query()
        .table_name(app.store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(keys::call_pk("shrinking")))
        .send()
        .await
        .unwrap();
    // The header, version 2's pages, and version 1's: never read again, left to expire with
    // the call (deleting them would be billed by their size).
    let sort_keys: Vec<&str> = items.items().iter().map(|i| i["SK"].as_s().unwrap().as_str()).collect();
    assert_eq!(sort_keys, ["#HEADER", "PARTIES#1#0000", "SESSIONS#1#0000", "SESSIONS#2#0000"]);
}

// ---- bad input: the right status, every problem with its path, and nothing written ----

fn problems(body: &Value) -> Vec<(Option<u64>, String)> {
    body["error"]["problems"]
        .as_array()
        .expect("problems list")
        .iter()
        .map(|p| (p["index"].as_u64(), p["path"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn an_invalid_record_lists_every_problem_with_its_path() {
    let app = app().await;
    let (status, body) = send(&app, event_request("ingest-post-invalid.json")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert_eq!(
        problems(&body),
        [
            (None, "id".to_owned()),
            (None, "endDateTime".to_owned()),
            (None, "sessions[0].segments[0].media[0].streams[0].averagePacketLossRate".to_owned()),
        ]
    );
    assert!(own(&app).call("", ANCHOR).await.unwrap().is_none());
}

#[tokio::test]
async fn a_call_outside_the_window_is_unacceptable() {
    let app = app().await;
    let (status, body) = send(&app, event_request("ingest-post-too-old.json")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(problems(&body), [(None, "endDateTime".to_owned())]);
    assert!(own(&app).call("old-call-1", ANCHOR).await.unwrap().is_none());

    let mut future = callscope_tests::graph_record("p2p-pstn.json");
    future["startDateTime"] = json!("2026-11-26T12:00:01Z");
    future["endDateTime"] = json!("2026-11-26T12:30:00Z");
    let (status, body) = send(&app, post(&future)).await;
    assert_eq!((status, problems(&body)), (422, vec![(None, "startDateTime".to_owned())]));
}

#[tokio::test]
async fn the_window_edges_are_exact() {
    let app = app().await;
    let mut record = callscope_tests::graph_record("p2p-pstn.json");
    // Ended exactly 30 days ago: it would expire the instant it is stored, so it is refused...
    record["startDateTime"] = json!("2026-10-26T11:00:00Z");
    record["endDateTime"] = json!("2026-10-26T12:00:00Z");
    let (status, body) = send(&app, post(&record)).await;
    assert_eq!((status, problems(&body)), (422, vec![(None, "endDateTime".to_owned())]));
    // ...one second later it is inside the window.
    record["endDateTime"] = json!("2026-10-26T12:00:01Z");
    let (status, body) = send(&app, post(&record)).await;
    assert_eq!(status, 202, "{body}");
    // Starts exactly one day ahead: still accepted (a producer's clock may run ahead).
    record["id"] = json!("ahead");
    record["startDateTime"] = json!("2026-11-26T12:00:00Z");
    record["endDateTime"] = json!("2026-11-26T12:10:00Z");
    let (status, body) = send(&app, post(&record)).await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn one_bad_record_in_a_batch_means_nothing_is_written() {
    let app = app().await;
    let mut bad = callscope_tests::graph_record("meeting.json");
    bad["sessions"][1]["segments"][0]["media"][0]["streams"][0]["averageJitter"] = json!("fast");
    let batch = json!({ "value": [callscope_tests::graph_record("p2p-pstn.json"), bad] });
    let (status, body) = send(&app, post(&batch)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(problems(&body), [(Some(1), "sessions[1].segments[0].media[0].streams[0].averageJitter".to_owned())]);
    assert!(body["error"]["problems"][0]["message"].as_str().unwrap().contains("ISO-8601"));
    assert!(own(&app).call(P2P, ANCHOR).await.unwrap().is_none(), "the good record was not written either");
    assert!(history_ids(&own(&app), ADA, ANCHOR).await.is_empty());
}

#[tokio::test]
async fn malformed_json_names_line_and_column() {
    let app = app().await;
    let (status, body) = send(&app, with_body("{\n  \"id\": \"x\",\n  \"version\": ,\n}".to_owned())).await;
    assert_eq!(status, 400, "{body}");
    let problem = &body["error"]["problems"][0];
    assert_eq!((problem["line"].as_u64(), problem["column"].as_u64()), (Some(3), Some(14)), "{problem}");

    for bad in ["", "[1,2]", "{\"value\": 5}", "{\"value\": []}", "\"text\""] {
        let (status, body) = send(&app, with_body(bad.to_owned())).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(!body["error"]["problems"].as_array().unwrap().is_empty(), "{bad}");
    }
}

#[tokio::test]
async fn a_type_error_inside_a_batch_points_at_the_right_line() {
    let app = app().await;
    let body = "{\"value\": [\n{\"id\": \"a\"},\n{\"id\": 5}\n]}".to_owned();
    let (status, body) = send(&app, with_body(body)).await;
    assert_eq!(status, 400, "{body}");
    let found: Vec<_> = body["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["index"].as_u64(), p["line"].as_u64()))
        .collect();
    assert_eq!(found, [(Some(0), Some(2)), (Some(1), Some(3))]);
}

#[tokio::test]
async fn batches_are_capped_at_one_hundred_records() {
    let app = app().await;
    let records: Vec<Value> = (0..101)
        .map(|n| {
            let mut record = callscope_tests::graph_record("p2p-pstn.json");
            record["id"] = json!(format!("call-{n}"));
            record
        })
        .collect();
    let (status, _) = send(&app, post(&json!({ "value": records[..100] }))).await;
    assert_eq!(status, 202, "100 is allowed");
    let (status, body) = send(&app, post(&json!({ "value": records }))).await;
    assert_eq!((status, problems(&body)), (400, vec![(None, "value".to_owned())]));
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_before_parsing() {
    let mut app = app().await;
    app.config.max_body_bytes = 1024;
    let (status, body) = send(&app, with_body(format!("{{\"id\": \"{}\"}}", "x".repeat(1100)))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("payload_too_large")));
    let (status, _) = send(&app, with_body(" ".repeat(1024))).await;
    assert_eq!(status, 400, "exactly the cap is read (and is not JSON)");
}

#[tokio::test]
async fn only_verified_ingest_or_admin_roles_may_post() {
    let app = app().await;
    let (status, body) = send(&app, event_request("ingest-post-no-claims.json")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthenticated")));
    let (status, body) = send(&app, event_request("ingest-post-wrong-role.json")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    assert!(own(&app).call(P2P, ANCHOR).await.unwrap().is_none());

    // A role header or query parameter from the client counts for nothing.
    let mut event: Value = serde_json::from_str(&event_text("ingest-post-no-claims.json")).unwrap();
    event["headers"]["x-roles"] = json!("admin");
    event["rawQueryString"] = json!("roles=admin");
    event["queryStringParameters"] = json!({ "roles": "admin" });
    let (status, _) = send(&app, lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn unknown_routes_are_not_found() {
    let app = app().await;
    let mut event: Value = serde_json::from_str(&event_text("ingest-post-call.json")).unwrap();
    event["rawPath"] = json!("/calls/extra");
    event["requestContext"]["http"]["path"] = json!("/calls/extra");
    let (status, _) = send(&app, lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_ingest_event_gets_its_documented_status() {
    let app = app().await;
    let expected = [
        ("ingest-post-call.json", 202),
        ("ingest-post-meeting.json", 202),
        ("ingest-post-batch.json", 202),
        ("ingest-post-invalid.json", 400),
        ("ingest-post-too-old.json", 422),
        ("ingest-post-no-claims.json", 401),
        ("ingest-post-wrong-role.json", 403),
        ("ingest-put-buildings.json", 200),
        ("ingest-put-buildings-tsv.json", 200),
        ("ingest-put-buildings-invalid.json", 422),
        ("ingest-put-buildings-wrong-role.json", 403),
        ("ingest-put-endpoints.json", 200),
        ("ingest-post-incomplete.json", 422),
        ("ingest-post-pstn-calls.json", 200),
        ("ingest-post-direct-routing-calls.json", 200),
        ("ingest-graph-backfill-admin.json", 202),
        // No such dead letter in this tenant (`beside::connector_admin` retries one that is).
        ("ingest-dead-letter-retry-admin.json", 404),
        // The meeting posted above named the guest.
        ("ingest-erase-guest-admin.json", 200),
        ("ingest-erasure-status-admin.json", 200),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    callscope_tests::assert_every_event_listed("ingest-", &names);
    for (name, status) in expected {
        assert_eq!(send(&app, event_request(name)).await.0, status, "{name}");
    }
}
