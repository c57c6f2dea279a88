//! The Graph connector end to end, through the real handlers: the stand-in Graph (tools/dev)
//! delivers notifications over HTTP to the webhook handler served in-process, the ids travel
//! the table's stream (moto) to the Graph worker, which fetches from the stand-in and stores
//! through the same path as `POST /calls`.

use callscope_core::app::connector::Outcome;
use callscope_core::domain::connector::{Lane, PerRecordLimits};
use callscope_core::support::fixtures::{self, graph_id};
use callscope_dev::graph_standin::Behaviour;
use callscope_http::HttpFunction;
use callscope_tests::connector::Connector;
use callscope_tests::samples::{self, ADA, ADMIN};
use callscope_tests::*;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use time::Duration;

/// Version `version` of the record `name` stands for (its id a GUID, as Graph's are).
fn record(name: &str, version: i64, participants: usize) -> Value {
    fixtures::call_json(&graph_id(name), version, participants, 1, ANCHOR - Duration::hours(3))
}

async fn post_to_webhook(url: &str, body: &str) -> (u16, String, Option<String>) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), response.text().await.unwrap(), content_type)
}

/// A request to the webhook as API Gateway hands it over: `path` with `query`, `body`, headers.
fn webhook_request(path: &str, query: &[(&str, &str)], body: &str, headers: &[(&str, &str)]) -> lambda_http::Request {
    let mut request = api_request("POST", None, path, query);
    *request.body_mut() =
        if body.is_empty() { lambda_http::Body::Empty } else { lambda_http::Body::Text(body.to_owned()) };
    for (name, value) in headers {
        let name = lambda_http::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn the_validation_handshake_answers_the_token_as_inert_text() {
    let connector = Connector::new(Behaviour::default()).await;
    for path in ["notifications", "lifecycle"] {
        let url = format!(
            "{}/graph/{path}?validationToken=Validation%3A%20Testing%20client%20application%20%26%20more",
            connector.webhook_url
        );
        let response = reqwest::Client::new().post(&url).header("content-type", "text/plain; charset=utf-8").send();
        let response = response.await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(response.headers()["content-security-policy"], "default-src 'none'; sandbox");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(response.text().await.unwrap(), "Validation: Testing client application & more");
    }
    // Graph's own handshake, when the keeper creates the subscription.
    let created = connector.keep().await;
    assert!(matches!(created, Outcome::JobDone { queued: 2 }), "created, with a first backfill and a reconciliation");
    assert_eq!(connector.stand_in.subscriptions().len(), 1);
}

#[tokio::test]
async fn every_webhook_event_gets_its_documented_status() {
    let pipeline = Pipeline::new().await;
    subscribed_as(pipeline.store(), EVENTS_SUBSCRIPTION).await;
    let expected = [
        ("webhook-validation.json", 200),
        ("webhook-validation-with-body.json", 400),
        ("webhook-notification.json", 202),
        ("webhook-lifecycle.json", 202),
        ("webhook-too-large.json", 413),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_every_event_listed("webhook-", &names);
    for (name, status) in expected {
        let response = pipeline.webhook.handle(event_request(name)).await;
        assert_eq!(response.status().as_u16(), status, "{name}");
        if name == "webhook-validation.json" {
            assert_eq!(response.body(), &lambda_http::Body::Text("Validation: Testing client application".into()));
        }
    }
    let queued = "GRAPHFETCH#0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b";
    let fetch = stored_item::<Value>(pipeline.store().table(), queued, "#FETCH").await;
    assert!(fetch.is_some(), "the notification's record is queued for a fetch");
}

#[tokio::test]
async fn only_the_handshakes_own_shape_is_echoed() {
    let pipeline = Pipeline::new().await;
    let longest = "t".repeat(webhook::MAX_VALIDATION_TOKEN_BYTES);
    let request = webhook_request("/graph/notifications", &[("validationToken", &longest)], "", &[]);
    let answer = pipeline.webhook.handle(request).await;
    assert_eq!((answer.status().as_u16(), answer.body()), (200, &lambda_http::Body::Text(longest.clone())));
    let too_long = format!("{longest}t");
    let refused = [
        ("a body beside the token", "Validation", "{\"value\": []}"),
        ("a token over 1 KiB", too_long.as_str(), ""),
        ("an empty token", "", ""),
        ("a header injected", "ok\r\nSet-Cookie: session=1", ""),
        ("markup outside ASCII", "<b>caf\u{e9}</b>", ""),
    ];
    for (what, token, body) in refused {
        let request = webhook_request("/graph/lifecycle", &[("validationToken", token)], body, &[]);
        let (status, answer) = json_response(pipeline.webhook.handle(request).await);
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("invalid_request")), "{what}: {answer}");
    }
}

#[tokio::test]
async fn a_body_over_1_mib_is_refused_from_its_declared_length_before_it_is_read() {
    let connector = Connector::new(Behaviour::default()).await;
    let (store, requests) = counted_store(connector.pipeline.store().table());
    let app = webhook::App { dispatch: dispatch(&store), ..connector.pipeline.webhook.clone() };
    // Declared, not sent: the length alone decides.
    for length in ["2097152", "1048577"] {
        let request = webhook_request("/graph/notifications", &[], "", &[("content-length", length)]);
        let (status, answer) = json_response(app.handle(request).await);
        assert_eq!((status, answer["error"]["code"].as_str()), (413, Some("payload_too_large")), "{length}: {answer}");
    }
    let request = webhook_request("/graph/notifications", &[], "", &[("content-length", "lots")]);
    assert_eq!(app.handle(request).await.status(), 400);
    // Sent over HTTP: 2 MB of notifications.
    let one = json!({ "clientState": GRAPH_CLIENT_STATE, "resource": "communications/callRecords/x", "resourceData": { "id": "x" } });
    let many: Vec<Value> = std::iter::repeat_n(one, 2 * 1024 * 1024 / 100).collect();
    let body = json!({ "value": many }).to_string();
    assert!(body.len() > 2_000_000);
    let (status, _, _) = post_to_webhook(&format!("{}/graph/notifications", connector.webhook_url), &body).await;
    assert_eq!(status, 413);
    assert!(requests.take().is_empty(), "nothing stored, nothing read");
}

/// The webhook is anyone's to call; what it refuses costs no storage request, and an admin's
/// erasure (the ingest function's, with its own concurrency and throttle in AWS: checked in
/// `infra.rs`) goes through in the middle of a flood of refused posts.
#[tokio::test]
async fn a_flood_of_refused_posts_costs_nothing_and_an_erasure_still_succeeds() {
    let pipeline = Pipeline::new().await;
    pipeline.post(&graph_record("p2p-pstn.json")).await;
    let (store, requests) = counted_store(pipeline.store().table());
    let app = webhook::App { dispatch: dispatch(&store), ..pipeline.webhook.clone() };
    let foreign = json!({ "value": [{ "clientState": "not-the-secret-but-just-as-long-as-it",
        "resource": "communications/callRecords/c-1", "resourceData": { "id": "c-1" } }] })
    .to_string();
    let flood = (0..400).map(|n| {
        let request = match n % 4 {
            0 => webhook_request("/graph/notifications", &[], "", &[("content-length", "5242880")]),
            1 => webhook_request("/graph/notifications", &[], &foreign, &[("content-type", "application/json")]),
            2 => webhook_request("/graph/lifecycle", &[("validationToken", "x")], "{}", &[]),
            _ => webhook_request("/graph/notifications", &[], "{}", &[("content-type", "text/html")]),
        };
        app.handle(request)
    });
    let erase = pipeline.ingest.handle(api_request("DELETE", Some("admin"), &format!("/users/{ADA}"), &[]));
    let (refusals, erased) = tokio::join!(futures::future::join_all(flood), erase);
    let statuses: std::collections::BTreeSet<u16> = refusals.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [202, 400, 413, 415].into());
    let (status, report) = json_response(erased);
    assert_eq!((status, &report["complete"], &report["callsRewritten"]), (200, &json!(true), &json!(1)), "{report}");
    assert!(requests.take().is_empty(), "the flood reached no table");
}

