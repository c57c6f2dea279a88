//! Phone calls (Graph's `getPstnCalls` and `getDirectRoutingCalls` rows) end to end: through
//! `POST /pstn-calls` (and the core the Graph worker calls) into a moto table, then in the
//! user's history beside their Teams calls, in search and CSV export, and out again by erasure.
//! Every storage request goes through its function's role (`tests/iam.rs`).

use callscope_core::app::phone::{AcceptedRow, RowStatus, ingest_phone_rows};
use callscope_core::domain::calls::LineType;
use callscope_core::domain::phone::sip::SipCauses;
use callscope_core::store::items::PhoneItem;
use callscope_core::store::{DynamoStore, keys};
use callscope_core::support::fixtures::HOME_TENANT;
use callscope_http::HttpFunction;
use callscope_tests::samples::ADA;
use callscope_tests::{
    ANCHOR, Person, api_request, as_function, event_request, event_text, events_dir, fresh_store, ingest_app,
    json_response, person_request, query_app, stored_item, table_store,
};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The user of both of Graph's documentation examples.
const RICHARD: &str = "db03c14b-06eb-4189-939b-7cbf3a20ba27";
const PSTN_ROW: &str = "9c4984c7-6c3c-427d-a30c-bd0b2eacee90";
const DIRECT_ROUTING_ROW: &str = "9e8bba57-dc14-533a-a7dd-f0da6575eed1";
/// The other end of the documentation's PSTN call (an inbound one: its caller).
const PSTN_CALLER: &str = "+0123456789";
/// A day after the documentation's calls.
const DOCS_NOW: OffsetDateTime = datetime!(2019-11-02 00:00 UTC);

/// Graph's documentation example `name` (`events/graph/<name>.json`), byte for byte.
fn docs(name: &str) -> Vec<u8> {
    std::fs::read(events_dir().join("graph").join(format!("{name}.json"))).unwrap()
}

/// The ingest and query functions on one fresh table, and the table's own store.
struct Desk {
    ingest: ingest::App,
    query: query::App,
    table: DynamoStore,
}

async fn desk() -> Desk {
    let store = fresh_store().await;
    Desk { ingest: ingest_app(&store), table: table_store(store.table()), query: query_app(store) }
}

impl Desk {
    async fn post(&self, body: &Value) -> (u16, Value) {
        let mut event: Value = serde_json::from_str(&event_text("ingest-post-pstn-calls.json")).unwrap();
        event["body"] = Value::String(body.to_string());
        json_response(self.ingest.handle(lambda_http::request::from_str(&event.to_string()).unwrap()).await)
    }

    async fn get(&self, role: &str, path: &str, query: &[(&str, &str)]) -> (u16, String) {
        let response = self.query.handle(api_request("GET", Some(role), path, query)).await;
        let text = match response.body() {
            lambda_http::Body::Text(text) => text.clone(),
            other => panic!("expected a text body, got {other:?}"),
        };
        (response.status().as_u16(), text)
    }

    async fn history(&self, user: &str) -> Vec<Value> {
        let (status, text) = self.get("support-specialist", &format!("/users/{user}/calls"), &[]).await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<Value>(&text).unwrap()["items"].as_array().unwrap().clone()
    }

