//! The classify function end to end: records ingested through the real handler, the table's
//! real stream read back (as Lambda's event source mapping would), the classify handler run on
//! it, and the stored ratings read.

use aws_lambda_events::dynamodb::Event;
use callscope_core::domain::classify::Rating;
use callscope_core::domain::classify::{IssueCode, LikelyAt, Thresholds};
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, BOB, MEETING, P2P};
use callscope_tests::{ANCHOR, Pipeline, event_request, meeting_record};
use serde_json::{Value, json};

async fn stack() -> Pipeline {
    Pipeline::new().await
}

async fn history_rating(stack: &Pipeline, user: &str, call: &str) -> (i64, Rating, Vec<IssueCode>) {
    let item = callscope_tests::stored_history(stack.store(), user, call).await;
    (item.version, item.entry.rating, item.entry.issue_codes)
}

#[tokio::test]
async fn an_ingested_call_is_rated_from_the_stream() {
    let mut stack = stack().await;
    let response = stack.ingest.handle(event_request("ingest-post-batch.json")).await;
    assert_eq!(response.status(), 202);
    assert_eq!(history_rating(&stack, ADA, MEETING).await.1, Rating::Pending, "pending until classified");

    let event = callscope_tests::event(stack.stream.next_records().await.unwrap());
    assert!(event.records.len() > 2, "headers, pages, history and directory all reach the stream");
    assert!(stack.deliver(event).await.is_empty());

    let stored = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!(
        (stored.summary.rating, stored.summary.issue_codes.as_slice()),
        (Rating::Poor, &[IssueCode::AudioNetworkPoor][..])
    );
    let results = stored.results.expect("results are published with the rating");
    assert_eq!(
        results.iter().map(|r| r.rating).collect::<Vec<_>>(),
        [Rating::Good, Rating::Poor],
        "Ada fine, Bob poor"
    );
    assert_eq!(
        (results[1].main_cause.as_str(), results[1].likely_at),
        ("Caller's network, audio sent: average packet loss 14 %, above 10 %.", Some(LikelyAt::Caller)),
        "Bob's stream to the conference server lost the packets: Bob's network, never the server's"
    );
    assert!(results[0].metrics.len() > 20, "every metric of Ada's session is graded");

    assert_eq!(history_rating(&stack, ADA, MEETING).await, (2, Rating::Good, vec![]), "Ada's own sessions were good");
    let ada = callscope_tests::stored_history(stack.store(), ADA, MEETING).await;
    assert_eq!(ada.entry.call_rating, Rating::Poor, "the meeting as a whole had a poor session");
    assert!(
        callscope_tests::stored_item::<Value>(
            stack.store().table(),
            &format!("USER#{BOB}"),
            &format!("CALL#{MEETING}")
        )
        .await
        .is_none(),
        "Bob, of another tenant, has no history to publish to"
    );
    // The p2p call sits exactly on every audio boundary (30 ms, 10 %, 500 ms): not poor.
    assert_eq!(history_rating(&stack, ADA, P2P).await.1, Rating::Good);

    // Classify's own writes come back on the stream; they are recognised and change nothing.
    let echo = callscope_tests::event(stack.stream.next_records().await.unwrap());
    assert!(!echo.records.is_empty());
    assert!(stack.deliver(echo).await.is_empty());
    assert!(stack.stream.next_records().await.unwrap().is_empty(), "no feedback loop: the echo wrote nothing");
}

#[tokio::test]
async fn the_same_batch_delivered_twice_changes_nothing() {
    let mut stack = stack().await;
    stack.post(&meeting_record(2)).await;
    let records = stack.stream.next_records().await.unwrap();
    assert!(stack.deliver(callscope_tests::event(records.clone())).await.is_empty());
    let first = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert!(stack.deliver(callscope_tests::event(records)).await.is_empty());
    let second = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!(first, second);
    assert_eq!(history_rating(&stack, ADA, MEETING).await, (2, Rating::Good, vec![]));
}

#[tokio::test]
async fn a_late_older_version_never_overwrites_a_newer_result() {
    let mut stack = stack().await;
    stack.post(&meeting_record(2)).await;
    let version_2 = stack.stream.next_records().await.unwrap();
    let mut better = meeting_record(3);
    let stream = &mut better["sessions"][1]["segments"][0]["media"][0]["streams"][0];
    for (field, value) in [
        ("averageJitter", json!("PT0.01S")),
        ("averagePacketLossRate", json!(0.01)),
        ("averageAudioDegradation", json!(0.2)),
        ("averageRatioOfConcealedSamples", json!(0.01)),
    ] {
        stream[field] = value;
    }
    stack.post(&better).await;
    let version_3 = stack.stream.next_records().await.unwrap();

    // Version 3's change arrives first, then version 2's.
    assert!(stack.deliver(callscope_tests::event(version_3)).await.is_empty());
    assert!(stack.deliver(callscope_tests::event(version_2)).await.is_empty());

    let stored = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!((stored.summary.version, stored.summary.rating), (3, Rating::Good));
    assert_eq!(stored.results.unwrap().len(), 2);
    assert_eq!(history_rating(&stack, ADA, MEETING).await, (3, Rating::Good, vec![]));
}