#[tokio::test]
async fn a_wrong_client_state_fetches_nothing() {
    let mut connector = Connector::new(Behaviour::default()).await;
    connector.stand_in.publish_silently(vec![record("c-1", 1, 2)]);
    let mut body = our_notification("s", &graph_id("c-1"));
    body["clientState"] = json!("not-the-secret-but-just-as-long-as-it");
    let body = json!({ "value": [body] });
    let (status, answer, _) =
        post_to_webhook(&format!("{}/graph/notifications", connector.webhook_url), &body.to_string()).await;
    assert_eq!(status, 202);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer, json!({ "queued": 0, "dropped": { "wrongClientState": 1 } }));
    connector.drain().await;
    assert_eq!(connector.api_requests(), 0, "nothing fetched");
    let call = format!("CALL#{}", graph_id("c-1"));
    assert!(stored_item::<Value>(connector.pipeline.store().table(), &call, "#HEADER").await.is_none());
}

/// Only our home tenant's notifications of our current subscription are taken, and only for a
/// GUID: the rest are dropped and counted, nothing is queued or fetched; the same record
/// notified by our subscription is fetched.
#[tokio::test]
async fn a_notification_of_another_tenant_or_subscription_queues_nothing() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    let (ours, id) = (connector.subscription_id().await, graph_id("c-1"));
    connector.stand_in.publish_silently(vec![record("c-1", 1, 2)]);
    let mut foreign_tenant = our_notification(&ours, &id);
    foreign_tenant["tenantId"] = json!("c0ffee00-4a2f-4e3b-9c1d-6f7a8b9c0d1e");
    let mut no_subscription = our_notification(&ours, &id);
    no_subscription.as_object_mut().unwrap().remove("subscriptionId");
    let foreign_subscription = our_notification("9d2f4c1e-0000-4000-8000-000000000001", &id);
    let dot_segment = our_notification(&ours, "..");
    let body = json!({ "value": [foreign_tenant, foreign_subscription, no_subscription, dot_segment] });
    let url = format!("{}/graph/notifications", connector.webhook_url);
    let requests = connector.api_requests();
    let (status, answer, _) = post_to_webhook(&url, &body.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let dropped = json!({ "foreignTenant": 1, "foreignSubscription": 2, "notAGuid": 1 });
    assert_eq!(answer, json!({ "queued": 0, "dropped": dropped }));
    let fetch = format!("GRAPHFETCH#{id}");
    let queued = stored_item::<Value>(connector.pipeline.store().table(), &fetch, "#FETCH").await;
    assert!(queued.is_none(), "nothing queued");
    // A `missed` of another subscription queues no reconciliation.
    let missed = json!({ "value": [{ "subscriptionId": "9d2f4c1e-0000-4000-8000-000000000001",
        "clientState": GRAPH_CLIENT_STATE, "tenantId": fixtures::HOME_TENANT, "lifecycleEvent": "missed" }] });
    let lifecycle = format!("{}/graph/lifecycle", connector.webhook_url);
    let (status, answer, _) = post_to_webhook(&lifecycle, &missed.to_string()).await;
    assert_eq!((status, serde_json::from_str::<Value>(&answer).unwrap()), (202, json!({ "queuedJobs": 0 })));
    connector.drain().await;
    assert_eq!(connector.api_requests(), requests, "nothing fetched, nothing listed");
    let call = format!("CALL#{id}");
    assert!(stored_item::<Value>(connector.pipeline.store().table(), &call, "#HEADER").await.is_none());
    // The same record notified by our subscription: fetched and stored.
    let body = json!({ "value": [our_notification(&ours, &id)] });
    let (status, answer, _) = post_to_webhook(&url, &body.to_string()).await;
    assert_eq!((status, serde_json::from_str::<Value>(&answer).unwrap()["queued"].clone()), (202, json!(1)));
    connector.drain().await;
    assert_eq!(stored_header(connector.pipeline.store(), &id).await.summary.version, 1);
}