    async fn found(&self, search: &str) -> Vec<String> {
        let (status, text) = self.get("support-specialist", "/users", &[("search", search)]).await;
        assert_eq!(status, 200, "{text}");
        let page: Value = serde_json::from_str(&text).unwrap();
        page["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
    }

    async fn erase(&self, id: &str) -> Value {
        let request = api_request("DELETE", Some("admin"), &format!("/users/{}", id.replace('+', "%2B")), &[]);
        let (status, report) = json_response(self.ingest.handle(request).await);
        assert_eq!(status, 200, "{report}");
        report
    }

    async fn row(&self, id: &str) -> Option<PhoneItem> {
        stored_item(self.table.table(), &keys::call_pk(id), keys::PHONE_SK).await
    }
}

fn accepted(id: &str, kind: LineType, status: RowStatus) -> AcceptedRow {
    AcceptedRow { id: id.to_owned(), kind, status }
}

#[tokio::test]
async fn graphs_documentation_examples_are_stored_as_they_are_and_again_change_nothing() {
    let store = fresh_store().await;
    // The Graph worker stores its pages through the same core, under its own role.
    let worker = as_function(&store, "graph-worker");
    let ingest = |body: Vec<u8>, now| {
        let worker = worker.clone();
        async move { ingest_phone_rows(&worker, &body, now, HOME_TENANT).await.unwrap() }
    };
    let pstn = ingest(docs("pstn-calls-docs"), DOCS_NOW).await;
    assert_eq!(pstn, [accepted(PSTN_ROW, LineType::Pstn, RowStatus::Created)]);
    let direct = ingest(docs("direct-routing-calls-docs"), DOCS_NOW).await;
    assert_eq!(direct, [accepted(DIRECT_ROUTING_ROW, LineType::DirectRouting, RowStatus::Created)]);

    let window = (DOCS_NOW - Duration::days(30), DOCS_NOW);
    let history = store.user_history(RICHARD, window, 10, None, DOCS_NOW).await.unwrap().entries;
    let lines: Vec<(&str, LineType, i64)> =
        history.iter().map(|e| (e.call_id.as_str(), e.call_type, e.duration_seconds)).collect();
    assert_eq!(lines, [(DIRECT_ROUTING_ROW, LineType::DirectRouting, 5), (PSTN_ROW, LineType::Pstn, 219)]);
    assert_eq!(history[1].counterpart.as_ref().map(|c| c.id.as_str()), Some(PSTN_CALLER));

    // The same bodies an hour later (the worker's overlap): unchanged, nothing rewritten.
    let table = table_store(store.table());
    let before = callscope_tests::all_items(table.table()).await;
    let later = DOCS_NOW + Duration::hours(1);
    assert_eq!(ingest(docs("pstn-calls-docs"), later).await[0].status, RowStatus::Unchanged);
    assert_eq!(ingest(docs("direct-routing-calls-docs"), later).await[0].status, RowStatus::Unchanged);
    assert_eq!(callscope_tests::all_items(table.table()).await, before, "not one item rewritten");

    // Completed later with another duration: updated, in the history too.
    let mut body: Value = serde_json::from_slice(&docs("pstn-calls-docs")).unwrap();
    body["value"][0]["duration"] = json!(220);
    assert_eq!(ingest(body.to_string().into_bytes(), later).await[0].status, RowStatus::Updated);
    let history = store.user_history(RICHARD, window, 10, None, later).await.unwrap().entries;
    assert_eq!(history[1].duration_seconds, 220);
    let row: PhoneItem = stored_item(table.table(), &keys::call_pk(PSTN_ROW), keys::PHONE_SK).await.unwrap();
    assert_eq!(row.ingested_at, later);
}

/// The SIP codes a helpdesk meets most, with Graph's phrase.
const SIP_CODES: [(i64, &str); 10] = [
    (403, "Forbidden"),
    (404, "Not Found"),
    (408, "Request Timeout"),
    (480, "Temporarily Unavailable"),
    (486, "Busy Here"),
    (487, "Request Terminated"),
    (488, "Not Acceptable Here"),
    (500, "Server Internal Error"),
    (503, "Service Unavailable"),
    (603, "Decline"),
];

/// A Direct Routing call of Ada's out to `callee` that failed with `code`, `hours_ago` before
/// the anchor, shaped as Graph's documentation example.
fn failed_call(code: i64, phrase: &str, hours_ago: i64) -> Value {
    let mut row: Value =
        serde_json::from_slice::<Value>(&docs("direct-routing-calls-docs")).unwrap()["value"][0].clone();
    let start = ANCHOR - Duration::hours(hours_ago);
    let at = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    for (field, value) in [
        ("id", json!(format!("0000{code}-dc14-533a-a7dd-f0da6575eed1"))),
        ("userId", json!(ADA)),
        ("userPrincipalName", json!("ada@contoso.com")),
        ("userDisplayName", json!("Ada Lovelace")),
        ("startDateTime", json!(at(start))),
        ("inviteDateTime", json!(at(start - Duration::seconds(1)))),
        ("failureDateTime", json!(at(start + Duration::seconds(3)))),
        ("endDateTime", json!("0001-01-01T00:00:00Z")),
        ("duration", json!(0)),
        ("callType", json!("ByotOut")),
        ("successfulCall", json!(false)),
        ("callerNumber", json!("+14255550100")),
        ("calleeNumber", json!(format!("+1425555{code:04}"))),
        ("finalSipCode", json!(code)),
        ("callEndSubReason", json!(560_000 + code)),
        ("finalSipCodePhrase", json!(phrase)),
    ] {
        row[field] = value;
    }
    row
}

#[tokio::test]
async fn a_failed_direct_routing_call_per_common_sip_code_is_a_poor_line_beside_a_teams_call() {
    let desk = desk().await;
    assert_eq!(json_response(desk.ingest.handle(event_request("ingest-post-call.json")).await).0, 202);
    let rows: Vec<Value> = SIP_CODES.iter().zip(1..).map(|((code, phrase), h)| failed_call(*code, phrase, h)).collect();
    let (status, body) = desk.post(&json!({ "value": rows })).await;
    assert_eq!(status, 200, "{body}");
    let statuses: Vec<&str> =
        body["accepted"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["created"; 10]);
    assert_eq!(body["accepted"][0]["kind"], "directRouting", "per row, without a context");

    let history = desk.history(ADA).await;
    let phone: Vec<&Value> = history.iter().filter(|l| l["type"] == "directRouting").collect();
    assert_eq!(phone.len(), SIP_CODES.len());
    assert!(history.iter().any(|l| l["type"] == "peerToPeer"), "the Teams call is beside them");
    for (line, (code, _)) in phone.iter().zip(SIP_CODES) {
        assert_eq!(line["callId"], format!("0000{code}-dc14-533a-a7dd-f0da6575eed1"));
        assert_eq!((&line["rating"], &line["callRating"]), (&json!("poor"), &json!("poor")));
        assert_eq!(line["issueCodes"], json!(["call_setup_failed"]), "the product's issue code");
        assert_eq!((&line["direction"], &line["outcome"]), (&json!("outbound"), &json!("failed")));
        assert_eq!((&line["durationSeconds"], &line["participantCount"]), (&json!(0), &json!(2)));
        assert_eq!(line["counterpart"]["kind"], "phone");
        assert_eq!(line["counterpart"]["phone"], "+14255550***", "{line}");
    }
    let text = serde_json::to_string(&history).unwrap();
    assert!(!text.contains("+14255550403") && !text.contains("+14255550100"), "no whole number: {text}");
}

#[tokio::test]
async fn each_failed_call_explains_itself_to_tier_1_in_words_and_to_tier_2_in_sip_terms() {
    let desk = desk().await;
    let rows: Vec<Value> = SIP_CODES.iter().zip(1..).map(|((code, phrase), h)| failed_call(*code, phrase, h)).collect();
    assert_eq!(desk.post(&json!({ "value": rows })).await.0, 200);
    let causes = SipCauses::default();
    for (code, phrase) in SIP_CODES {
        let id = format!("0000{code}-dc14-533a-a7dd-f0da6575eed1");
        let path = format!("/calls/{id}");
        let (status, text) = desk.get("support-specialist", &path, &[("user", ADA)]).await;
        assert_eq!(status, 200, "{text}");
        let specialist: Value = serde_json::from_str(&text).unwrap();
        let words = &causes.cause(Some(code), Some(560_000 + code)).plain;
        assert_eq!(specialist["mainCause"], json!(words), "{code}");
        assert_eq!((&specialist["rating"], &specialist["outcome"]), (&json!("poor"), &json!("failed")));
        assert_eq!(specialist["summary"], "Did not connect.");
        assert_eq!(specialist["callerNumber"], "+14255550***");
        assert_eq!(specialist["user"]["displayName"], "Ada Lovelace");
        for hidden in ["sip", "trunkFqdn", "signalingLocation", "correlationId"] {
            assert!(specialist.get(hidden).is_none(), "{code}: a specialist sees {hidden}");
        }
        assert!(!text.contains(&code.to_string()[..]) || text.contains(&id), "no SIP code in tier 1's words");
        let (status, text) = desk.get("support-engineer", &path, &[("user", ADA)]).await;
        assert_eq!(status, 200, "{text}");
        let engineer: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(engineer["mainCause"], json!(words));
        let sip = &engineer["sip"];
        assert_eq!(
            (&sip["code"], &sip["phrase"], &sip["subReason"]),
            (&json!(code), &json!(phrase), &json!(560_000 + code))
        );
        assert_eq!(sip["from"], "sbc", "a 560 code: the SBC sent it");
        assert_eq!(sip["explanation"], json!(causes.cause(Some(code), Some(560_000 + code)).explanation));
        assert_eq!(engineer["trunkFqdn"], "tll-audiocodes01.adatum.biz");
        assert_eq!(engineer["graphCallType"], "ByotOut");
        assert!(!text.contains("+14255550100"), "no whole number for tier 2 either");
        let (status, _) = desk.get("support-engineer", &format!("{path}/sessions"), &[("user", ADA)]).await;
        assert_eq!(status, 404, "a phone row has no sessions");
    }
    let (status, _) =
        desk.get("support-engineer", "/calls/0000404-dc14-533a-a7dd-f0da6575eed1", &[("user", RICHARD)]).await;
    assert_eq!(status, 404, "another user's phone call");
}

#[tokio::test]
async fn only_admins_see_what_a_pstn_call_cost_and_a_phone_call_can_be_escalated() {
    let desk = desk().await;
    let mut body: Value = serde_json::from_slice(&docs("pstn-calls-docs")).unwrap();
    let at = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    body["value"][0]["startDateTime"] = json!(at(ANCHOR - Duration::hours(2)));
    body["value"][0]["endDateTime"] = json!(at(ANCHOR - Duration::hours(2) + Duration::seconds(219)));
    body["value"][0]["charge"] = json!(0.42);
    assert_eq!(desk.post(&body).await.0, 200);
    let path = format!("/calls/{PSTN_ROW}");
    let read = |role: &'static str| {
        let path = path.clone();
        let desk = &desk;
        async move {
            let (status, text) = desk.get(role, &path, &[("user", RICHARD)]).await;
            assert_eq!(status, 200, "{text}");
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    let (specialist, engineer, admin) =
        (read("support-specialist").await, read("support-engineer").await, read("admin").await);
    assert_eq!(specialist["type"], "pstn");
    assert_eq!(specialist["rating"], "unavailable");
    assert_eq!(specialist["outcome"], "connected");
    assert!(specialist["summary"].as_str().unwrap().starts_with("Connected for 3 min 39 s."));
    assert_eq!(specialist["counterpart"]["phone"], "+0123456***");
    assert!(specialist.get("operator").is_none() && specialist.get("charge").is_none());
    assert_eq!((&engineer["operator"], &engineer["licenseCapability"]), (&json!("Microsoft"), &json!("MCOPSTNU")));
    assert_eq!(engineer["destinationName"], "United States");
    assert!(engineer.get("charge").is_none(), "charges are for admins only");
    assert_eq!((&admin["charge"], &admin["currency"]), (&json!(0.42), &json!("USD")));
    for view in [&specialist, &engineer, &admin] {
        let text = view.to_string();
        assert!(!text.contains(PSTN_CALLER) && !text.contains("+1234567890"), "no whole number: {text}");
    }

    let sam = Person { id: "sam-oid", name: "Sam Specialist", role: "support-specialist" };
    let request = person_request(
        "POST",
        sam,
        &format!("{path}/escalations"),
        &[("user", RICHARD)],
        Some(r#"{"note":"cannot hear callers"}"#),
    );
    let (status, escalation) = json_response(desk.query.handle(request).await);
    assert_eq!(status, 201, "{escalation}");
    assert_eq!((&escalation["call"]["type"], &escalation["call"]["callId"]), (&json!("pstn"), &json!(PSTN_ROW)));
    assert_eq!(escalation["call"]["rating"], "unavailable");
    let request = person_request(
        "POST",
        sam,
        &format!("{path}/escalations"),
        &[("user", RICHARD)],
        Some(r#"{"note":"n","sessionId":"s1"}"#),
    );
    assert_eq!(json_response(desk.query.handle(request).await).0, 422, "a phone call has no sessions");
}

#[tokio::test]
async fn a_row_may_not_take_a_stored_teams_calls_id() {
    let desk = desk().await;
    assert_eq!(json_response(desk.ingest.handle(event_request("ingest-post-call.json")).await).0, 202);
    let teams_call = callscope_tests::graph_record("p2p-pstn.json")["id"].as_str().unwrap().to_owned();
    let mut row = failed_call(404, "Not Found", 1);
    row["id"] = json!(teams_call);
    let (status, body) = desk.post(&json!({ "value": [failed_call(486, "Busy Here", 2), row] })).await;
    assert_eq!(status, 422, "{body}");
    let problem = &body["error"]["problems"][0];
    assert_eq!((&problem["index"], &problem["path"]), (&json!(1), &json!("id")), "{body}");
    assert!(desk.row(&teams_call).await.is_none() && desk.row("0000486-dc14-533a-a7dd-f0da6575eed1").await.is_none());
    let (status, text) = desk.get("support-engineer", &format!("/calls/{teams_call}"), &[("user", ADA)]).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"sessions\""), "still the Teams call: {text}");
}

#[tokio::test]
async fn a_user_known_only_from_phone_rows_is_found_exported_and_erased() {
    let desk = desk().await;
    for name in ["ingest-post-pstn-calls.json", "ingest-post-direct-routing-calls.json"] {
        let (status, body) = json_response(desk.ingest.handle(event_request(name)).await);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"][0]["status"], "created");
    }
    for search in ["richard", "malk", "richard.malk@contoso.com"] {
        assert_eq!(desk.found(search).await, [RICHARD], "{search}");
    }
    let (_, page) = desk.get("support-specialist", &format!("/users/{RICHARD}/calls"), &[]).await;
    let page: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["user"]["displayName"], "Richard Malk", "the history's owner, from a phone row: {page}");

    let (status, csv) = desk.get("support-specialist", &format!("/users/{RICHARD}/calls"), &[("format", "csv")]).await;
    assert_eq!(status, 200, "{csv}");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",issueCodes,callId,direction,outcome"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].contains(",directRouting,'+12345***,5,2,unavailable,unavailable,,"), "{}", rows[0]);
    assert!(rows[0].ends_with(&format!(",{DIRECT_ROUTING_ROW},inbound,connected")), "{}", rows[0]);
    assert!(rows[1].contains(",pstn,'+0123456***,219,2,"), "{}", rows[1]);
    assert!(!csv.contains(PSTN_CALLER), "never the whole number");

    let report = desk.erase(RICHARD).await;
    assert_eq!(report["complete"], true, "{report}");
    assert_eq!(report["historyEntriesDeleted"], 2, "{report}");
    assert!(desk.row(PSTN_ROW).await.is_none() && desk.row(DIRECT_ROUTING_ROW).await.is_none());
    let (status, text) = desk.get("support-specialist", &format!("/users/{RICHARD}/calls"), &[]).await;
    assert_eq!(status, 404, "no history left, so no such user: {text}");
    assert!(desk.found("richard").await.is_empty());
    let index: Option<Value> =
        stored_item(desk.table.table(), &keys::party_pk(PSTN_CALLER), &keys::history_sk(PSTN_ROW)).await;
    assert!(index.is_none(), "the numbers' index entries go with the row");
    // Sent again (the worker's overlap), the rows stay out: their user is erased.
    let (_, body) = json_response(desk.ingest.handle(event_request("ingest-post-pstn-calls.json")).await);
    assert_eq!(body["accepted"][0]["status"], "erased");
    assert!(desk.row(PSTN_ROW).await.is_none());
}

