//! Finding people and knowing who asks: search over a tenant of 5,000 users with 300 Johns,
//! `GET /me` for each source of a role (app roles, Entra directory roles in `wids`), the
//! history's owner, and the audit trail filtered by action.

use callscope_core::domain::graph::{Party, PartyKind};
use callscope_core::store::items::DirectoryItem;
use callscope_core::support::fixtures;
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, ADMIN, ENGINEER, SPECIALIST};
use callscope_tests::{ANCHOR, Pipeline, RequestLog, counted_store};
use lambda_http::Request;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const HOME: &str = fixtures::HOME_TENANT;
const JOHNS: usize = 300;
const SMITHS: usize = 20;
const USERS: usize = 5000;
/// Which of the Johns is John Smith.
const JOHN_SMITH: usize = 150;

/// User `n` of the big tenant: Johns first (one of them John Smith), then other Smiths, then
/// everyone else, half of whose first names start with a J too.
fn person(n: usize) -> (String, String, String) {
    let (first, last) = match n {
        JOHN_SMITH => ("John".to_owned(), "Smith".to_owned()),
        n if n < JOHNS => ("John".to_owned(), format!("Surname{n:03}")),
        n if n < JOHNS + SMITHS => (format!("Alice{n}"), "Smith".to_owned()),
        n => (["Jane", "Joe", "Ann", "Bea", "Jack", "Kim", "Jim", "Lou"][n % 8].to_owned(), format!("Lastname{n}")),
    };
    let upn = format!("{}.{}{n}@contoso.com", first.to_lowercase(), last.to_lowercase());
    (fixtures::user_id(10_000 + n), format!("{first} {last}"), upn)
}

/// 5,000 users in the directory; the Johns and Smiths have calls (through ingest), the rest
/// only directory entries (written directly: they are what a search reads past).
async fn big_tenant() -> (Pipeline, query::App, RequestLog) {
    let pipeline = Pipeline::new().await;
    let client = callscope_tests::local_client();
    let table = pipeline.store().table().to_owned();
    let expires = (ANCHOR + time::Duration::days(20)).unix_timestamp();
    let mut items = Vec::new();
    for n in JOHNS + SMITHS..USERS {
        let (id, name, upn) = person(n);
        let party = Party {
            id,
            kind: PartyKind::User,
            display_name: Some(name),
            user_principal_name: Some(upn),
            tenant_id: Some(HOME.to_owned()),
        };
        items.extend(DirectoryItem::all(&party, expires));
    }
    for chunk in items.chunks(25) {
        let writes = chunk
            .iter()
            .map(|item| {
                let put = aws_sdk_dynamodb::types::PutRequest::builder()
                    .set_item(Some(serde_dynamo::aws_sdk_dynamodb_1::to_item(item).unwrap()))
                    .build()
                    .unwrap();
                aws_sdk_dynamodb::types::WriteRequest::builder().put_request(put).build()
            })
            .collect();
        client.batch_write_item().request_items(&table, writes).send().await.unwrap();
    }
    // The Johns and the Smiths call: four meetings of 80.
    for meeting in 0..(JOHNS + SMITHS) / 80 {
        let mut call = fixtures::call_json(&format!("big-{meeting}"), 1, 80, 1, ANCHOR - time::Duration::hours(5));
        rename(&mut call, &|n| person(meeting * 80 + n));
        pipeline.post(&json!({ "value": [call] })).await;
    }
    let (store, requests) = counted_store(&table);
    (pipeline, callscope_tests::query_app(store), requests)
}

/// Gives synthetic participant `n` of a fixture call the identity `who(n)`.
fn rename(value: &mut Value, who: &dyn Fn(usize) -> (String, String, String)) {
    match value {
        Value::Object(map) => {
            let n = map.get("id").and_then(Value::as_str).and_then(|id| (0..80).find(|n| fixtures::user_id(*n) == id));
            if let (Some(n), true) = (n, map.contains_key("tenantId") || map.contains_key("identity")) {
                let (id, name, upn) = who(n);
                map.insert("id".into(), json!(id));
                if map.contains_key("displayName") {
                    map.insert("displayName".into(), json!(name));
                    map.insert("userPrincipalName".into(), json!(upn));
                }
            }
            map.values_mut().for_each(|v| rename(v, who));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, who)),
        _ => {}
    }
}