#[tokio::test]
async fn bad_notification_bodies_get_a_clear_400() {
    let connector = Connector::new(Behaviour::default()).await;
    let url = format!("{}/graph/notifications", connector.webhook_url);
    let (status, body, _) = post_to_webhook(&url, "{\"value\": [{\"resource\": 7}]}").await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["problems"][0]["path"], "value[0].resource");
}

#[tokio::test]
async fn a_thousand_notifications_under_throttling_store_each_record_once_at_its_highest_version() {
    let behaviour = Behaviour { throttle_percent: 30, retry_after_seconds: 0, ..Behaviour::default() };
    let mut connector = Connector::subscribed(behaviour).await; // the first backfill finds nothing yet
    let ids: Vec<String> = (0..100).map(|n| format!("burst-{n:03}")).collect();
    // 1,000 notifications in bursts of 100: each record notified at version 1 four times,
    // then at version 2 six times. Duplicates in flight cost no second fetch.
    for (version, times) in [(1, 4), (2, 6)] {
        for _ in 0..times {
            let records: Vec<Value> = ids.iter().map(|id| record(id, version, 2)).collect();
            connector.stand_in.publish(records).await;
        }
        connector.drain().await;
    }
    assert_eq!(connector.stand_in.stats.notifications_delivered.load(Ordering::Relaxed), 10);
    assert!(connector.stand_in.stats.throttled.load(Ordering::Relaxed) > 50, "throttling happened");
    let items = all_items(connector.pipeline.store().table()).await;
    let headers: Vec<&callscope_core::store::Item> =
        items.iter().filter(|i| i["SK"].as_s().is_ok_and(|s| s == "#HEADER")).collect();
    assert_eq!(headers.len(), ids.len(), "each record once");
    assert!(headers.iter().all(|h| h["version"].as_n().is_ok_and(|v| v == "2")), "each at version 2");
    let dead = items.iter().filter(|i| i["SK"].as_s().is_ok_and(|s| s == "#DEAD")).count();
    assert_eq!(dead, 0, "nothing dead-lettered");
}

