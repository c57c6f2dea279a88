//! The admin's view of the Graph connector: `GET /graph/status` against the local SQS (the
//! counts are the messages put there) and the table, and `POST /graph/dead-letters/{id}/retry`
//! through the stand-in Graph until the record is stored and its dead letter removed.

use callscope_core::support::fixtures::{self, graph_id};
use callscope_dev::graph_standin::Behaviour;
use callscope_http::HttpFunction;
use callscope_tests::connector::Connector;
use callscope_tests::samples::{ADMIN, ENGINEER, SPECIALIST};
use callscope_tests::*;
use serde_json::{Value, json};
use time::Duration;

/// The status as `role` asks for it.
async fn status(query: &query::App, role: Option<&str>) -> (u16, Value) {
    json_response(query.handle(api_request("GET", role, "/graph/status", &[])).await)
}

/// Sends `count` messages to the queue at `url`.
async fn put_messages(url: &str, count: usize) {
    for n in 0..count {
        sqs_client().send_message().queue_url(url).message_body(format!("{{\"n\":{n}}}")).send().await.unwrap();
    }
}

#[tokio::test]
async fn the_connector_status_counts_what_the_queues_and_the_table_hold() {
    let pipeline = Pipeline::new().await;
    let store = pipeline.store();
    let query = query_app(store.clone());
    let (code, empty) = status(&query, ADMIN).await;
    assert_eq!(code, 200, "{empty}");
    let idle = json!({"waiting": 0, "inFlight": 0});
    assert_eq!(
        empty,
        json!({
            "subscription": {"state": "none"},
            "queues": {"live": idle, "backfill": idle, "deadLetter": {"waiting": 0}},
            "deadLetters": 0,
            "deadLettersMore": false,
        }),
        "a connector never started: no subscription, no notification, nothing queued"
    );
    // Three messages wait on the live queue and one of four more is being worked; two on the
    // backfill queue; the dead-letter queues hold one and two.
    let table = store.table();
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").unwrap();
    let url = |queue: &str| format!("{}/123456789012/{table}-graph-{queue}", endpoint.trim_end_matches('/'));
    put_messages(&url("live"), 4).await;
    let taken = sqs_client().receive_message().queue_url(url("live")).max_number_of_messages(1).send().await.unwrap();
    assert_eq!(taken.messages().len(), 1);
    put_messages(&url("backfill"), 2).await;
    put_messages(&url("live-dead"), 1).await;
    put_messages(&url("backfill-dead"), 2).await;
    // Two dead letters of the last 30 days, and one older (expired: not counted).
    store.dead_letter(&graph_id("a"), "refused by ingest: x".into(), 1, ANCHOR - Duration::hours(2)).await.unwrap();
    store.dead_letter(&graph_id("b"), "Graph kept failing".into(), 5, ANCHOR - Duration::days(3)).await.unwrap();
    store.dead_letter(&graph_id("c"), "old".into(), 5, ANCHOR - Duration::days(31)).await.unwrap();
    subscribed_as(store, EVENTS_SUBSCRIPTION).await;
    store.note_notification(ANCHOR - Duration::minutes(5)).await.unwrap();
    let (code, body) = status(&query, ADMIN).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "subscription": {
                "state": "active",
                "id": EVENTS_SUBSCRIPTION,
                "resource": "/communications/callRecords",
                "expiresAt": "2026-11-27T12:00:00Z",
                "lastRenewedAt": "2026-11-25T12:00:00Z",
            },
            "lastNotificationAt": "2026-11-25T11:55:00Z",
            "queues": {
                "live": {"waiting": 3, "inFlight": 1},
                "backfill": {"waiting": 2, "inFlight": 0},
                "deadLetter": {"waiting": 3},
            },
            "deadLetters": 2,
            "deadLettersMore": false,
        })
    );
    // Under a day left: its renewals are failing; past its expiry: expired.
    for (left, state) in [(Duration::hours(12), "expiring"), (Duration::minutes(-1), "expired")] {
        store.save_subscription_state(EVENTS_SUBSCRIPTION, ANCHOR + left, ANCHOR - Duration::days(1)).await.unwrap();
        let (_, body) = status(&query, ADMIN).await;
        assert_eq!(body["subscription"]["state"], state, "{left}");
    }
    // Admins only, and audited, refusals too.
    for role in [SPECIALIST, ENGINEER] {
        assert_eq!(status(&query, role).await.0, 403, "{role:?}");
    }
    let (_, audit) =
        json_response(query.handle(api_request("GET", ADMIN, "/audit", &[("action", "graphStatus")])).await);
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|e| e["role"] == "admin" && e.get("refusedAttempts").is_none()).count(), 4);
    let refused: Vec<&Value> = items.iter().filter(|e| e.get("refusedAttempts").is_some()).collect();
    assert_eq!(refused.len(), 1, "{audit}");
    assert_eq!(refused[0]["refusedAttempts"], 2, "both refusals counted in one entry");
    let (code, _) = json_response(query.handle(event_request("query-graph-status-admin.json")).await);
    assert_eq!(code, 200);
}