async fn send(app: &query::App, request: Request) -> (u16, Value) {
    callscope_tests::json_response(app.handle(request).await)
}

/// Every page of `/users?search=`, following `nextCursor` as the console does: the names
/// found, and how many requests it took.
async fn search_all(app: &query::App, search: &str, limit: &str) -> (Vec<String>, usize) {
    let (mut names, mut requests, mut cursor) = (Vec::new(), 0, None::<String>);
    loop {
        let mut query = vec![("search", search), ("limit", limit)];
        if let Some(c) = cursor.as_deref() {
            query.push(("cursor", c));
        }
        let (status, page) = send(app, callscope_tests::api_request("GET", SPECIALIST, "/users", &query)).await;
        assert_eq!(status, 200, "{page}");
        requests += 1;
        names.extend(page["items"].as_array().unwrap().iter().map(|u| u["displayName"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (names, requests),
        }
        assert!(requests < 50, "search {search:?} does not end");
    }
}

#[tokio::test]
async fn search_of_5000_users_with_300_johns_finds_john_smith_at_once_and_misses_no_one_over_pages() {
    let (_pipeline, app, log) = big_tenant().await;
    log.take();
    let (found, requests) = search_all(&app, "john smith", "50").await;
    assert_eq!((found, requests), (vec!["John Smith".to_owned()], 1), "one request");
    let reads = log.take();
    assert_eq!(reads, ["Query", "Query"], "the Smiths' entries in one Query, then John Smith's last call");
    for search in ["smith JOHN", "smi jo", "sip:john.smith150@contoso.com"] {
        assert_eq!(search_all(&app, search, "50").await, (vec!["John Smith".to_owned()], 1), "{search:?}");
    }
    // Every John, each once, a page of 50 at a time: the page fills, the cursor goes on.
    let (johns, requests) = search_all(&app, "john", "50").await;
    let unique: BTreeSet<&String> = johns.iter().collect();
    assert_eq!((johns.len(), unique.len()), (JOHNS, JOHNS), "each John once");
    assert!(requests <= 7, "{requests} requests for 300 Johns in pages of 50");
    // The key word is common and the match is rare: "j s" reads every J entry (about 5,300),
    // at most 1,000 per request, and still finds every John (all have an S word).
    log.take();
    let (js, requests) = search_all(&app, "j s", "100").await;
    let unique: BTreeSet<&String> = js.iter().collect();
    assert_eq!((js.len(), unique.len()), (JOHNS, JOHNS), "each John once, no Jane, Joe, Jack or Jim");
    assert!((3..=12).contains(&requests), "{requests} requests: bounded reads");
    let queries = log.take().iter().filter(|op| *op == "Query").count();
    assert!(queries <= requests * 3 + JOHNS, "{queries} Queries");
    // Smiths who are not John: twenty, and never John Smith twice.
    let (smiths, _) = search_all(&app, "smith", "100").await;
    assert_eq!(smiths.len(), SMITHS + 1);
}

#[tokio::test]
async fn me_names_the_role_and_what_granted_it_for_app_and_directory_roles() {
    let (_pipeline, app, _log) = big_tenant_small().await;
    let me = |claim_roles: Option<&str>, wids: Option<&str>| {
        let app = app.clone();
        let (roles, wids) = (claim_roles.map(str::to_owned), wids.map(str::to_owned));
        async move {
            let mut claims = vec![("sub", "someone".to_owned())];
            claims.extend(roles.map(|r| ("roles", r)));
            claims.extend(wids.map(|w| ("wids", w)));
            let claims: Vec<(&str, &str)> = claims.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(&app, callscope_tests::api_request_with_claims("GET", &claims, "/me", &[])).await
        }
    };
    let cases = [
        (
            Some("[support-specialist]"),
            None,
            json!({"role": "support-specialist", "roleName": "Support specialist", "grantedBy": "support-specialist"}),
        ),
        (
            Some("[support-engineer]"),
            None,
            json!({"role": "support-engineer", "roleName": "Support engineer", "grantedBy": "support-engineer"}),
        ),
        (Some("[admin]"), None, json!({"role": "admin", "roleName": "Admin", "grantedBy": "admin"})),
        (
            None,
            Some("[fcf91098-03e3-41a9-b5ba-6f0ec8188a12]"),
            json!({"role": "support-specialist", "roleName": "Support specialist", "grantedBy": "Teams Communications Support Specialist"}),
        ),
        (
            None,
            Some(r#"["f70938a0-fc10-4177-9e90-2178f8765737"]"#),
            json!({"role": "support-engineer", "roleName": "Support engineer", "grantedBy": "Teams Communications Support Engineer"}),
        ),
        (
            None,
            Some("69091246-20e8-4a56-aa4d-066075b2a7a8"),
            json!({"role": "admin", "roleName": "Admin", "grantedBy": "Teams Administrator"}),
        ),
        (
            Some("[support-specialist]"),
            Some("[62e90394-69f5-4237-9190-012177145e10 fcf91098-03e3-41a9-b5ba-6f0ec8188a12]"),
            json!({"role": "admin", "roleName": "Admin", "grantedBy": "Global Administrator"}),
        ),
    ];
    for (roles, wids, expected) in cases {
        assert_eq!(me(roles, wids).await, (200, expected.clone()), "{roles:?} {wids:?}");
    }
    for (roles, wids) in [
        (Some("[ingest]"), None),
        (None, Some("[b79fbf4d-3ef9-4689-8143-76b194e85509]")),
        (None, Some("[\"F70938A0-FC10-4177-9E90-2178F8765737\"]")),
    ] {
        assert_eq!(me(roles, wids).await.0, 403, "{roles:?} {wids:?}");
    }
    // A directory role opens what its support role may see, and the audit trail says the role.
    let engineer_by_wids = [("sub", "eng"), ("wids", "[f70938a0-fc10-4177-9e90-2178f8765737]")];
    let (status, page) = send(
        &app,
        callscope_tests::api_request_with_claims("GET", &engineer_by_wids, &format!("/users/{ADA}/calls"), &[]),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (status, _) =
        send(&app, callscope_tests::api_request_with_claims("GET", &engineer_by_wids, "/audit", &[])).await;
    assert_eq!(status, 403, "an engineer is no admin");
    let (status, audit) =
        send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[("action", "history")])).await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["items"][0]["role"], "support-engineer");
}

/// The sample tenant (Ada's peer-to-peer call and the meeting).
async fn big_tenant_small() -> (Pipeline, query::App, RequestLog) {
    let pipeline = Pipeline::new().await;
    let batch = json!({ "value": [callscope_tests::graph_record("p2p-pstn.json"), callscope_tests::graph_record("meeting.json")] });
    pipeline.post(&batch).await;
    let (store, requests) = counted_store(pipeline.store().table());
    (pipeline, callscope_tests::query_app(store), requests)
}

#[tokio::test]
async fn a_history_page_names_its_owner_in_every_view_and_on_every_page() {
    let (_pipeline, app, log) = big_tenant_small().await;
    for role in [SPECIALIST, ENGINEER, ADMIN] {
        let (status, page) =
            send(&app, callscope_tests::api_request("GET", role, &format!("/users/{ADA}/calls"), &[("limit", "1")]))
                .await;
        assert_eq!(status, 200, "{page}");
        let owner = json!({"id": ADA, "displayName": "Ada Lovelace", "userPrincipalName": "ada.lovelace@contoso.com"});
        assert_eq!(page["user"], owner, "{role:?}");
        let cursor = page["nextCursor"].as_str().unwrap().to_owned();
        log.take();
        let (_, next) = send(
            &app,
            callscope_tests::api_request(
                "GET",
                role,
                &format!("/users/{ADA}/calls"),
                &[("limit", "1"), ("cursor", &cursor)],
            ),
        )
        .await;
        assert_eq!(next["user"], owner, "the second page too");
        let reads = log.take();
        assert_eq!(reads.iter().filter(|op| *op == "GetItem").count(), 1, "one GetItem of the smaller call's header");
    }
    // A window without calls still says whose history it is.
    let (status, empty) = send(
        &app,
        callscope_tests::api_request(
            "GET",
            ENGINEER,
            &format!("/users/{ADA}/calls"),
            &[("to", "2026-11-01T00:00:00Z")],
        ),
    )
    .await;
    assert_eq!((status, &empty["user"], &empty["items"]), (200, &json!({"id": ADA}), &json!([])));
}

#[tokio::test]
async fn the_audit_trail_filters_by_action_and_refuses_an_unknown_one() {
    let (_pipeline, app, _log) = big_tenant_small().await;
    send(&app, callscope_tests::api_request("GET", SPECIALIST, &format!("/users/{ADA}/calls"), &[])).await;
    send(&app, callscope_tests::api_request("GET", ENGINEER, "/calls/any-call", &[("user", ADA)])).await;
    send(&app, callscope_tests::api_request("GET", SPECIALIST, &format!("/users/{ADA}/calls"), &[])).await;
    let (status, all) = send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[])).await;
    assert_eq!((status, all["items"].as_array().unwrap().len()), (200, 3));
    let (_, history) =
        send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[("action", "history"), ("limit", "1")]))
            .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    assert_eq!(history["items"][0]["action"], "history");
    let cursor = history["nextCursor"].as_str().unwrap();
    let (_, rest) = send(
        &app,
        callscope_tests::api_request(
            "GET",
            ADMIN,
            "/audit",
            &[("action", "history"), ("limit", "5"), ("cursor", cursor)],
        ),
    )
    .await;
    assert_eq!((rest["items"].as_array().unwrap().len(), &rest["items"][0]["action"]), (1, &json!("history")));
    let (_, detail) = send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[("action", "detail")])).await;
    assert_eq!(detail["items"].as_array().unwrap().len(), 1);
    let (status, body) = send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[("action", "peek")])).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!((status, &body["error"]["code"]), (400, &json!("invalid_parameter")), "{body}");
    assert!(
        message.starts_with("parameter `action`: must be one of `history`") && message.contains("`escalationNote`"),
        "{body}"
    );
    // A cursor of one action's trail is not one of another's.
    let (status, _) =
        send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &[("action", "detail"), ("cursor", cursor)]))
            .await;
    assert_eq!(status, 400);
}