#[tokio::test]
async fn a_large_meeting_is_fetched_whole_over_all_its_pages() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    let before = connector.api_requests();
    connector.publish_and_drain(vec![record("town-hall", 1, 250)]).await;
    // The record with 60 sessions, 4 more session pages; the participants, 1 more page.
    assert_eq!(connector.api_requests() - before, 7);
    let header = stored_header(connector.pipeline.store(), &graph_id("town-hall")).await;
    assert_eq!(header.summary.version, 1);
    for n in [0, 59, 60, 129, 130, 249] {
        let entry = stored_history(connector.pipeline.store(), &fixtures::user_id(n), &graph_id("town-hall")).await;
        assert_eq!(entry.version, 1, "participant {n} has the meeting in their history");
    }
}

/// A town hall through the stand-in under Graph's per-record limits, time-scaled by
/// `TIME_SCALE`, across as many short worker invocations as they need. 200 people who joined
/// five times each make 1,000 sessions (kept small for moto); paged 5 sessions and 10
/// participants a page, it takes 218 later pages, as a 13,000-session town hall would at
/// Graph's 60: more than four windows of 50.
#[tokio::test]
async fn a_town_hall_is_fetched_across_invocations_under_graphs_per_record_limits() {
    const TIME_SCALE: f64 = 0.005; // 5 minutes are 1.5 s
    const PEOPLE: usize = 200;
    const JOINS: usize = 5;
    let limits = PerRecordLimits::GRAPH.scaled(TIME_SCALE);
    let behaviour =
        Behaviour { session_page: 5, participant_page: 10, record_limits: Some(limits), ..Behaviour::default() };
    let mut town_hall = record("town-hall", 1, PEOPLE);
    let sessions = town_hall["sessions"].as_array().unwrap().clone();
    town_hall["sessions"] = (0..JOINS)
        .flat_map(|join| {
            sessions.iter().map(move |session| {
                let mut session = session.clone();
                session["id"] = json!(format!("{}-join{join}", session["id"].as_str().unwrap()));
                session
            })
        })
        .collect();
    let mut connector = Connector::subscribed(behaviour).await;
    connector.drain().await; // the keeper's first reconciliation, before the town hall
    connector.invocation = std::time::Duration::from_millis(1_200);
    connector.worker.margin = std::time::Duration::from_millis(200);
    let (before, invocations) = (connector.api_requests(), connector.invocations);
    let started = std::time::Instant::now();
    connector.publish_and_drain(vec![town_hall]).await;
    let elapsed = started.elapsed();

    let store = connector.pipeline.store();
    let header = stored_header(store, &graph_id("town-hall")).await;
    assert_eq!(header.summary.session_count, (PEOPLE * JOINS) as u32, "every session");
    assert_eq!(header.participants(), PEOPLE, "every participant");
    for n in [0, 9, 10, 99, 190, PEOPLE - 1] {
        let entry = stored_history(store, &fixtures::user_id(n), &graph_id("town-hall")).await;
        assert_eq!(entry.version, 1, "participant {n} has the town hall in their history");
    }
    // Two first-page requests, 199 later pages of sessions and 19 of participants, none
    // refused; a page is asked again only when its answer came after the invocation's
    // deadline (a loaded machine), at most once a run.
    let runs = connector.invocations - invocations;
    let used = (connector.api_requests() - before) as usize;
    assert!((2 + 199 + 19..=2 + 199 + 19 + runs).contains(&used), "{used} requests in {runs} runs");
    assert_eq!(connector.stand_in.stats.record_throttled.load(Ordering::Relaxed), 0, "the pacing kept to the limits");
    // 218 later pages at 50 a window wait out four windows (with the pacing's headroom).
    assert!(elapsed >= limits.later.window * 4, "{elapsed:?}");
    assert!(runs >= 4, "the fetch went on over several invocations ({runs})");
    assert!(store.dead_letter_of(&graph_id("town-hall")).await.unwrap().is_none());
    let left: Vec<_> = all_items(store.table())
        .await
        .into_iter()
        .filter(|item| item["PK"].as_s().is_ok_and(|pk| pk.starts_with("GRAPHPAGES#")))
        .collect();
    assert!(left.is_empty(), "the kept pages are deleted once the record is stored ({} left)", left.len());
}