#[tokio::test]
async fn an_erased_number_is_scrubbed_from_the_rows_that_name_it_and_stays_out() {
    let desk = desk().await;
    assert_eq!(json_response(desk.ingest.handle(event_request("ingest-post-pstn-calls.json")).await).0, 200);
    let report = desk.erase(PSTN_CALLER).await;
    assert_eq!((&report["complete"], &report["callsRewritten"]), (&json!(true), &json!(1)), "{report}");
    let row = desk.row(PSTN_ROW).await.expect("the row stays, without the number");
    assert_eq!(row.phone.numbers(), (None, Some("+1234567890")));
    let line = &desk.history(RICHARD).await[0];
    assert!(line.get("counterpart").is_none(), "{line}");
    // Sent again, it is stored without the number: as it is stored, so unchanged.
    let (_, body) = json_response(desk.ingest.handle(event_request("ingest-post-pstn-calls.json")).await);
    assert_eq!(body["accepted"][0]["status"], "unchanged");
    assert_eq!(desk.row(PSTN_ROW).await.unwrap().phone.numbers(), (None, Some("+1234567890")));
}

#[tokio::test]
async fn a_row_without_a_user_or_with_a_problem_stores_nothing() {
    let desk = desk().await;
    let body: Value = serde_json::from_str::<Value>(&event_text("ingest-post-pstn-calls.json")).unwrap();
    let mut page: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
    let mut nobody = page["value"][0].clone();
    nobody["id"] = json!("no-user-row");
    nobody["userId"] = json!("");
    page["value"].as_array_mut().unwrap().push(nobody);
    let (status, answer) = desk.post(&page).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"][1], json!({"id": "no-user-row", "kind": "pstn", "status": "noUser"}));
    assert!(desk.row("no-user-row").await.is_none());

    let mut late = page["value"][0].clone();
    late["id"] = json!("too-old");
    late["endDateTime"] = json!("2026-10-26T11:59:59Z");
    late["startDateTime"] = json!("2026-10-26T11:50:00Z");
    let mut broken = page["value"][0].clone();
    broken["id"] = json!("broken");
    broken["duration"] = json!("long");
    let (status, refused) = desk.post(&json!({ "value": [late.clone()] })).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["problems"][0]["path"], "endDateTime");
    let (status, refused) = desk.post(&json!({ "value": [late, broken] })).await;
    assert_eq!(status, 400, "{refused}");
    let at: Vec<(&Value, &Value)> =
        refused["error"]["problems"].as_array().unwrap().iter().map(|p| (&p["index"], &p["path"])).collect();
    assert_eq!(at, [(&json!(0), &json!("endDateTime")), (&json!(1), &json!("duration"))]);
    assert!(desk.row("too-old").await.is_none());
}