/// A Graph outage's dead letters: the status counts up to 1,000 with one Query and says there
/// are more, rather than reading them all on every visit.
#[tokio::test]
async fn the_status_counts_dead_letters_up_to_a_thousand_and_says_there_are_more() {
    use futures::StreamExt;
    let store = fresh_store().await;
    let query = query_app(store.clone());
    let writes = (0..1_001).map(|n| {
        let store = store.clone();
        async move {
            let at = ANCHOR - Duration::minutes(n);
            store.dead_letter(&graph_id(&format!("d{n}")), "Graph kept failing".into(), 5, at).await.unwrap();
        }
    });
    futures::stream::iter(writes).buffer_unordered(16).collect::<Vec<_>>().await;
    let (code, body) = status(&query, ADMIN).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!((&body["deadLetters"], &body["deadLettersMore"]), (&json!(1_000), &json!(true)), "{body}");
}

#[tokio::test]
async fn the_last_notification_is_recorded_at_most_once_a_minute_and_never_moves_back() {
    let pipeline = Pipeline::new().await;
    let (store, log) = counted_store(pipeline.store().table());
    store.note_notification(ANCHOR).await.unwrap();
    assert_eq!(log.take(), ["PutItem"]);
    store.note_notification(ANCHOR + Duration::seconds(59)).await.unwrap();
    assert!(log.take().is_empty(), "a delivery within the minute writes nothing");
    assert_eq!(store.last_notification(ANCHOR).await.unwrap(), Some(ANCHOR));
    store.note_notification(ANCHOR + Duration::seconds(61)).await.unwrap();
    assert_eq!(store.last_notification(ANCHOR).await.unwrap(), Some(ANCHOR + Duration::seconds(61)));
    // Another warm function with a delivery it took earlier does not move it back.
    let (other, _) = counted_store(pipeline.store().table());
    other.note_notification(ANCHOR - Duration::minutes(10)).await.unwrap();
    assert_eq!(store.last_notification(ANCHOR).await.unwrap(), Some(ANCHOR + Duration::seconds(61)));
}

async fn retry(connector: &Connector, role: Option<&str>, call_id: &str) -> (u16, Value) {
    let path = format!("/graph/dead-letters/{call_id}/retry");
    json_response(connector.pipeline.ingest.handle(api_request("POST", role, &path, &[])).await)
}