#[tokio::test]
async fn a_record_gone_from_graph_is_dropped_and_the_queue_drains() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    let old = fixtures::call_json(&graph_id("old"), 1, 2, 1, ANCHOR - Duration::days(31));
    connector.publish_and_drain(vec![old]).await;
    assert!(connector.pipeline.store().dead_letter_of(&graph_id("old")).await.unwrap().is_none(), "not a failure");
    assert!(
        stored_item::<Value>(connector.pipeline.store().table(), &format!("CALL#{}", graph_id("old")), "#HEADER")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn an_expired_token_is_replaced_once() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.publish_and_drain(vec![record("t-1", 1, 2)]).await;
    assert_eq!(connector.stand_in.stats.tokens_issued.load(Ordering::Relaxed), 1);
    connector.stand_in.expire_tokens();
    connector.publish_and_drain((2..12).map(|n| record(&format!("t-{n}"), 1, 2)).collect()).await;
    assert_eq!(connector.stand_in.stats.tokens_issued.load(Ordering::Relaxed), 2, "refreshed once");
    assert_eq!(stored_header(connector.pipeline.store(), &graph_id("t-11")).await.summary.version, 1);
}

#[tokio::test]
async fn a_revision_notified_later_replaces_the_first_version() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.publish_and_drain(vec![record("rev", 1, 2)]).await;
    assert_eq!(stored_header(connector.pipeline.store(), &graph_id("rev")).await.summary.version, 1);
    connector.publish_and_drain(vec![record("rev", 2, 3)]).await;
    assert_eq!(stored_header(connector.pipeline.store(), &graph_id("rev")).await.summary.version, 2);
    let third = stored_history(connector.pipeline.store(), &fixtures::user_id(2), &graph_id("rev")).await;
    assert_eq!(third.version, 2, "the participant version 2 added has it");
}

