//! The tier 1 → tier 2 handoff end to end: the sample tenant ingested and classified through
//! the real pipeline, then escalations through the real query handler, per role and person.

use callscope_core::store::keys;
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, MEETING, P2P, SESSION};
use callscope_tests::{ANCHOR, Person, Pipeline, json_response, person_request, stored_item};
use serde_json::{Value, json};
use std::sync::LazyLock;
use tokio::sync::RwLock;

const SAM: Person = Person { id: "sam-oid", name: "Sam Specialist", role: "support-specialist" };
const SUE: Person = Person { id: "sue-oid", name: "Sue Specialist", role: "support-specialist" };
const ERIN: Person = Person { id: "erin-oid", name: "Erin Engineer", role: "support-engineer" };
const EDDY: Person = Person { id: "eddy-oid", name: "Eddy Engineer", role: "support-engineer" };
const ALEX: Person = Person { id: "alex-oid", name: "Alex Admin", role: "admin" };
const INGEST: Person = Person { id: "graph-connector", name: "Graph connector", role: "ingest" };

struct Desk {
    pipeline: Pipeline,
    app: query::App,
    /// Its hold on the local server (see [`FLOOD`]), kept as long as the test runs.
    _turn: Box<dyn std::any::Any + Send>,
}

/// The claim race floods the local server with requests at once (a thousand under
/// `make stress`); the other tests of this file wait for it to finish rather than share the
/// server with it.
static FLOOD: LazyLock<RwLock<()>> = LazyLock::new(|| RwLock::new(()));

/// The sample tenant (the peer-to-peer call and the meeting), ingested and classified.
async fn desk() -> Desk {
    desk_on(FLOOD.read().await).await
}

async fn desk_on(turn: impl std::any::Any + Send) -> Desk {
    let mut pipeline = Pipeline::new().await;
    let batch = json!({ "value": [callscope_tests::graph_record("p2p-pstn.json"), callscope_tests::graph_record("meeting.json")] });
    pipeline.post(&batch).await;
    pipeline.classify_all().await;
    let app = callscope_tests::query_app(pipeline.store().clone());
    Desk { pipeline, app, _turn: Box::new(turn) }
}

impl Desk {
    async fn send(
        &self,
        method: &str,
        who: Person<'_>,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&str>,
    ) -> (u16, Value) {
        json_response(self.app.handle(person_request(method, who, path, query, body)).await)
    }

    /// `send`, with the header `Idempotency-Key: key`.
    async fn keyed(&self, key: &[u8], who: Person<'_>, path: &str, query: &[(&str, &str)], body: &str) -> (u16, Value) {
        let mut request = person_request("POST", who, path, query, Some(body));
        request.headers_mut().insert("idempotency-key", lambda_http::http::HeaderValue::from_bytes(key).unwrap());
        json_response(self.app.handle(request).await)
    }

    /// Whether `who`'s pointer to escalation `id`, of a note or change of theirs, is stored.
    async fn touched(&self, who: Person<'_>, id: &str) -> bool {
        let (pk, sk) = (keys::escalations_by_pk(who.id), keys::touched_sk(id));
        stored_item::<Value>(self.pipeline.store().table(), &pk, &sk).await.is_some()
    }

    async fn get(&self, who: Person<'_>, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        self.send("GET", who, path, query, None).await
    }

    /// `who` escalates the meeting as Ada's call with `body`.
    async fn escalate(&self, who: Person<'_>, body: &Value) -> (u16, Value) {
        let path = format!("/calls/{MEETING}/escalations");
        self.send("POST", who, &path, &[("user", ADA)], Some(&body.to_string())).await
    }