#[tokio::test]
async fn an_admin_retries_a_dead_letter_until_its_record_is_stored_and_the_dead_letter_goes() {
    // Graph down: the notified record is dead-lettered after its attempts.
    let mut connector = Connector::new(Behaviour { unavailable_percent: 100, ..Behaviour::default() }).await;
    let store = connector.pipeline.store().clone();
    subscribed_as(&store, EVENTS_SUBSCRIPTION).await;
    let stuck = graph_id("stuck");
    let record = fixtures::call_json(&stuck, 1, 2, 1, ANCHOR - Duration::hours(3));
    connector.stand_in.publish_silently(vec![record]);
    let notification = json!({ "value": [our_notification(EVENTS_SUBSCRIPTION, &stuck)] });
    let answer = reqwest::Client::new()
        .post(format!("{}/graph/notifications", connector.webhook_url))
        .header("content-type", "application/json")
        .body(notification.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    connector.drain().await;
    let first = store.dead_letter_of(&stuck).await.unwrap().expect("dead-lettered");
    let query = query_app(store.clone());
    let (_, status) = json_response(query.handle(api_request("GET", ADMIN, "/graph/status", &[])).await);
    assert_eq!((status["deadLetters"].as_u64(), status["lastNotificationAt"].is_string()), (Some(1), true), "{status}");

    // Refused to all but admins; a call without a dead letter is 404, an id like a key too.
    for role in [SPECIALIST, ENGINEER] {
        assert_eq!(retry(&connector, role, &stuck).await.0, 403, "{role:?}");
    }
    let (code, body) = retry(&connector, ADMIN, &graph_id("never-failed")).await;
    assert_eq!((code, &body["error"]["code"]), (404, &json!("not_found")), "{body}");
    assert_eq!(retry(&connector, ADMIN, &format!("{stuck}%23DEAD")).await.0, 404);

    // Queued, and safe to repeat: a retry pending is not queued twice.
    assert_eq!(retry(&connector, ADMIN, &stuck).await, (202, json!({"callId": stuck, "queued": true})));
    assert_eq!(retry(&connector, ADMIN, &stuck).await, (202, json!({"callId": stuck, "queued": false})));
    let (_, queued) = json_response(query.handle(api_request("GET", ADMIN, "/graph/status", &[])).await);
    assert_eq!(
        (&queued["queues"]["backfill"]["waiting"], &queued["queues"]["live"]["waiting"]),
        (&json!(1), &json!(0)),
        "one retry, on the backfill lane: {queued}"
    );

    // Still down ten minutes later: it fails again, and its dead letter says so (listed until stored).
    connector.offset.store(600, std::sync::atomic::Ordering::Relaxed);
    connector.drain().await;
    let again = store.dead_letter_of(&stuck).await.unwrap().expect("still dead-lettered");
    assert_eq!((first.at, again.at), (ANCHOR, ANCHOR + Duration::minutes(10)), "the failure's time rewritten");
    assert_eq!(again.attempts, callscope_core::app::connector::MAX_FETCH_ATTEMPTS);

    // Graph is back: the next retry stores the record and removes the dead letter.
    connector.stand_in.set_behaviour(|b| b.unavailable_percent = 0);
    assert_eq!(retry(&connector, ADMIN, &stuck).await, (202, json!({"callId": stuck, "queued": true})));
    connector.drain().await;
    assert_eq!(stored_header(&store, &stuck).await.summary.version, 1);
    assert!(store.dead_letter_of(&stuck).await.unwrap().is_none(), "the dead letter is gone once stored");
    assert_eq!(retry(&connector, ADMIN, &stuck).await.0, 404, "nothing left to retry");

    // Every attempt audited with its call, the refusals counted.
    let (_, audit) =
        json_response(query.handle(api_request("GET", ADMIN, "/audit", &[("action", "deadLetterRetry")])).await);
    let items = audit["items"].as_array().unwrap();
    let queued =
        |e: &&Value| e.get("refusedAttempts").is_none() && e["role"] == "admin" && e["targetCall"] == json!(stuck);
    assert_eq!(items.iter().filter(queued).count(), 3, "each retry queued: {audit}");
    let refused: Vec<&Value> = items.iter().filter(|e| e.get("refusedAttempts").is_some()).collect();
    assert_eq!((refused.len(), &refused[0]["refusedAttempts"]), (1, &json!(2)), "the refusals: {audit}");

    // The sample event retries a dead letter of its own.
    let sample = "2f1a0a6e-0000-4000-8000-000000000d1e";
    store.dead_letter(sample, "Graph kept failing".into(), 5, ANCHOR).await.unwrap();
    let (code, body) =
        json_response(connector.pipeline.ingest.handle(event_request("ingest-dead-letter-retry-admin.json")).await);
    assert_eq!((code, body), (202, json!({"callId": sample, "queued": true})));
}