#[tokio::test]
async fn the_subscription_is_renewed_before_expiry_and_recreated_after_removal() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    let (first, expires) = connector.stand_in.subscriptions()[0].clone();
    // Half a day later (58 of 70 hours left): nothing changes but the hour's reconciliation.
    connector.offset.store(12 * 3600, Ordering::Relaxed);
    assert!(matches!(connector.keep().await, Outcome::JobDone { queued: 1 }));
    assert_eq!(connector.stand_in.subscriptions(), vec![(first.clone(), expires)]);
    // Less than two days left (47 hours): renewed, same subscription, later expiry.
    connector.offset.store(23 * 3600, Ordering::Relaxed);
    connector.keep().await;
    let (renewed, later) = connector.stand_in.subscriptions()[0].clone();
    assert_eq!(renewed, first);
    assert!(later > expires);
    // Removed: the lifecycle event queues a keep, which creates a new one and backfills the gap.
    connector.stand_in.lifecycle("subscriptionRemoved").await;
    let started = connector.now() - Duration::minutes(40);
    connector.stand_in.publish_silently(vec![fixtures::call_json(&graph_id("during-gap"), 1, 2, 1, started)]);
    connector.drain().await;
    let now_live = connector.stand_in.subscriptions();
    assert_eq!(now_live.len(), 1);
    assert_ne!(now_live[0].0, first, "a new subscription");
    assert_eq!(
        stored_header(connector.pipeline.store(), &graph_id("during-gap")).await.summary.version,
        1,
        "the gap was backfilled"
    );
}

#[tokio::test]
async fn a_missed_event_backfills_what_was_missed() {
    let mut connector = Connector::subscribed(Behaviour { list_page: 3, ..Behaviour::default() }).await;
    let missed: Vec<Value> = (0..7).map(|n| record(&format!("missed-{n}"), 1, 2)).collect();
    connector.stand_in.publish_silently(missed);
    connector.stand_in.lifecycle("missed").await;
    connector.drain().await;
    for n in 0..7 {
        assert_eq!(
            stored_header(connector.pipeline.store(), &graph_id(&format!("missed-{n}"))).await.summary.version,
            1
        );
    }
}

#[tokio::test]
async fn a_thousand_missed_events_queue_one_reconciliation_which_finds_what_no_notification_brought() {
    let mut connector = Connector::subscribed(Behaviour { list_page: 3, ..Behaviour::default() }).await;
    // Stored already (notified), and revised since without a notification.
    connector.publish_and_drain(vec![record("notified", 1, 2)]).await;
    // A meeting that started 30 hours ago and ended in the gap, and a call nobody was told of.
    let mut long = fixtures::call_json(&graph_id("long"), 1, 3, 1, connector.now() - Duration::hours(30));
    long["endDateTime"] = json!(callscope_core::support::clock::rfc3339(connector.now() - Duration::hours(1)));
    connector.stand_in.publish_silently(vec![long, record("unnotified", 1, 2), record("notified", 2, 2)]);
    let ours = connector.subscription_id().await;
    let missed = json!({ "value": (0..1000).map(|_| json!({ "subscriptionId": ours, "clientState": GRAPH_CLIENT_STATE,
        "tenantId": fixtures::HOME_TENANT, "lifecycleEvent": "missed", "resource": "/communications/callRecords" }))
        .collect::<Vec<_>>() });
    let lifecycle = format!("{}/graph/lifecycle", connector.webhook_url);
    for expected in [1, 0] {
        let (status, answer, _) = post_to_webhook(&lifecycle, &missed.to_string()).await;
        assert_eq!(status, 202, "{answer}");
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["queuedJobs"], expected, "one reconciliation while one waits: {answer}");
    }
    let requests = connector.api_requests();
    connector.drain().await;
    for (id, version) in [("long", 1), ("unnotified", 1), ("notified", 2)] {
        assert_eq!(stored_header(connector.pipeline.store(), &graph_id(id)).await.summary.version, version, "{id}");
    }
    // Listing pages (4 of 3 records each at most), and two requests per record fetched: the
    // records stored at their version are not fetched again.
    let used = connector.api_requests() - requests;
    assert!(used <= 2 + 3 * 2, "{used} Graph requests");
    // Once it ran, a new `missed` event queues a new one.
    let (_, answer, _) = post_to_webhook(&lifecycle, &missed.to_string()).await;
    assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["queuedJobs"], 1, "{answer}");
}

