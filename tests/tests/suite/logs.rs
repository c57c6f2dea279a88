//! Personal data never reaches the logs above debug level: the whole product — ingest of the
//! sample calls, a refused body, classification, every helpdesk route in every role, an
//! escalation from tier 1 to tier 2, a tenant file, an erasure — run with every log line at info and above captured, then searched for the
//! sample's names, addresses, numbers, IPs and SSIDs.

use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, MEETING};
use callscope_tests::{
    Captured, Pipeline, api_request, event_request, graph_record, json_response, query_app, raw_ingest_request,
};
use serde_json::json;
use tracing_subscriber::util::SubscriberInitExt;

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

    let logs = captured.text();
    for expected in ["ingested call records", "classified", "tenant file replaced", "user erasure ran"] {
        assert!(logs.contains(expected), "the capture holds the run's info lines ({expected}): {logs}");
    }
    for personal in [
        "Ada Lovelace",
        "ada.lovelace@contoso.com",
        "Bob Babbage",
        "bob@fabrikam.com",
        "Grace",
        "+15551234567",
        "+15552823456",
        "10.20.30.41",
        "192.168.1.23",
        "203.0.113.10",
        "CONTOSO-CORP",
        "00:11:22:33:44:55",
        "ADA-LAPTOP-01",
    ] {
        assert!(!logs.contains(personal), "{personal} was logged:\n{logs}");
    }
}