#[tokio::test]
async fn a_thousand_rows_are_stored_and_again_change_nothing() {
    let desk = desk().await;
    let rows: Vec<Value> = (0..1_000)
        .map(|i| {
            let mut row = failed_call(404, "Not Found", 1);
            row["id"] = json!(format!("row-{i:04}"));
            // A hundred users, ten rows each.
            row["userId"] = json!(format!("user-{:03}", i % 100));
            row["userDisplayName"] = json!(format!("Caller {}", i % 100));
            row
        })
        .collect();
    let body = json!({ "value": rows });
    let started = std::time::Instant::now();
    let (status, answer) = desk.post(&body).await;
    let first = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"].as_array().unwrap().len(), 1_000);
    let started = std::time::Instant::now();
    let (_, again) = desk.post(&body).await;
    let second = started.elapsed();
    assert!(again["accepted"].as_array().unwrap().iter().all(|a| a["status"] == "unchanged"));
    // A measurement for BENCHMARKS.md, not an assertion: times are flaky on a shared machine.
    eprintln!("1,000 phone-call rows against moto: stored in {first:?}, sent again (unchanged) in {second:?}");
}

#[tokio::test]
async fn an_erasure_of_a_phone_users_rows_cut_off_anywhere_is_finished_by_running_it_again() {
    use callscope_core::store::ErasureRun;
    use callscope_core::support::deadline::Deadline;
    let personal = ["Richard Malk", "richard.malk@contoso.com", PSTN_CALLER, "+12345678***"];
    for allowed in 0.. {
        let desk = desk().await;
        for name in ["ingest-post-pstn-calls.json", "ingest-post-direct-routing-calls.json"] {
            assert_eq!(json_response(desk.ingest.handle(event_request(name)).await).0, 200);
        }
        let cut = callscope_tests::cut_off_store(desk.table.table(), allowed);
        let run = cut.erase_user(RICHARD, HOME_TENANT, ANCHOR, Deadline::never(), ErasureRun::Request).await;
        let finished = matches!(run, Ok(Some(ref report)) if report.complete);
        if !finished {
            desk.erase(RICHARD).await;
        }
        let items = callscope_tests::all_items(desk.table.table()).await;
        let traces: Vec<String> = items
            .iter()
            .map(callscope_tests::item_text)
            .filter(|text| personal.iter().any(|p| text.contains(p)) || text.contains(&format!("\"USER#{RICHARD}\"")))
            .collect();
        assert_eq!(traces, Vec::<String>::new(), "cut after {allowed} writes");
        if finished {
            assert!(allowed > 8, "the run was cut at every write: {allowed}");
            break;
        }
    }
}