#[tokio::test]
async fn a_fetch_whose_message_was_lost_is_queued_again_once_stale_and_reconciled() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.drain().await;
    // Notified and queued, but the message never reached the worker (the queues purged).
    connector.stand_in.publish(vec![record("lost", 1, 2)]).await;
    connector.stand_in.deliveries_done().await;
    connector.lose_queued().await;
    assert!(connector.pipeline.store().stored_versions(&[graph_id("lost")], connector.now()).await.unwrap().is_empty());
    // Within ten minutes, a pending fetch keeps the id from being queued twice (duplicates in
    // flight cost one fetch); past it, the reconciliation queues it again and it is stored.
    let dispatch = connector.worker.dispatch.clone();
    let ids = [graph_id("lost")];
    connector.offset.store(5 * 60, Ordering::Relaxed);
    assert_eq!(dispatch.fetches(&ids, Lane::Live, connector.now()).await.unwrap(), 0, "still pending, not stale");
    connector.offset.store(2 * 3600, Ordering::Relaxed);
    assert!(dispatch.job(callscope_core::domain::connector::Job::Reconcile, connector.now()).await.unwrap());
    connector.drain().await;
    assert_eq!(stored_header(connector.pipeline.store(), &graph_id("lost")).await.summary.version, 1, "reconciled");
}

#[tokio::test]
async fn an_admin_backfill_is_audited_and_fetches_the_window() {
    let mut connector = Connector::new(Behaviour::default()).await;
    connector.stand_in.publish_silently(vec![record("asked-for", 1, 2)]);
    let from = ANCHOR - Duration::days(2);
    let body = json!({ "from": from.format(&time::format_description::well_known::Rfc3339).unwrap(), "to": "2099-01-01T00:00:00Z" });
    let mut request = api_request("POST", Some("admin"), "/graph/backfill", &[]);
    *request.body_mut() = lambda_http::Body::Text(body.to_string());
    request.headers_mut().insert("content-type", "application/json".parse().unwrap());
    let (status, answer) = json_response(connector.pipeline.ingest.handle(request).await);
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["queued"]["to"], "2026-11-25T12:00:00Z", "clamped to now");
    connector.drain().await;
    assert_eq!(stored_header(connector.pipeline.store(), &graph_id("asked-for")).await.summary.version, 1);
    let mut refused = api_request("POST", Some("support-engineer"), "/graph/backfill", &[]);
    *refused.body_mut() = lambda_http::Body::Text(body.to_string());
    refused.headers_mut().insert("content-type", "application/json".parse().unwrap());
    assert_eq!(json_response(connector.pipeline.ingest.handle(refused).await).0, 403);
}

#[tokio::test]
async fn a_record_that_keeps_failing_is_dead_lettered_with_its_reason() {
    // Graph down: every request answered 503. (A throttle is never a failure: `queues.rs`.)
    let behaviour = Behaviour { unavailable_percent: 100, ..Behaviour::default() };
    let mut connector = Connector::new(behaviour).await;
    subscribed_as(connector.pipeline.store(), EVENTS_SUBSCRIPTION).await;
    let stuck = graph_id("stuck");
    let body = json!({ "value": [our_notification(EVENTS_SUBSCRIPTION, &stuck)] });
    let (status, _, _) =
        post_to_webhook(&format!("{}/graph/notifications", connector.webhook_url), &body.to_string()).await;
    assert_eq!(status, 202);
    connector.drain().await;
    let dead = connector.pipeline.store().dead_letter_of(&graph_id("stuck")).await.unwrap().expect("a dead letter");
    assert_eq!(dead.attempts, callscope_core::app::connector::MAX_FETCH_ATTEMPTS);
    assert!(dead.reason.contains("throttling"), "{}", dead.reason);

    // An admin sees it, with its reason; nobody else does.
    let query = query_app(connector.pipeline.store().clone());
    let (status, listed) = json_response(query.handle(api_request("GET", ADMIN, "/graph/dead-letters", &[])).await);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
    let row = &listed["items"][0];
    assert_eq!((row["callId"].as_str(), row["attempts"].as_u64()), (Some(stuck.as_str()), Some(dead.attempts.into())));
    assert_eq!(row["reason"].as_str(), Some(dead.reason.as_str()));
    assert!(listed.get("nextCursor").is_none(), "one page: {listed}");
    for role in [samples::SPECIALIST, samples::ENGINEER] {
        let (status, _) = json_response(query.handle(api_request("GET", role, "/graph/dead-letters", &[])).await);
        assert_eq!(status, 403, "{role:?}");
    }
}