    /// A new escalation of the meeting by `who`; its id.
    async fn escalated(&self, who: Person<'_>, note: &str) -> String {
        let (status, body) = self.escalate(who, &json!({ "note": note })).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    async fn note(&self, who: Person<'_>, id: &str, note: &str) -> (u16, Value) {
        self.send("POST", who, &format!("/escalations/{id}/notes"), &[], Some(&json!({ "note": note }).to_string()))
            .await
    }

    async fn change(&self, who: Person<'_>, id: &str, action: &str) -> (u16, Value) {
        self.send("POST", who, &format!("/escalations/{id}/{action}"), &[], None).await
    }

    /// The ids of a list page.
    async fn listed(&self, who: Person<'_>, query: &[(&str, &str)]) -> Vec<String> {
        let (status, page) = self.get(who, "/escalations", query).await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
    }

    /// DELETE /users/{id} through the ingest function, as an admin.
    async fn erase(&self, id: &str) -> Value {
        let request = callscope_tests::api_request("DELETE", Some("admin"), &format!("/users/{id}"), &[]);
        let (status, report) = json_response(self.pipeline.ingest.handle(request).await);
        assert_eq!(status, 200, "{report}");
        report
    }
}

#[tokio::test]
async fn a_specialist_hands_a_call_to_tier_2_who_claims_notes_and_resolves_it() {
    let desk = desk().await;
    let body = json!({ "note": "Ada says the meeting kept freezing", "ticket": "INC-4711", "sessionId": SESSION });
    let (status, opened) = desk.escalate(SAM, &body).await;
    assert_eq!(status, 201, "{opened}");
    let id = opened["id"].as_str().unwrap().to_owned();
    assert_eq!(opened["state"], "open");
    assert_eq!(opened["ticket"], "INC-4711");
    assert_eq!(opened["call"]["callId"], MEETING);
    assert_eq!(opened["call"]["userName"], "Ada Lovelace");
    assert_eq!(opened["call"]["sessionId"], SESSION);
    assert_eq!(opened["callLink"], format!("/calls/{MEETING}?user={ADA}"));
    assert_eq!(opened["openedBy"], json!({ "role": "support-specialist", "label": "Sam Specialist", "you": true }));
    assert_eq!(opened["notes"][0]["text"], "Ada says the meeting kept freezing");

    // Tier 2's queue holds it, with the specialist's name; a specialist has no queue.
    let (status, queue) = desk.get(ERIN, "/escalations", &[]).await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["items"][0]["openedBy"]["label"], "Sam Specialist");
    assert_eq!(queue["items"][0]["excerpt"], "Ada says the meeting kept freezing");
    assert_eq!(desk.get(SAM, "/escalations", &[]).await.0, 403);
    assert_eq!(desk.listed(SAM, &[("mine", "true")]).await, [id.as_str()]);
    assert_eq!(desk.listed(SUE, &[("mine", "true")]).await, Vec::<String>::new());

    // The engineer claims it and writes back; one claim only.
    let (status, claimed) = desk.change(ERIN, &id, "claim").await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["state"], "claimed");
    assert_eq!(claimed["claimedBy"]["label"], "Erin Engineer");
    let (status, conflict) = desk.change(EDDY, &id, "claim").await;
    assert_eq!((status, conflict["error"]["code"].as_str()), (409, Some("conflict")), "{conflict}");
    let (status, again) = desk.change(ERIN, &id, "claim").await;
    assert_eq!((status, again["claimedBy"]["label"].as_str()), (200, Some("Erin Engineer")), "a retry keeps the claim");
    assert_eq!(desk.change(SAM, &id, "claim").await.0, 403);
    assert_eq!(desk.listed(ERIN, &[("state", "open")]).await, Vec::<String>::new());
    assert_eq!(desk.listed(ERIN, &[("state", "claimed")]).await, [id.as_str()]);
    let (status, noted) = desk.note(ERIN, &id, "Packet loss on the Seattle uplink; asked network team").await;
    assert_eq!(status, 201, "{noted}");
    assert_eq!(noted["notes"].as_array().unwrap().len(), 2);

    // The specialist sees the engineer as "Support engineer", never by name.
    let (status, seen) = desk.get(SAM, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        seen["notes"][1]["author"],
        json!({ "role": "support-engineer", "label": "Support engineer", "you": false })
    );
    assert_eq!(seen["claimedBy"]["label"], "Support engineer");
    assert!(!seen.to_string().contains("Erin") && !seen.to_string().contains("erin-oid"), "{seen}");
    // Only the opener among specialists: another one finds nothing, and cannot add to it.
    assert_eq!(desk.get(SUE, &format!("/escalations/{id}"), &[]).await.0, 404);
    assert_eq!(desk.note(SUE, &id, "me too").await.0, 404);
    assert_eq!(desk.note(SAM, &id, "Ada confirms it happens daily").await.0, 201);
    // An admin sees every name.
    let (_, admin) = desk.get(ALEX, &format!("/escalations/{id}"), &[]).await;
    let labels: Vec<&str> =
        admin["notes"].as_array().unwrap().iter().map(|n| n["author"]["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Sam Specialist", "Erin Engineer", "Sam Specialist"]);

    let (status, resolved) = desk.change(ALEX, &id, "resolve").await;
    assert_eq!((status, resolved["state"].as_str()), (200, Some("resolved")), "{resolved}");
    assert_eq!(resolved["resolvedBy"]["label"], "Alex Admin");
    assert_eq!(desk.change(ERIN, &id, "resolve").await.0, 409);
    assert_eq!(desk.change(ERIN, &id, "claim").await.0, 409);
    assert_eq!(desk.listed(ERIN, &[("state", "resolved")]).await, [id.as_str()]);

    // Every read and change is in the audit trail, with the escalation it was about.
    let (_, audit) = desk.get(ALEX, "/audit", &[("limit", "100")]).await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["targetEscalation"] == id.as_str())
        .map(|e| (e["action"].as_str().unwrap(), e["role"].as_str().unwrap()))
        .collect();
    for expected in [
        ("escalationClaim", "support-engineer"),
        ("escalationNote", "support-specialist"),
        ("escalation", "admin"),
        ("escalationResolve", "admin"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "escalate" && e["targetCall"] == MEETING));
}