#[tokio::test]
async fn pstn_calls_take_only_json_within_the_cap_from_the_ingest_or_admin_role() {
    let mut desk = desk().await;
    desk.ingest.config.max_body_bytes = 1024;
    let send = |body: String, roles: &str, content_type: &str| {
        let mut event: Value = serde_json::from_str(&event_text("ingest-post-pstn-calls.json")).unwrap();
        event["body"] = Value::String(body);
        event["headers"]["content-type"] = json!(content_type);
        event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] = json!(roles);
        desk.ingest.handle(lambda_http::request::from_str(&event.to_string()).unwrap())
    };
    let small = json!({ "value": [] }).to_string();
    let (status, body) =
        json_response(send(format!("{{\"value\": \"{}\"}}", "x".repeat(1100)), "[ingest]", "application/json").await);
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("payload_too_large")));
    let (status, _) = json_response(send(small.clone(), "[ingest]", "text/plain").await);
    assert_eq!(status, 415);
    let (status, _) = json_response(send(small.clone(), "[support-engineer]", "application/json").await);
    assert_eq!(status, 403);
    let (status, body) = json_response(send(small, "[admin]", "application/json").await);
    assert_eq!((status, body), (200, json!({ "accepted": [] })));
    let (status, body) = json_response(send("{\"value\": [".to_owned(), "[ingest]", "application/json").await);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (&body["error"]["problems"][0]["line"], &body["error"]["problems"][0]["column"]),
        (&json!(1), &json!(11))
    );
}

