//! Tenant data end to end: building and endpoint files uploaded through the ingest handler, and
//! the mapping shown on sessions through the query handler.

use callscope_core::support::fixtures::{self};
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, MEETING};
use callscope_tests::{ANCHOR, Pipeline, event_request, event_text};
use lambda_http::{Body, Request};
use serde_json::{Value, json};

struct Tenant {
    pipeline: Pipeline,
    query: query::App,
}

async fn tenant() -> Tenant {
    let mut pipeline = Pipeline::new().await;
    pipeline.post(&callscope_tests::graph_record("meeting.json")).await;
    pipeline.classify_all().await;
    let store = pipeline.store().clone();
    let query = callscope_tests::query_app(store);
    Tenant { pipeline, query }
}

fn body(response: lambda_http::Response<Body>) -> (u16, Value) {
    callscope_tests::json_response(response)
}

impl Tenant {
    async fn upload(&self, request: Request) -> (u16, Value) {
        body(self.pipeline.ingest.handle(request).await)
    }

    async fn upload_text(&self, path: &str, text: &str) -> (u16, Value) {
        let mut event: Value = serde_json::from_str(&event_text("ingest-put-buildings.json")).unwrap();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!(format!("PUT {path}"));
        event["body"] = json!(text);
        self.upload(lambda_http::request::from_str(&event.to_string()).unwrap()).await
    }

    async fn get(&self, role: &str, path: &str, query: &str) -> (u16, Value) {
        let mut event: Value = serde_json::from_str(&event_text("query-buildings-admin.json")).unwrap();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["rawQueryString"] = json!(query);
        let params: serde_json::Map<String, Value> =
            query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), json!(v))).collect();
        event["queryStringParameters"] = Value::Object(params);
        event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] = json!(format!("[{role}]"));
        body(self.query.handle(lambda_http::request::from_str(&event.to_string()).unwrap()).await)
    }

    /// The first row of Ada's history in `role`'s view.
    async fn history_row(&self, role: &str) -> Value {
        let (status, page) = self.get(role, &format!("/users/{ADA}/calls"), "").await;
        assert_eq!(status, 200, "{page}");
        page["items"][0].clone()
    }

    async fn meeting(&self, role: &str) -> Value {
        let (status, call) = self.get(role, &format!("/calls/{MEETING}"), &format!("user={ADA}")).await;
        assert_eq!(status, 200, "{call}");
        call
    }
}