#[tokio::test]
async fn a_graph_response_past_the_cap_dead_letters_the_record_at_once() {
    use tracing_subscriber::util::SubscriberInitExt;
    let template = crate::infra::template();
    let pattern =
        crate::infra::metric_filter_of(&template, "GraphDeadLetters", "GraphWorkerFunction", "GraphDeadLettersAlarm");
    // The worker's lines as a deployed function writes them, at the level it logs at.
    let captured = Captured::default();
    let _logs = captured.subscriber("info").set_default();
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    // 60 sessions of 300 KB each: a first page of ~18 MB, past the client's cap.
    let mut big = record("bloated", 1, 60);
    for session in big["sessions"].as_array_mut().unwrap() {
        session["caller"]["name"] = json!("x".repeat(300_000));
    }
    connector.publish_and_drain(vec![big]).await;
    let dead = connector.pipeline.store().dead_letter_of(&graph_id("bloated")).await.unwrap().expect("a dead letter");
    assert_eq!(dead.attempts, 1, "not retried: the same request brings the same body");
    assert!(dead.reason.contains("larger than callscope keeps"), "{}", dead.reason);
    assert!(!dead.reason.contains("xxx"), "nothing of the record in the reason");
    let lines = captured.take_lines();
    let alarmed = lines.iter().filter(|l| crate::infra::metric_filter_matches(&pattern, l)).count();
    assert_eq!(alarmed, 1, "the GraphDeadLetters filter counts the dead letter once: {lines:?}");
}

#[tokio::test]
async fn a_record_an_erasure_overtook_is_taken_out_again_by_the_worker() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.publish_and_drain(vec![record("overtaken", 1, 3)]).await;
    // Version 2 is fetched; the erasure of one of its people (with an escalation racing that)
    // lands after the worker read who is erased, just before it commits the version.
    let (table, user) = (connector.pipeline.store().clone(), fixtures::user_id(1));
    let (erased, at) = (user.clone(), table.clone());
    let erase = async move { erasure_overtaking_an_escalation(&at, &erased, &graph_id("overtaken")).await };
    let commit = |operation: &str, body: &Value| {
        operation == "PutItem"
            && race::partition(body) == format!("CALL#{}", graph_id("overtaken"))
            && race::sort_key(body) == "#HEADER"
    };
    connector.worker.dispatch.store = as_function(&race::before(&table, commit, erase), "graph-worker");
    connector.publish_and_drain(vec![record("overtaken", 2, 3)]).await;
    let marker: Value = stored_item(table.table(), &format!("ERASED#{user}"), "#MARKER").await.unwrap();
    assert_eq!(marker["complete"], true, "the worker ran the erasure to its end: {marker}");
    assert_eq!(marker["escalationsRewritten"], 1, "{marker}");
    assert!(marker["stalePagesDeleted"].as_u64() > Some(0), "version 1's pages: {marker}");
    assert!(
        stored_item::<Value>(table.table(), &format!("USER#{user}"), &format!("CALL#{}", graph_id("overtaken")))
            .await
            .is_none()
    );
    let header = stored_header(&table, &graph_id("overtaken")).await;
    assert_eq!(header.summary.version, 2);
    assert!(header.summary.parties.iter().all(|p| p.id != user), "stored without them");
}