#[tokio::test]
async fn every_route_refuses_who_may_not_and_finds_nothing_where_nothing_is() {
    let desk = desk().await;
    let id = desk.escalated(SAM, "freezing").await;
    for (method, path, body) in [
        ("POST", format!("/calls/{MEETING}/escalations"), Some(r#"{"note":"n"}"#)),
        ("GET", "/escalations".to_owned(), None),
        ("GET", format!("/escalations/{id}"), None),
        ("POST", format!("/escalations/{id}/notes"), Some(r#"{"note":"n"}"#)),
        ("POST", format!("/escalations/{id}/claim"), None),
        ("POST", format!("/escalations/{id}/resolve"), None),
    ] {
        let (status, _) = desk.send(method, INGEST, &path, &[("user", ADA)], body).await;
        assert_eq!(status, 403, "{method} {path} as ingest");
        let anonymous = callscope_tests::api_request(method, None, &path, &[("user", ADA)]);
        assert_eq!(json_response(desk.app.handle(anonymous).await).0, 401, "{method} {path} unauthenticated");
    }
    for action in ["claim", "resolve"] {
        assert_eq!(desk.change(SAM, &id, action).await.0, 403, "{action} by the opener, a specialist");
        assert_eq!(desk.change(ERIN, "no-such-escalation", action).await.0, 404);
    }
    assert_eq!(desk.get(ERIN, "/escalations/no-such-escalation", &[]).await.0, 404);
    assert_eq!(desk.note(ERIN, "no-such-escalation", "n").await.0, 404);

    // The call must be visible for that user, exactly as its detail is.
    let note = Some(r#"{"note":"n"}"#);
    let post = |call: &str| format!("/calls/{call}/escalations");
    assert_eq!(desk.send("POST", SAM, &post(P2P), &[("user", "not-a-participant")], note).await.0, 404);
    assert_eq!(desk.send("POST", SAM, &post("no-such-call"), &[("user", ADA)], note).await.0, 404);
    let (status, missing) = desk.send("POST", SAM, &post(MEETING), &[], note).await;
    assert_eq!((status, missing["error"]["message"].as_str().unwrap().contains("`user`")), (400, true), "{missing}");
    let (status, body) = desk.escalate(SAM, &json!({ "note": "n", "sessionId": "not-a-session-of-it" })).await;
    assert_eq!((status, body["error"]["problems"][0]["path"].as_str()), (422, Some("sessionId")), "{body}");
    let (status, body) = desk.get(ERIN, "/escalations", &[("state", "closed")]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")));
}

#[tokio::test]
async fn notes_are_checked_kept_as_given_and_defused_in_csv() {
    let desk = desk().await;
    let hostile = r#"=HYPERLINK("http://evil.example","click") <img src=x onerror=alert(1)>"#;
    let id = desk.escalated(SAM, hostile).await;
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["notes"][0]["text"], hostile, "stored and served exactly as given, as JSON text");

    let response = desk.app.handle(person_request("GET", ERIN, "/escalations", &[("format", "csv")], None)).await;
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let lambda_http::Body::Text(csv) = response.body() else { panic!("a text body") };
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains(r#"'=HYPERLINK"#) && row.contains("Sam Specialist"), "{row}");

    let at_limit = "é".repeat(2_000);
    assert_eq!(desk.note(ERIN, &id, &at_limit).await.0, 201);
    let (status, body) = desk.note(ERIN, &id, &format!("{at_limit}x")).await;
    assert_eq!((status, body["error"]["problems"][0]["path"].as_str()), (400, Some("note")), "{body}");
    let (status, body) = desk.escalate(SAM, &json!({ "note": "n", "ticket": "T".repeat(101) })).await;
    assert_eq!((status, body["error"]["problems"][0]["path"].as_str()), (400, Some("ticket")), "{body}");
    let path = format!("/escalations/{id}/notes");
    let (status, body) =
        desk.send("POST", ERIN, &path, &[], Some("{\n  \"note\": \"n\",\n  \"author\": \"Alex\"\n}")).await;
    let problem = &body["error"]["problems"][0];
    assert_eq!(
        (status, problem["path"].as_str(), problem["line"].as_u64(), problem["column"].as_u64()),
        (400, Some("author"), Some(3), Some(10)),
        "{body}"
    );

    // A 10 MB body is refused before it is read, and nothing is added.
    let huge = json!({ "note": "x".repeat(10 * 1024 * 1024) }).to_string();
    let (status, body) = desk.send("POST", ERIN, &path, &[], Some(&huge)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("payload_too_large")));
    let mut request = person_request("POST", ERIN, &path, &[], Some(r#"{"note":"n"}"#));
    request.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(json_response(desk.app.handle(request).await).0, 415);
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["notes"].as_array().unwrap().len(), 2, "only the note at the limit was added");

    // An escalation holds at most 40 notes.
    for n in 2..40 {
        assert_eq!(desk.note(ERIN, &id, &format!("note {n}")).await.0, 201, "note {n}");
    }
    let (status, body) = desk.note(ERIN, &id, "one too many").await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
}

#[tokio::test]
async fn of_many_concurrent_claims_exactly_one_wins() {
    let desk = desk_on(FLOOD.write().await).await;
    let id = desk.escalated(SAM, "freezing").await;
    let engineers: Vec<String> =
        (0..callscope_tests::stress_size(1_000, 100)).map(|n| format!("engineer-{n}")).collect();
    // Each client does as a 503's Retry-After asks: moto, one process, turns some of a
    // thousand simultaneous requests away, as a throttled table would, and an answer can be lost
    // after the claim was made (the winner's retry then gets its claim back, never a second one).
    let claims = engineers.iter().map(|engineer| {
        let who = Person { id: engineer, name: engineer, role: "support-engineer" };
        let desk = &desk;
        let id = &id;
        async move {
            loop {
                let answer = desk.change(who, id, "claim").await;
                if answer.0 != 503 {
                    return answer;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 + fastrand::u64(..200))).await;
            }
        }
    });
    let statuses: Vec<u16> = futures::future::join_all(claims).await.into_iter().map(|(status, _)| status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "one winner");
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        engineers.len() - 1,
        "every other claim lost: {statuses:?}"
    );
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["state"], "claimed");
    assert!(seen["claimedBy"]["label"].as_str().unwrap().starts_with("engineer-"));
}

#[tokio::test]
async fn an_escalation_expires_with_its_call() {
    let desk = desk().await;
    let id = desk.escalated(SAM, "freezing").await;
    let expires = callscope_tests::stored_header(desk.pipeline.store(), MEETING).await.expires_at;
    let stored: Value =
        stored_item(desk.pipeline.store().table(), &keys::escalation_pk(&id), keys::ESCALATION_SK).await.unwrap();
    assert_eq!(stored["expiresAt"], expires, "the escalation expires when its call does");
    let mut later = callscope_tests::query_app(desk.pipeline.store().clone());
    let at = |epoch: i64| time::OffsetDateTime::from_unix_timestamp(epoch).unwrap();
    later.clock = callscope_core::support::clock::Clock::fixed(at(expires - 1));
    let send = |app: &query::App, method: &str, path: &str, query: &[(&str, &str)]| {
        let request = person_request(method, ERIN, path, query, None);
        let app = app.clone();
        async move { json_response(app.handle(request).await) }
    };
    assert_eq!(send(&later, "GET", &format!("/escalations/{id}"), &[]).await.0, 200, "a second before");
    // DynamoDB deletes expired items late: until it does, reads filter them out.
    later.clock = callscope_core::support::clock::Clock::fixed(at(expires));
    assert_eq!(send(&later, "GET", &format!("/escalations/{id}"), &[]).await.0, 404, "at expiry");
    let (_, queue) = send(&later, "GET", "/escalations", &[]).await;
    assert_eq!(queue["items"], json!([]));
    let (_, mine) =
        json_response(later.handle(person_request("GET", SAM, "/escalations", &[("mine", "true")], None)).await);
    assert_eq!(mine["items"], json!([]));
    assert_eq!(send(&later, "POST", &format!("/escalations/{id}/claim"), &[]).await.0, 404);
    assert!(ANCHOR.unix_timestamp() < expires);
}

#[tokio::test]
async fn erasing_the_user_removes_the_notes_and_erasing_the_opener_their_name() {
    let desk = desk().await;
    let about_ada = desk.escalated(SAM, "Ada Lovelace says it froze").await;
    assert_eq!(desk.note(ERIN, &about_ada, "Ada's laptop is on Wi-Fi").await.0, 201);
    let report = desk.erase(ADA).await;
    assert_eq!(report["escalationsRewritten"], 1, "{report}");
    let (status, seen) = desk.get(ERIN, &format!("/escalations/{about_ada}"), &[]).await;
    assert_eq!(status, 200, "the escalation stays, without her");
    assert_eq!((seen["call"]["userId"].as_str(), seen["call"].get("userName")), (Some("erased"), None));
    assert!(
        seen["notes"].as_array().unwrap().iter().all(|n| n["removed"] == true && n.get("text").is_none()),
        "{seen}"
    );
    assert!(!seen.to_string().contains("Ada"), "{seen}");
    assert!(
        stored_item::<Value>(desk.pipeline.store().table(), &keys::escalations_about_pk(ADA), &about_ada)
            .await
            .is_none()
    );
    // Her marker holds: her call can no longer be escalated.
    assert_eq!(desk.escalate(SAM, &json!({ "note": "again" })).await.0, 404);
}

#[tokio::test]
async fn erasing_the_opener_takes_their_name_and_notes_and_keeps_the_rest() {
    let desk = desk().await;
    let id = desk.escalated(SAM, "Sam here: freezing").await;
    assert_eq!(desk.note(ERIN, &id, "Looking").await.0, 201);
    assert_eq!(desk.change(ERIN, &id, "claim").await.0, 200);
    let report = desk.erase(SAM.id).await;
    assert_eq!(report["escalationsRewritten"], 1, "{report}");
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["openedBy"]["label"], "Erased user");
    assert_eq!(seen["notes"][0]["removed"], true);
    assert_eq!(seen["notes"][1]["text"], "Looking");
    assert_eq!(seen["claimedBy"]["label"], "Erin Engineer");
    assert_eq!(seen["call"]["userName"], "Ada Lovelace", "the call is still Ada's");
    assert!(!seen.to_string().contains("Sam"), "{seen}");
    let opened = keys::opened_sk(
        time::OffsetDateTime::parse(seen["openedAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap(),
        &id,
    );
    assert!(
        stored_item::<Value>(desk.pipeline.store().table(), &keys::escalations_by_pk(SAM.id), &opened).await.is_none()
    );
    // Erasing the engineer who claimed it and wrote in it reaches it through what they touched.
    assert_eq!(desk.erase(ERIN.id).await["escalationsRewritten"], 1);
    let (_, seen) = desk.get(EDDY, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(
        (seen["claimedBy"]["label"].as_str(), seen["notes"][1]["removed"].as_bool()),
        (Some("Erased user"), Some(true))
    );
    // The marker holds: what an erased person writes afterwards is written without their name.
    let (status, again) = desk.escalate(SAM, &json!({ "note": "written after the erasure" })).await;
    assert_eq!(status, 201, "{again}");
    let (_, engineer_view) = desk.get(EDDY, &format!("/escalations/{}", again["id"].as_str().unwrap()), &[]).await;
    assert_eq!(engineer_view["openedBy"]["label"], "Erased user");
    let items = callscope_tests::all_items(desk.pipeline.store().table()).await;
    let pointers: Vec<&str> = items
        .iter()
        .filter_map(|i| i["PK"].as_s().ok())
        .filter(|pk| pk.starts_with("ESCBY#"))
        .map(String::as_str)
        .collect();
    assert_eq!(pointers, Vec::<&str>::new(), "no pointer names Sam, Erin or the placeholder: {pointers:?}");
}

#[tokio::test]
async fn the_queue_pages_newest_first_and_refuses_foreign_cursors() {
    let desk = desk().await;
    let mut opened = Vec::new();
    for n in 0..23 {
        let mut app = desk.app.clone();
        app.clock = callscope_core::support::clock::Clock::fixed(ANCHOR - time::Duration::minutes(n));
        let request = person_request(
            "POST",
            SAM,
            &format!("/calls/{MEETING}/escalations"),
            &[("user", ADA)],
            Some(r#"{"note":"n"}"#),
        );
        let (status, body) = json_response(app.handle(request).await);
        assert_eq!(status, 201, "{body}");
        opened.push(body["id"].as_str().unwrap().to_owned());
    }
    let pages = callscope_tests::every_page(10, async |query| desk.get(ERIN, "/escalations", query).await).await;
    let seen: Vec<String> = callscope_tests::page_items(&pages).map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, opened, "every escalation once, newest first");
    let (_, first) = desk.get(ERIN, "/escalations", &[("limit", "10")]).await;
    let cursor = first["nextCursor"].as_str().unwrap();
    assert_eq!(
        desk.get(ERIN, "/escalations", &[("state", "claimed"), ("cursor", cursor)]).await.0,
        400,
        "another state"
    );
    assert_eq!(desk.get(SAM, "/escalations", &[("mine", "true"), ("cursor", cursor)]).await.0, 400, "another list");
    let (_, mine) = desk.get(SAM, "/escalations", &[("mine", "true"), ("limit", "20")]).await;
    let (status, rest) =
        desk.get(SUE, "/escalations", &[("mine", "true"), ("cursor", mine["nextCursor"].as_str().unwrap())]).await;
    assert_eq!(status, 400, "a cursor of one person's list is not another's: {rest}");
    let (_, rest) =
        desk.get(SAM, "/escalations", &[("mine", "true"), ("cursor", mine["nextCursor"].as_str().unwrap())]).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn each_escalation_route_makes_few_requests_and_never_scans() {
    let desk = desk().await;
    let (store, requests) = callscope_tests::counted_store(desk.pipeline.store().table());
    let counted = Desk { app: callscope_tests::query_app(store), ..desk };
    // A warm function has put today into the audit trail's day index (once per day).
    counted.get(ERIN, "/escalations", &[]).await;
    requests.take();
    let sent = || requests.take_sorted();
    let id = counted.escalated(SAM, "freezing").await;
    assert_eq!(
        sent(),
        ["BatchGetItem", "BatchGetItem", "PutItem", "Query", "TransactWriteItems"],
        "the call's detail, the audit entry, erasure markers before and after, one transaction"
    );
    counted.get(ERIN, "/escalations", &[]).await;
    assert_eq!(sent(), ["PutItem", "Query"], "a queue page is one Query");
    counted.get(SAM, "/escalations", &[("mine", "true")]).await;
    assert_eq!(sent(), ["BatchGetItem", "PutItem", "Query"], "the pointers, then the escalations as they are");
    counted.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(sent(), ["GetItem", "PutItem"]);
    counted.note(ERIN, &id, "looking").await;
    let change = ["BatchGetItem", "BatchGetItem", "GetItem", "GetItem", "PutItem", "TransactWriteItems"];
    assert_eq!(sent(), change, "read, then the note and its pointer in one transaction, then read back");
    counted.change(ERIN, &id, "claim").await;
    assert_eq!(sent(), change, "one conditional transaction decides, and writes the pointer with the change");
}

#[tokio::test]
async fn a_note_overtaken_by_an_erasure_of_its_author_is_taken_out_again() {
    let desk = desk().await;
    let id = desk.escalated(SAM, "Ada's meeting froze").await;
    assert_eq!(desk.change(ERIN, &id, "claim").await.0, 200);
    // Erin's erasure lands after the function read who is erased, just before it writes her note.
    let ingest = desk.pipeline.ingest.clone();
    let erase_erin = async move {
        let request = callscope_tests::api_request("DELETE", Some("admin"), &format!("/users/{}", ERIN.id), &[]);
        let (status, report) = json_response(ingest.handle(request).await);
        assert_eq!(status, 200, "{report}");
    };
    let escalation = format!("\"{}\"", keys::escalation_pk(&id));
    let at_note = move |operation: &str, body: &Value| {
        operation == "TransactWriteItems" && body.to_string().contains(&escalation)
    };
    let racing = callscope_tests::race::before(desk.pipeline.store(), at_note, erase_erin);
    let app = query::App { store: callscope_tests::as_function(&racing, "query"), ..desk.app.clone() };
    let note = Some(r#"{"note": "Asked the network team"}"#);
    let request = person_request("POST", ERIN, &format!("/escalations/{id}/notes"), &[], note);
    let (status, noted) = json_response(app.handle(request).await);
    assert_eq!(status, 201, "{noted}");
    let (_, seen) = desk.get(EDDY, &format!("/escalations/{id}"), &[]).await;
    assert!(!seen.to_string().contains("Erin Engineer"), "her name, taken out again: {seen}");
    assert_eq!(seen["notes"][1]["removed"], true, "{seen}");
    let (pk, sk) = (keys::escalations_by_pk(ERIN.id), keys::touched_sk(&id));
    let pointer: Option<Value> = stored_item(desk.pipeline.store().table(), &pk, &sk).await;
    assert!(pointer.is_none(), "the note's pointer to her, deleted again");
}

#[tokio::test]
async fn a_retried_claim_resolution_or_note_writes_the_pointer_the_first_attempt_lost() {
    let desk = desk().await;
    let id = desk.escalated(SAM, "freezing").await;
    let table = desk.pipeline.store().table();
    // A first attempt that cannot write Erin's pointer changes nothing: the pointer and the
    // change it records are written together, or not at all.
    let spared = callscope_tests::sparing_store(table, &keys::escalations_by_pk(ERIN.id));
    let cut = query::App { store: spared, ..desk.app.clone() };
    for (path, body) in [("notes", Some(r#"{"note": "looking"}"#)), ("claim", None)] {
        let request = person_request("POST", ERIN, &format!("/escalations/{id}/{path}"), &[], body);
        let (status, answer) = json_response(cut.handle(request).await);
        assert!(status >= 500, "{path}: {status} {answer}");
    }
    let (_, seen) = desk.get(ALEX, &format!("/escalations/{id}"), &[]).await;
    assert_eq!((seen["state"].as_str(), seen["notes"].as_array().unwrap().len()), (Some("open"), 1), "{seen}");
    assert!(!desk.touched(ERIN, &id).await);

    // A pointer lost after its change (deleted here by hand) is written again by the retry.
    assert_eq!(desk.note(ERIN, &id, "looking").await.0, 201);
    assert!(desk.touched(ERIN, &id).await, "a note writes its pointer");
    for action in ["claim", "resolve"] {
        assert_eq!(desk.change(ERIN, &id, action).await.0, 200, "{action}");
        assert!(desk.touched(ERIN, &id).await, "{action} writes its pointer");
        let pointer = [keys::escalations_by_pk(ERIN.id), keys::touched_sk(&id)];
        let key = ["PK", "SK"].into_iter().zip(pointer.map(aws_sdk_dynamodb::types::AttributeValue::S));
        let deleted = callscope_tests::local_client()
            .delete_item()
            .table_name(table)
            .set_key(Some(key.map(|(k, v)| (k.to_owned(), v)).collect()));
        deleted.send().await.unwrap();
        let (status, again) = desk.change(ERIN, &id, action).await;
        assert_eq!(status, 200, "the same holder's retry of {action}: {again}");
        assert!(desk.touched(ERIN, &id).await, "the retry of {action} wrote the pointer again");
    }
    // So an erasure of Erin reaches what she did.
    assert_eq!(desk.erase(ERIN.id).await["escalationsRewritten"], 1);
    let (_, seen) = desk.get(ALEX, &format!("/escalations/{id}"), &[]).await;
    assert!(!seen.to_string().contains("Erin"), "{seen}");
}

#[tokio::test]
async fn an_idempotency_key_makes_a_repeated_create_or_note_count_once() {
    let desk = desk().await;
    let create = format!("/calls/{MEETING}/escalations");
    let user = [("user", ADA)];
    let body = r#"{"note": "Ada's meeting froze", "ticket": "INC-1"}"#;
    let (status, first) = desk.keyed(b"create-1", SAM, &create, &user, body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = desk.keyed(b"create-1", SAM, &create, &user, body).await;
    assert_eq!((status, &again), (201, &first), "the repeat answers like the first");
    let (status, other) = desk.keyed(b"create-2", SAM, &create, &user, body).await;
    assert_eq!(status, 201, "{other}");
    assert_ne!(other["id"], first["id"], "another key, another escalation");
    assert_eq!(desk.listed(ERIN, &[]).await.len(), 2);

    let id = first["id"].as_str().unwrap();
    let notes = format!("/escalations/{id}/notes");
    let note = r#"{"note": "Packet loss on the uplink"}"#;
    for _ in 0..3 {
        let (status, noted) = desk.keyed(b"note-1", ERIN, &notes, &[], note).await;
        assert_eq!((status, noted["notes"].as_array().unwrap().len()), (201, 2), "{noted}");
    }
    // Keys are the caller's own: another engineer's same key is another request.
    assert_eq!(desk.keyed(b"note-1", EDDY, &notes, &[], note).await.0, 201);
    // Sent five times at once, a key still adds one note: the losers find it taken.
    let at_once = (0..5).map(|_| desk.keyed(b"note-2", ERIN, &notes, &[], note));
    for (status, noted) in futures::future::join_all(at_once).await {
        assert_eq!((status, noted["notes"].as_array().unwrap().len()), (201, 4), "{noted}");
    }
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["notes"].as_array().unwrap().len(), 4, "{seen}");

    // A key used again for anything else is refused, and adds nothing.
    for (path, body) in [
        (notes.as_str(), r#"{"note": "Something else"}"#),
        (format!("/escalations/{}/notes", other["id"].as_str().unwrap()).as_str(), note),
    ] {
        let (status, refused) = desk.keyed(b"note-1", ERIN, path, &[], body).await;
        let problem = &refused["error"]["problems"][0];
        assert_eq!((status, problem["path"].as_str()), (422, Some("Idempotency-Key")), "{refused}");
        assert!(problem["message"].as_str().unwrap().contains("different request"), "{refused}");
    }
    let (status, refused) = desk.keyed(b"create-1", SAM, &notes, &[], note).await;
    assert_eq!(status, 422, "a create's key reused for a note: {refused}");
    let (status, refused) = desk.keyed(b"create-1", SAM, &create, &user, r#"{"note": "another"}"#).await;
    assert_eq!(status, 422, "{refused}");

    // A key that is not one: 400, nothing written.
    for bad in [&[b'k'; 256][..], b"caf\xc3\xa9", b"tab\tkey"] {
        let (status, refused) = desk.keyed(bad, ERIN, &notes, &[], note).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("invalid_parameter")), "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("Idempotency-Key"), "{refused}");
    }
    assert_eq!(desk.keyed(&[b'k'; 255], ERIN, &notes, &[], note).await.0, 201, "255 bytes is a key");
    let (_, seen) = desk.get(ERIN, &format!("/escalations/{id}"), &[]).await;
    assert_eq!(seen["notes"].as_array().unwrap().len(), 5, "{seen}");
    assert_eq!(desk.listed(ERIN, &[]).await.len(), 2);

    // A key is remembered a day, under a hash: no caller id, no key in clear.
    let items = callscope_tests::all_items(desk.pipeline.store().table()).await;
    let remembered: Vec<_> =
        items.iter().filter(|i| i["PK"].as_s().is_ok_and(|pk| pk.starts_with("IDEMPOTENCY#"))).collect();
    assert_eq!(remembered.len(), 6, "two creates, four notes");
    for item in remembered {
        let text = callscope_tests::item_text(item);
        assert!(!text.contains("sam-oid") && !text.contains("erin-oid") && !text.contains("note-1"), "{text}");
        let expires: i64 = item["expiresAt"].as_n().unwrap().parse().unwrap();
        assert_eq!(expires, ANCHOR.unix_timestamp() + 24 * 60 * 60, "{text}");
    }
}