#[tokio::test]
async fn an_uploaded_map_shows_on_every_session_as_each_role_may_see_it() {
    let t = tenant().await;
    let (status, report) = t.upload(event_request("ingest-put-buildings.json")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rows"], 202);
    let warned: Vec<_> = report["warnings"].as_array().unwrap().iter().map(|w| w["line"].as_u64().unwrap()).collect();
    assert_eq!(warned, [1, 3, 4, 5, 6], "192.168.1.0/26 and the four 10.0.0.x/26 rows lie in common home subnets");

    let engineer = t.meeting("support-engineer").await;
    let ada = &engineer["sessions"][0]["advanced"]["caller"]["building"];
    assert_eq!(ada["buildingName"], "SEATTLE-SEA-1");
    assert_eq!(ada["networkName"], "Contoso/SEA-1/Floor3");
    assert_eq!(
        (ada["city"].as_str(), ada["country"].as_str(), ada["region"].as_str(), ada["insideCorp"].as_bool()),
        (Some("Seattle"), Some("US"), Some("MSUS"), Some(true))
    );
    let bob = &engineer["sessions"][1]["advanced"]["caller"]["building"];
    assert_eq!(bob["buildingName"], "SEATTLE-SEA-1", "Bob's 192.168.1.0 is in the sample row's /26");

    let specialist = t.meeting("support-specialist").await;
    let session = &specialist["sessions"][0];
    assert_eq!(session["location"]["caller"], json!({ "buildingName": "SEATTLE-SEA-1", "city": "Seattle" }));
    assert!(session.get("advanced").is_none());
    assert!(!specialist.to_string().contains("Contoso/SEA-1/Floor3"), "no network details for tier 1");
}

#[tokio::test]
async fn an_engineers_history_row_names_the_building_of_each_end_a_specialists_none() {
    let t = tenant().await;
    let before = t.history_row("support-engineer").await;
    assert!(before.get("userBuilding").is_none() && before.get("counterpartBuilding").is_none(), "{before}");

    assert_eq!(t.upload(event_request("ingest-put-buildings.json")).await.0, 200);
    let seattle = json!({ "buildingName": "SEATTLE-SEA-1", "city": "Seattle" });
    for role in ["support-engineer", "admin"] {
        let row = t.history_row(role).await;
        assert_eq!(row["userBuilding"], seattle, "Ada's 10.20.30.0 subnet is mapped: {row}");
        assert!(row.get("counterpartBuilding").is_none(), "she organized the meeting: no other side: {row}");
    }
    let row = t.history_row("support-specialist").await;
    assert_eq!(row["callId"], MEETING);
    for key in ["userBuilding", "counterpartBuilding", "userSubnet", "counterpartSubnet"] {
        assert!(row.get(key).is_none(), "a specialist's row has no {key}: {row}");
    }
    let engineer = t.history_row("support-engineer").await;
    assert!(engineer.get("userSubnet").is_none(), "the row shows buildings, not stored subnets: {engineer}");
}

#[tokio::test]
async fn a_new_upload_replaces_the_map_whole_and_a_failed_one_changes_nothing() {
    let t = tenant().await;
    assert_eq!(t.upload(event_request("ingest-put-buildings.json")).await.0, 200);
    let (_, first) = t.get("admin", "/buildings", "limit=10").await;

    let (status, problems) = t.upload(event_request("ingest-put-buildings-invalid.json")).await;
    assert_eq!(status, 422, "{problems}");
    let found: Vec<_> = problems["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(found, [(2, 3), (2, 13), (3, 1)]);
    assert!(
        problems["error"]["problems"][2]["message"].as_str().unwrap().contains("line 1"),
        "the overlap names both lines"
    );
    let (_, after_failure) = t.get("admin", "/buildings", "limit=10").await;
    assert_eq!(after_failure["version"], first["version"], "the old map is still active");
    assert_eq!(
        t.meeting("support-engineer").await["sessions"][0]["advanced"]["caller"]["building"]["buildingName"],
        "SEATTLE-SEA-1"
    );

    let moved = "10.20.30.0,Contoso/SEA-2/Floor1,24,SEATTLE-SEA-2,Contoso,Office,Eng,Seattle,98001,US,WA,MSUS,1,0";
    let later = ingest::App {
        clock: callscope_core::support::clock::Clock::fixed(ANCHOR + time::Duration::seconds(5)),
        ..t.pipeline.ingest.clone()
    };
    let mut event: Value = serde_json::from_str(&event_text("ingest-put-buildings.json")).unwrap();
    event["body"] = json!(moved);
    let (status, report) = body(later.handle(lambda_http::request::from_str(&event.to_string()).unwrap()).await);
    assert_eq!((status, report["rows"].as_u64()), (200, Some(1)), "{report}");
    let engineer = t.meeting("support-engineer").await;
    assert_eq!(engineer["sessions"][0]["advanced"]["caller"]["building"]["buildingName"], "SEATTLE-SEA-2");
    assert!(
        engineer["sessions"][1]["advanced"]["caller"].get("building").is_none(),
        "the old rows are gone, not merged"
    );
    let (_, current) = t.get("admin", "/buildings", "").await;
    assert_eq!((current["rowCount"].as_u64(), current["items"].as_array().map(Vec::len)), (Some(1), Some(1)));
}

#[tokio::test]
async fn the_map_pages_for_admins_only() {
    let t = tenant().await;
    assert_eq!(t.get("admin", "/buildings", "").await.0, 404, "no map uploaded yet");
    assert_eq!(t.upload(event_request("ingest-put-buildings.json")).await.0, 200);
    let mut cursor = String::new();
    let mut rows = 0;
    loop {
        let query = if cursor.is_empty() { "limit=100".to_owned() } else { format!("limit=100&cursor={cursor}") };
        let (status, page) = t.get("admin", "/buildings", &query).await;
        assert_eq!(status, 200, "{page}");
        rows += page["items"].as_array().unwrap().len();
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(rows, 202);
    assert_eq!(t.get("support-engineer", "/buildings", "").await.0, 403);
    assert_eq!(t.upload(event_request("ingest-put-buildings-wrong-role.json")).await.0, 403);
}

#[tokio::test]
async fn csv_and_tsv_uploads_are_both_read() {
    let t = tenant().await;
    let (status, report) = t.upload(event_request("ingest-put-buildings-tsv.json")).await;
    assert_eq!((status, report["rows"].as_u64()), (200, Some(22)), "{report}");
    assert_eq!(
        t.meeting("support-engineer").await["sessions"][0]["advanced"]["caller"]["building"]["buildingName"],
        "SEATTLE-SEA-1"
    );
}

#[tokio::test]
async fn an_endpoint_file_maps_machine_names_to_make_and_model() {
    let t = tenant().await;
    let (status, report) = t.upload(event_request("ingest-put-endpoints.json")).await;
    assert_eq!((status, report["rows"].as_u64()), (200, Some(2)), "{report}");
    let engineer = t.meeting("support-engineer").await;
    let endpoint = &engineer["sessions"][0]["advanced"]["caller"]["endpoint"];
    assert_eq!(
        (endpoint["make"].as_str(), endpoint["model"].as_str(), endpoint["type"].as_str()),
        (Some("Lenovo"), Some("ThinkPad X1 Carbon"), Some("Laptop"))
    );
    assert_eq!(endpoint["labels"], json!(["Floor 3", "Finance"]));
    assert!(!t.meeting("support-specialist").await.to_string().contains("ThinkPad"), "endpoint data is Advanced");

    let (status, problems) = t.upload_text("/endpoints", "PC-1,A,B,C,,,\nPC-2,A,B,C,,,\npc-1,D,E,F,,,\n").await;
    assert_eq!(status, 422, "{problems}");
    let problem = &problems["error"]["problems"][0];
    assert_eq!((problem["line"].as_u64(), problem["column"].as_u64()), (Some(3), Some(1)));
    assert!(problem["message"].as_str().unwrap().contains("line 1"));
}

#[tokio::test]
async fn unmapped_subnets_with_enough_audio_are_reported_until_mapped() {
    let t = tenant().await;
    // Six participants on 10.1.0.0, two audio streams each: 12 streams. Bob's 192.168.1.0 has 2.
    let busy = fixtures::call_json("busy-meeting", 1, 6, 1, ANCHOR - time::Duration::days(3));
    t.pipeline.post(&busy).await;
    let (status, report) = t.get("admin", "/buildings/unmapped-subnets", "").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["items"],
        json!([{ "subnet": "10.1.0.0", "audioStreams": 12 }]),
        "10.20.30.0 has 6 streams, 192.168.1.0 has 2"
    );

    // Re-posting the same call counts nothing twice.
    t.pipeline.post(&busy).await;
    assert_eq!(t.get("admin", "/buildings/unmapped-subnets", "").await.1["items"][0]["audioStreams"], 12);

    let (status, _) = t.upload_text("/buildings", "10.1.0.0,Branch/Net,24,BRANCH-1,,,,Redmond,,US,,,1,0").await;
    assert_eq!(status, 200);
    let (_, report) = t.get("admin", "/buildings/unmapped-subnets", "").await;
    assert_eq!(report["items"], json!([]), "now mapped");
    assert_eq!(t.get("support-engineer", "/buildings/unmapped-subnets", "").await.0, 403);
}

/// Every file sent is in the audit trail — the accepted, the refused and a non-admin's refused
/// attempt — since a building file changes the location shown on every session.
#[tokio::test]
async fn every_file_sent_is_audited_the_refused_ones_too() {
    let t = tenant().await;
    // The sample events share one request id (and the clock one time): each its own request.
    let sent = |name: &str, n: u32| {
        let mut event: Value = serde_json::from_str(&event_text(name)).unwrap();
        event["requestContext"]["requestId"] = json!(format!("upload-{n}"));
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    assert_eq!(t.upload(sent("ingest-put-buildings.json", 1)).await.0, 200);
    assert_eq!(t.upload(sent("ingest-put-buildings-invalid.json", 2)).await.0, 422);
    assert_eq!(t.upload(sent("ingest-put-endpoints.json", 3)).await.0, 200);
    assert_eq!(t.upload(sent("ingest-put-buildings-wrong-role.json", 4)).await.0, 403);
    let (status, trail) = t.get("admin", "/audit", "limit=10").await;
    assert_eq!(status, 200, "{trail}");
    let mut actions: Vec<(String, bool)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["refusedAttempts"].is_null()))
        .collect();
    actions.sort();
    let expected =
        [("buildingsUpload", false), ("buildingsUpload", true), ("buildingsUpload", true), ("endpointsUpload", true)];
    assert_eq!(actions, expected.map(|(a, allowed)| (a.to_owned(), allowed)), "{trail}");
    let (_, uploads) = t.get("admin", "/audit", "action=buildingsUpload").await;
    assert_eq!(uploads["items"].as_array().map(Vec::len), Some(3), "{uploads}");
}