#[tokio::test]
async fn a_result_computed_for_an_old_version_is_not_published() {
    let mut stack = stack().await;
    stack.post(&meeting_record(2)).await;
    let old = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    stack.post(&meeting_record(3)).await;
    let event = callscope_tests::event(stack.stream.next_records().await.unwrap());
    assert!(stack.deliver(event).await.is_empty());

    // A slow classify run that read version 2 finishes now.
    let result = callscope_core::domain::classify::classify_sessions(&old.sessions, &Thresholds::default());
    let stale = callscope_core::store::PreparedClassification::new(
        &old.summary,
        result,
        callscope_core::support::fixtures::HOME_TENANT,
    )
    .unwrap();
    let outcome = callscope_tests::as_function(stack.store(), "classify").publish(&stale).await.unwrap();
    assert_eq!(outcome, callscope_core::store::Published::Superseded);
    let stored = stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap();
    assert_eq!((stored.summary.version, stored.results.map(|r| r.len())), (3, Some(2)));
    assert_eq!(history_rating(&stack, ADA, MEETING).await.0, 3);
}

#[tokio::test]
async fn an_unreadable_record_is_reported_and_nothing_after_it_is_written() {
    let mut stack = stack().await;
    stack.post(&callscope_tests::graph_record("p2p-pstn.json")).await;
    let first: Vec<_> = stack.stream.next_records().await.unwrap();
    stack.post(&meeting_record(2)).await;
    let second = stack.stream.next_records().await.unwrap();

    let header = |records: &[aws_lambda_events::dynamodb::EventRecord]| {
        records
            .iter()
            .find(|r| r.event_name == "INSERT" && format!("{:?}", r.change.keys).contains("#HEADER"))
            .unwrap()
            .clone()
    };
    let mut broken = header(&first);
    broken.change.new_image =
        serde_dynamo::to_item(json!({ "PK": "CALL#x", "SK": "#HEADER", "callId": "x", "version": "two" })).unwrap();
    broken.change.sequence_number = Some("broken-seq".into());
    let batch = vec![header(&first), broken, header(&second)];

    assert_eq!(stack.deliver(callscope_tests::event(batch)).await, ["broken-seq"]);
    assert_eq!(
        stack.store().call(P2P, ANCHOR).await.unwrap().unwrap().summary.rating,
        Rating::Good,
        "before the failure: rated"
    );
    assert_eq!(
        stack.store().call(MEETING, ANCHOR).await.unwrap().unwrap().summary.rating,
        Rating::Pending,
        "after it: untouched"
    );
}

#[tokio::test]
async fn every_classify_event_drives_the_handler() {
    let stack = stack().await;
    stack.post(&callscope_tests::graph_record("p2p-pstn.json")).await;
    let cases = [
        ("classify-insert.json", Vec::<&str>::new()),
        ("classify-modify-own-write.json", vec![]),
        ("classify-remove-ttl.json", vec![]),
        ("classify-unreadable.json", vec!["400000000000000000003"]),
    ];
    let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    callscope_tests::assert_every_event_listed("classify-", &names);
    for (name, failures) in cases {
        let event: Event =
            serde_json::from_str(&callscope_tests::event_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(stack.deliver(event).await, failures, "{name}");
    }
    let rated = stack.store().call(P2P, ANCHOR).await.unwrap().unwrap();
    assert_eq!(rated.summary.rating, Rating::Good, "the INSERT sample rated the stored call");
}

/// The sample meeting with Bob, whose session is poor, a user of the home tenant too.
fn meeting_with_bob_at_home() -> Value {
    let text = callscope_tests::graph_record("meeting.json").to_string();
    serde_json::from_str(&text.replace(BOB_TENANT, callscope_core::support::fixtures::HOME_TENANT)).unwrap()
}

/// The tenant Bob belongs to in the sample meeting.
const BOB_TENANT: &str = "0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d";

#[tokio::test]
async fn each_attendee_sees_the_meeting_as_they_lived_it() {
    let mut stack = stack().await;
    stack.post(&json!({ "value": [meeting_with_bob_at_home()] })).await;
    stack.classify_all().await;
    let ada = callscope_tests::stored_history(stack.store(), ADA, MEETING).await.entry;
    let bob = callscope_tests::stored_history(stack.store(), BOB, MEETING).await.entry;
    assert_eq!((ada.rating, ada.call_rating, ada.issue_codes.as_slice()), (Rating::Good, Rating::Poor, &[][..]));
    assert_eq!(
        (bob.rating, bob.call_rating, bob.issue_codes.as_slice()),
        (Rating::Poor, Rating::Poor, &[IssueCode::AudioNetworkPoor][..])
    );
    // Ada organized it: nobody is her other side. Everyone else's is Ada.
    assert_eq!(ada.counterpart, None);
    assert_eq!(bob.counterpart.map(|p| p.id).as_deref(), Some(ADA));
}
