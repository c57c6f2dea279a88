//! Personal data never reaches the logs above debug level, nor a dead letter's reason: the
//! whole product — ingest of the sample calls, a refused body, classification, every helpdesk
//! route in every role, an escalation from tier 1 to tier 2, a tenant file, an erasure, the
//! Graph connector (notified, fetched from the stand-in Graph, stored, and a record ingest
//! refuses for a value dead-lettered), a stored item that does not read, and all of it again
//! with storage failing — run with every log line at info and above captured, then the capture
//! and the stored reasons searched for every id, name, number, address, subnet, SSID, MAC and
//! device name of the sample records.

use callscope_core::store::keys;
use callscope_dev::graph_standin::Behaviour;
use callscope_http::HttpFunction;
use callscope_tests::connector::Connector;
use callscope_tests::faults::FaultLayer;
use callscope_tests::samples::{ADA, MEETING, P2P};
use callscope_tests::{
    Captured, Pipeline, api_request, event_request, fresh_store, graph_record, ingest_request, json_response,
    local_client, query_app, raw_ingest_request,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tracing_subscriber::util::SubscriberInitExt;

/// The fields of a Graph record that hold personal data: ids (users', calls', sessions',
/// numbers), names, UPNs, addresses, subnets, SSIDs, BSSIDs, MACs and device names.
const PERSONAL_FIELDS: [&str; 11] = [
    "id",
    "displayName",
    "userPrincipalName",
    "ipAddress",
    "reflexiveIPAddress",
    "relayIPAddress",
    "subnet",
    "ssid",
    "basicServiceSetIdentifier",
    "macAddress",
    "name",
];

/// Every value of a [`PERSONAL_FIELDS`] field anywhere in the sample records.
fn personal_values() -> BTreeSet<String> {
    fn walk(value: &Value, field: Option<&str>, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, Some(k), found)),
            Value::Array(items) => items.iter().for_each(|v| walk(v, field, found)),
            Value::String(text) if field.is_some_and(|f| PERSONAL_FIELDS.contains(&f)) => {
                found.insert(text.clone());
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    for name in ["p2p-pstn.json", "meeting.json"] {
        walk(&graph_record(name), None, &mut found);
    }
    found
}

#[tokio::test]
async fn no_name_number_address_or_ssid_is_logged_above_debug() {
    // This test's own subscriber, on its thread (a `#[tokio::test]` runs everything on one):
    // other tests in the binary keep theirs.
    let captured = Captured::default();
    let _capturing = captured.subscriber("info").set_default();

    let mut pipeline = Pipeline::new().await;
    pipeline.post(&json!({ "value": [graph_record("p2p-pstn.json"), graph_record("meeting.json")] })).await;
    let mut bad = graph_record("meeting.json");
    bad["sessions"][0]["segments"][0]["endDateTime"] = json!("not a time");
    let refused = pipeline.ingest.handle(raw_ingest_request(bad.to_string().as_bytes(), Some("application/json")));
    assert_eq!(refused.await.status(), 400);
    pipeline.classify_all().await;
    assert_eq!(json_response(pipeline.ingest.handle(event_request("ingest-put-buildings.json")).await).0, 200);
    let app = query_app(pipeline.store().clone());
    for role in [Some("support-specialist"), Some("support-engineer"), Some("admin"), Some("ingest"), None] {
        for (path, query) in [
            ("/users".to_owned(), vec![("search", "ada")]),
            (format!("/users/{ADA}/calls"), vec![]),
            (format!("/users/{ADA}/calls"), vec![("format", "csv")]),
            (format!("/calls/{MEETING}"), vec![("user", ADA)]),
            ("/audit".to_owned(), vec![]),
        ] {
            app.handle(api_request("GET", role, &path, &query)).await;
        }
    }
    // The handoff, with a note that names people: written, listed, read, claimed, resolved.
    let mut escalated = None;
    for name in [
        "query-escalate-specialist.json",
        "query-escalate-ingest.json",
        "query-escalations-engineer.json",
        "query-escalation-engineer.json",
        "query-escalation-note-engineer.json",
        "query-escalation-claim-engineer.json",
        "query-escalation-resolve-admin.json",
    ] {
        let (status, body) = json_response(app.handle(event_request(name)).await);
        if name == "query-escalate-specialist.json" {
            escalated = Some((status, body));
        }
    }
    assert_eq!(escalated.map(|(status, _)| status), Some(201));
    let csv = api_request("GET", Some("support-engineer"), "/escalations", &[("format", "csv"), ("state", "resolved")]);
    assert_eq!(app.handle(csv).await.status(), 200);
    let erase = api_request("DELETE", Some("admin"), &format!("/users/{ADA}"), &[]);
    assert_eq!(json_response(pipeline.ingest.handle(erase).await).0, 200);
    pipeline.classify_all().await;

    let reasons = graph_connector_run().await;
    storage_failing_run().await;

    let logs = captured.text();
    for expected in [
        "ingested call records",
        "classified",
        "tenant file replaced",
        "user erasure ran",
        "fetched from Graph and stored",
        "fetch dead-lettered",
        "storage failed",
    ] {
        assert!(logs.contains(expected), "the capture holds the run's info lines ({expected}): {logs}");
    }
    let personal = personal_values();
    for sample in [ADA, MEETING, P2P, "Ada Lovelace", "+15552823456", "10.20.30.0", "CONTOSO-CORP", "ADA-LAPTOP-01"] {
        assert!(personal.contains(sample), "{sample} is among the values searched for");
    }
    for value in &personal {
        assert!(!logs.contains(value.as_str()), "{value} was logged:\n{logs}");
        assert!(!reasons.contains(value.as_str()), "{value} is in a dead letter's reason: {reasons}");
    }
}

/// The Graph connector on a table of its own: the sample phone call notified, fetched from the
/// stand-in Graph and stored; the meeting, with a name where a number belongs, fetched and
/// dead-lettered by ingest; then that stored phone call's header made unreadable and read. The
/// stored dead letters' reasons, for the caller to search.
async fn graph_connector_run() -> String {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    let mut refused = graph_record("meeting.json");
    refused["sessions"][0]["segments"][0]["media"][0]["callerNetwork"]["wifiChannel"] = json!("Ada Lovelace");
    connector.publish_and_drain(vec![graph_record("p2p-pstn.json"), refused]).await;
    let store = connector.pipeline.store().clone();
    assert!(store.dead_letter_of(P2P).await.unwrap().is_none(), "the phone call is stored");
    let dead = store.dead_letter_of(MEETING).await.unwrap().expect("the refused meeting is dead-lettered");
    // What an operator needs: where, and what was expected there.
    let at = "sessions[0].segments[0].media[0].callerNetwork.wifiChannel";
    assert!(dead.reason.contains(at) && dead.reason.contains("expected"), "{}", dead.reason);

    // A stored item that does not read as its type: the error names the kind of item, not its key.
    let header = local_client()
        .get_item()
        .table_name(store.table())
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(keys::call_pk(P2P)))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(keys::CALL_HEADER_SK.to_owned()))
        .send()
        .await
        .unwrap();
    let mut header = header.item.expect("the phone call's header");
    header.insert("version".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("Ada Lovelace".to_owned()));
    local_client().put_item().table_name(store.table()).set_item(Some(header)).send().await.unwrap();
    let read = api_request("GET", Some("support-engineer"), &format!("/calls/{P2P}"), &[("user", ADA)]);
    assert_eq!(json_response(query_app(store).handle(read).await).0, 500);
    dead.reason
}

/// The write and read paths with 40 % of storage requests failing: ingest (answered `503` until
/// stored), classification (failed batches redelivered), a history, a call, an erasure.
async fn storage_failing_run() {
    let table = fresh_store().await;
    let faults = FaultLayer::new(0.4, 30);
    let mut pipeline = Pipeline::on(faults.store(table.table())).await;
    let body = json!({ "value": [graph_record("p2p-pstn.json"), graph_record("meeting.json")] }).to_string();
    for _ in 0..40 {
        if pipeline.ingest.handle(ingest_request(body.clone())).await.status() == 202 {
            break;
        }
    }
    pipeline.classify_redelivering(100).await;
    let app = query_app(faults.store(table.table()));
    for _ in 0..3 {
        app.handle(api_request("GET", Some("support-engineer"), &format!("/users/{ADA}/calls"), &[])).await;
        app.handle(api_request("GET", Some("support-engineer"), &format!("/calls/{MEETING}"), &[("user", ADA)])).await;
        pipeline.ingest.handle(api_request("DELETE", Some("admin"), &format!("/users/{ADA}"), &[])).await;
    }
    assert!(faults.report().total_injected() > 0, "faults were injected");
}