#[tokio::test]
async fn graphs_documentation_examples_are_accepted_by_post_pstn_calls_byte_for_byte() {
    let mut desk = desk().await;
    desk.ingest.clock = callscope_core::support::clock::Clock::fixed(DOCS_NOW);
    for (name, id, kind) in
        [("pstn-calls-docs", PSTN_ROW, "pstn"), ("direct-routing-calls-docs", DIRECT_ROUTING_ROW, "directRouting")]
    {
        // The file's own text, indentation and `0.00`s and all, as the body.
        let mut event: Value = serde_json::from_str(&event_text("ingest-post-pstn-calls.json")).unwrap();
        event["body"] = Value::String(String::from_utf8(docs(name)).unwrap());
        let (status, body) =
            json_response(desk.ingest.handle(lambda_http::request::from_str(&event.to_string()).unwrap()).await);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"], json!([{ "id": id, "kind": kind, "status": "created" }]));
    }
    let stored = desk.row(DIRECT_ROUTING_ROW).await.unwrap();
    assert_eq!((stored.user_id.as_str(), stored.ingested_at), (RICHARD, DOCS_NOW));
}

#[tokio::test]
async fn an_erasure_that_lands_while_a_row_is_written_is_repaired_by_the_writers_after_check() {
    use callscope_core::store::ErasureRun;
    use callscope_core::support::deadline::Deadline;
    // The user's (the row goes) and the other number's (the row stays, without it), each
    // erased to its end just before the row's commit: the writer read the markers before.
    for erased in [RICHARD, PSTN_CALLER] {
        let store = fresh_store().await;
        let table = store.clone();
        let erase = async move {
            let erasing = as_function(&table, "ingest");
            let done = erasing.erase_user(erased, HOME_TENANT, ANCHOR, Deadline::never(), ErasureRun::Request);
            assert!(done.await.unwrap().unwrap().complete, "{erased}");
        };
        let commit =
            |operation: &str, body: &Value| operation == "PutItem" && callscope_tests::race::sort_key(body) == "#PHONE";
        let racing = callscope_tests::race::before(&as_function(&store, "ingest"), commit, erase);
        let writer = ingest::App { store: racing, ..ingest_app(&store) };
        let (status, body) = json_response(writer.handle(event_request("ingest-post-pstn-calls.json")).await);
        assert_eq!((status, &body["accepted"][0]["status"]), (200, &json!("created")), "{body}");
        let row: Option<PhoneItem> = stored_item(store.table(), &keys::call_pk(PSTN_ROW), keys::PHONE_SK).await;
        let history: Option<Value> =
            stored_item(store.table(), &keys::user_pk(RICHARD), &keys::history_sk(PSTN_ROW)).await;
        if erased == RICHARD {
            assert!(row.is_none() && history.is_none(), "the row and its line are gone");
        } else {
            assert_eq!(row.expect("the row stays").phone.numbers(), (None, Some("+1234567890")));
            assert!(history.expect("the line stays").get("counterpart").is_none());
        }
        let items = callscope_tests::all_items(store.table()).await;
        let traces: Vec<String> =
            items.iter().map(callscope_tests::item_text).filter(|text| text.contains(erased)).collect();
        // Only the erasure's own marker (and its sweep pointer) names whom it erased.
        assert!(traces.iter().all(|t| t.contains("ERASED#") || t.contains("ERASURESWEEPS")), "{erased}: {traces:?}");
    }
}