/// A rare action over a long trail (60 days of 20 history reads a day, three dead-letter retries
/// among them): each filtered request reads a bounded part of the window (at most 60 Queries of
/// the trail, and the days' index), answering short or empty pages with a cursor where it
/// stopped; followed to the end, the cursors give exactly the three, newest first, once each.
#[tokio::test]
async fn a_rare_action_over_a_long_trail_is_read_a_bounded_part_a_request_and_found_whole() {
    use callscope_core::domain::access::{AuditAction, AuditEvent, Principal, Role};
    use futures::StreamExt;
    let store = callscope_tests::fresh_store().await;
    let engineer = Principal {
        subject: Some("eve".into()),
        object_id: None,
        name: None,
        roles: BTreeSet::from([Role::SupportEngineer]),
        granted_by: Default::default(),
    };
    let retries = [3_i64, 30, 55];
    let writes = (0..60 * 20).map(|n| {
        let (store, engineer) = (store.clone(), engineer.clone());
        async move {
            let day = (n / 20) as i64;
            let at = ANCHOR - time::Duration::days(day) - time::Duration::minutes((n % 20) as i64);
            let action =
                if n % 20 == 7 && retries.contains(&day) { AuditAction::DeadLetterRetry } else { AuditAction::History };
            store.write_audit(AuditEvent::new(&engineer, action, at, &format!("req-{n}")).user("u")).await.unwrap();
        }
    });
    futures::stream::iter(writes).buffer_unordered(16).collect::<Vec<_>>().await;
    let (counted, log) = counted_store(store.table());
    let app = callscope_tests::query_app(counted);
    let from = callscope_core::support::clock::rfc3339(ANCHOR - time::Duration::days(90));
    let (mut found, mut cursor, mut requests) = (Vec::new(), None::<String>, 0);
    loop {
        let mut query = vec![("action", "deadLetterRetry"), ("limit", "50"), ("from", from.as_str())];
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        log.take();
        let (status, page) = send(&app, callscope_tests::api_request("GET", ADMIN, "/audit", &query)).await;
        let queries = log.take().iter().filter(|o| *o == "Query").count();
        assert_eq!(status, 200, "{page}");
        assert!(queries <= 60 + 2, "one filtered request made {queries} Queries");
        requests += 1;
        found.extend(page["items"].as_array().unwrap().iter().map(|e| e["at"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(requests < 30, "the cursors end");
    }
    assert!(requests > 1, "60 days of 9 partitions are more than one request reads");
    let expected: Vec<String> = retries
        .iter()
        .map(|d| {
            callscope_core::support::clock::rfc3339(ANCHOR - time::Duration::days(*d) - time::Duration::minutes(7))
        })
        .collect();
    assert_eq!(found, expected, "the three retries, newest first, once each");
}
