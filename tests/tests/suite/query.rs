//! The query function end to end: a tenant ingested and classified through the real pipeline,
//! then the helpdesk's routes through the real query handler, per role.

use callscope_core::support::fixtures::{self};
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, ADMIN, BOB, ENGINEER, MEETING, P2P, SPECIALIST};
use callscope_tests::{ANCHOR, Pipeline, RequestLog, counted_store, event_request, event_text, json_response};
use lambda_http::Request;
use serde_json::{Value, json};

struct Helpdesk {
    pipeline: Pipeline,
    app: query::App,
    requests: RequestLog,
}

/// The sample tenant (the peer-to-peer call and the meeting), ingested and classified.
async fn helpdesk() -> Helpdesk {
    let mut pipeline = Pipeline::new().await;
    let batch = json!({ "value": [callscope_tests::graph_record("p2p-pstn.json"), callscope_tests::graph_record("meeting.json")] });
    pipeline.post(&batch).await;
    pipeline.classify_all().await;
    let (store, requests) = counted_store(pipeline.store().table());
    let app = callscope_tests::query_app(store);
    Helpdesk { pipeline, app, requests }
}

impl Helpdesk {
    async fn send(&self, request: Request) -> (u16, Value) {
        desk_send(&self.app, request).await
    }

    /// GET `path` with `query` as `role` (`None`: no verified claims).
    async fn get(&self, role: Option<&str>, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        self.send(request(role, path, query)).await
    }
}

fn request(role: Option<&str>, path: &str, query: &[(&str, &str)]) -> Request {
    callscope_tests::api_request("GET", role, path, query)
}

fn names(parties: &Value) -> Vec<&str> {
    parties.as_array().unwrap().iter().map(|p| p["displayName"].as_str().unwrap_or("")).collect()
}

#[tokio::test]
async fn a_specialist_sees_only_the_searched_users_name_and_no_advanced_or_debug() {
    let desk = helpdesk().await;
    let (status, call) = desk.get(SPECIALIST, &format!("/calls/{MEETING}"), &[("user", ADA)]).await;
    assert_eq!(status, 200, "{call}");
    assert_eq!(names(&call["participants"]), ["Ada Lovelace", "External User", "External User", "External User"]);
    assert_eq!(call["participants"][3]["phone"], "+15551234***");
    assert_eq!(call["participantCount"], 4);
    let text = call.to_string();
    for secret in [
        "Bob Babbage",
        "bob@fabrikam.com",
        "Grace",
        "10.20.30.41",
        "CONTOSO-CORP",
        "00:11:22:33:44:55",
        "corp.contoso.com",
        "Realtek",
        "+15551234567",
    ] {
        assert!(!text.contains(secret), "a specialist must not see {secret}");
    }
    for session in call["sessions"].as_array().unwrap() {
        assert!(
            session.get("advanced").is_none() && session.get("debug").is_none(),
            "no Advanced or Debug keys at all"
        );
        assert!(!session["metrics"].as_array().unwrap().is_empty(), "graded metrics are for everyone");
    }
    let bob_session = &call["sessions"][1];
    assert_eq!(
        (bob_session["caller"]["displayName"].as_str(), bob_session["rating"].as_str()),
        (Some("External User"), Some("poor"))
    );
    assert_eq!(
        (bob_session["mainCause"].as_str(), bob_session["likelyAt"].as_str()),
        (Some("External User's network, audio sent: average packet loss 14 %, above 10 %."), Some("caller")),
        "Bob's network as a specialist may name him, never the conference server's"
    );
    assert_eq!(
        (call["rating"].as_str(), call["callRating"].as_str()),
        (Some("good"), Some("poor")),
        "Ada's own, the meeting's"
    );
    assert_eq!(bob_session["callee"]["kind"], "service");

    // Bob is another tenant's user: he is in the call, but has no calls here to look at.
    for role in [SPECIALIST, ENGINEER] {
        let (status, from_bob) = desk.get(role, &format!("/calls/{MEETING}"), &[("user", BOB)]).await;
        assert_eq!((status, from_bob["error"]["code"].as_str()), (404, Some("not_found")), "{from_bob}");
    }
}

#[tokio::test]
async fn engineers_and_admins_see_every_name_advanced_and_debug_but_not_phone_numbers() {
    let desk = helpdesk().await;
    for role in [ENGINEER, ADMIN] {
        let (status, call) = desk.get(role, &format!("/calls/{MEETING}"), &[("user", ADA)]).await;
        assert_eq!(status, 200, "{call}");
        assert_eq!(names(&call["participants"]), ["Ada Lovelace", "Bob Babbage", "Grace Guest (Guest)", ""]);
        assert_eq!(call["participants"][1]["userPrincipalName"], "bob@fabrikam.com");
        assert_eq!(
            (call["participants"][0]["internal"].as_bool(), call["participants"][1]["internal"].as_bool()),
            (Some(true), Some(false))
        );
        assert_eq!(call["participants"][3]["phone"], "+15551234***");
        assert!(!call.to_string().contains("+15551234567"), "phone numbers are masked for every role");
        let ada = &call["sessions"][0];
        assert_eq!(ada["advanced"]["caller"]["ipAddress"], "10.20.30.41");
        assert_eq!(ada["advanced"]["caller"]["captureDevice"], "Microphone Array (Realtek(R) Audio)");
        assert_eq!(ada["advanced"]["caller"]["wifiChannel"], 44);
        assert_eq!(ada["advanced"]["caller"]["relayUsed"], true);
        assert_eq!(ada["debug"]["caller"]["ssid"], "CONTOSO-CORP");
        assert_eq!(ada["debug"]["caller"]["bssid"], "00:11:22:33:44:55");
        assert_eq!(ada["debug"]["caller"]["dnsSuffix"], "corp.contoso.com");
        assert_eq!(ada["debug"]["caller"]["reflexiveIpAddress"], "203.0.113.10", "Graph's `reflexiveIPAddress`");
        assert_eq!(
            (ada["debug"]["caller"]["relayIpAddress"].as_str(), ada["debug"]["caller"]["relayPort"].as_i64()),
            (Some("52.114.0.10"), Some(3478))
        );
        assert_eq!(
            ada["debug"]["caller"]["userAgent"],
            "RTCC/7.0.0.0 UCWA/7.0.0.0 TeamsDesktop/1.7.00.1234 (Windows 11)"
        );
        assert_eq!(ada["metrics"][0]["segmentId"], "a1b2c3d4-0000-4000-8000-0000000000a1");
    }
}

#[tokio::test]
async fn an_engineers_advanced_and_debug_hold_every_report_per_segment_and_medium_and_the_ids() {
    let desk = helpdesk().await;
    let (status, call) = desk.get(ENGINEER, &format!("/calls/{MEETING}"), &[("user", ADA)]).await;
    assert_eq!(status, 200, "{call}");
    let ada = &call["sessions"][0];
    let caller = &ada["advanced"]["caller"];
    assert_eq!(caller["system"]["platform"], "windows");
    assert_eq!(caller["system"]["applicationVersion"], "1.7.00.1234");
    assert_eq!(caller["system"]["machineName"], "ADA-LAPTOP-01");
    let segments = caller["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 2, "both of Ada's segments: {caller}");
    let (first, second) = (&segments[0], &segments[1]);
    assert_eq!(
        (first["index"].as_u64(), first["id"].as_str()),
        (Some(0), Some("a1b2c3d4-0000-4000-8000-0000000000a1"))
    );
    assert_eq!(first["startDateTime"], "2026-11-24T14:00:05Z");
    let labels: Vec<&str> = first["media"].as_array().unwrap().iter().map(|m| m["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["main-audio", "main-video"], "every medium that reports, not only the first");
    let audio = &first["media"][0];
    assert_eq!(audio["device"]["captureDeviceDriver"], "Realtek: 6.0.9235.1");
    assert_eq!(audio["connectivity"]["wifiRadioType"], "wifi80211ac");
    assert_eq!(audio["connectivity"]["linkSpeed"], 866_700_000);
    assert_eq!(audio["connectivity"]["transportProtocol"], "udp");
    assert_eq!(
        (audio["network"]["bandwidthLowEventRatio"].as_f64(), audio["network"]["sentQualityEventRatio"].as_f64()),
        (Some(0.0), Some(0.0)),
        "Graph's quality event ratios, kept since the record carries them"
    );
    assert_eq!(audio["network"]["relayUsed"], true);
    assert!(audio["connectivity"].get("dnsSuffix").is_none() && audio["network"].get("relayIpAddress").is_none());
    assert_eq!(first["media"][1]["connectivity"]["connectionType"], "wifi", "the video's own report");
    assert_eq!(second["index"], 1);
    assert_eq!(second["media"][0]["connectivity"]["subnet"], "10.20.30.0");

    let debug = &ada["debug"];
    assert_eq!(debug["callId"], MEETING);
    assert_eq!(debug["sessionId"], "a1b2c3d4-0000-4000-8000-000000000001");
    assert_eq!(debug["conferenceId"], "19:meeting_example", "decoded from the meeting's joinWebUrl");
    assert!(debug.get("failure").is_none(), "Ada's session did not fail");
    assert_eq!(debug["caller"]["segments"][0]["media"][0]["macAddress"], "66:77:88:99:AA:BB");
    assert_eq!(debug["caller"]["segments"][0]["media"][0]["relayPort"], 3478);
    assert_eq!(debug["caller"]["segments"][1]["media"][0]["ssid"], "CONTOSO-CORP");
    let bob = &call["sessions"][1]["debug"];
    assert_eq!(
        (bob["failure"]["stage"].as_str(), bob["failure"]["reason"].as_str()),
        (Some("midcall"), Some("ms-diag: 1000 network interruption"))
    );

    let (_, tier1) = desk.get(SPECIALIST, &format!("/calls/{MEETING}"), &[("user", ADA)]).await;
    let text = tier1.to_string();
    for hidden in ["\"segments\"", "conferenceId", "19:meeting_example", "\"failure\"", "ms-diag", "wifi80211ac"] {
        assert!(!text.contains(hidden), "a specialist sees {hidden}");
    }
}

#[tokio::test]
async fn history_lists_the_users_calls_newest_first_in_the_roles_view() {
    let desk = helpdesk().await;
    let (status, page) = desk.get(SPECIALIST, &format!("/users/{ADA}/calls"), &[]).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    let ids: Vec<_> = items.iter().map(|i| i["callId"].as_str().unwrap()).collect();
    assert_eq!(ids, [MEETING, P2P]);
    assert_eq!(
        (items[0]["rating"].as_str(), items[0]["callRating"].as_str(), items[0]["issueCodes"].clone()),
        (Some("good"), Some("poor"), json!([])),
        "Ada's own sessions were good; Bob's, in the same meeting, poor"
    );
    assert!(items[0].get("counterpart").is_none(), "she organized the meeting: no other side");
    assert_eq!(items[1]["callRating"], items[1]["rating"], "a peer-to-peer call's two ratings are one");
    assert_eq!(
        items[1]["counterpart"],
        json!({ "displayName": "External User", "kind": "phone", "phone": "+15552823***" })
    );
    assert_eq!(
        (items[1]["durationSeconds"].as_i64(), items[1]["participantCount"].as_i64(), items[1]["rating"].as_str()),
        (Some(754), Some(2), Some("good"))
    );
    assert!(page.get("nextCursor").is_none(), "one page");

    // Only the home tenant's users have a history: another tenant's user, a guest, a phone, none.
    for user in [BOB, "c0ffee00-1234-4abc-9def-0123456789ab", "+15551234567"] {
        for role in [SPECIALIST, ENGINEER, ADMIN] {
            let (status, page) = desk.get(role, &format!("/users/{user}/calls"), &[]).await;
            assert_eq!(status, 404, "{user}: {page}");
        }
    }
}

#[tokio::test]
async fn search_finds_users_by_any_name_word_or_address_prefix() {
    let desk = helpdesk().await;
    let found = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["displayName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    for (search, expected) in [
        ("ada", vec!["Ada Lovelace"]),
        ("LOVE", vec!["Ada Lovelace"]),
        ("ada love", vec!["Ada Lovelace"]),
        ("ada.lov", vec!["Ada Lovelace"]),
        ("sip:ada.lovelace@contoso.com", vec!["Ada Lovelace"]),
        ("SIP:Ada.Lovelace@Contoso.COM", vec!["Ada Lovelace"]),
        ("bob@fab", vec![]),
        ("bob", vec![]),
        ("guest", vec![]),
        ("+1555", vec![]),
        ("ada bab", vec![]),
        ("zzz", vec![]),
    ] {
        let (status, page) = desk.get(SPECIALIST, "/users", &[("search", search)]).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(found(&page), expected, "search {search:?}");
    }
    for role in [SPECIALIST, ENGINEER, ADMIN] {
        let (_, all) = desk.get(role, "/users", &[]).await;
        assert_eq!(found(&all), ["Ada Lovelace"], "the home tenant's users only, alphabetical, each once");
    }
    let (_, all) = desk.get(ENGINEER, "/users", &[]).await;
    assert_eq!(
        all["items"][0],
        json!({ "id": ADA, "displayName": "Ada Lovelace", "userPrincipalName": "ada.lovelace@contoso.com", "lastCallAt": "2026-11-24T14:45:30.5Z" })
    );
}

#[tokio::test]
async fn a_users_last_call_is_their_latest_whatever_order_the_calls_arrived_in() {
    // The directory entry is written by the first of a user's calls that day (here either);
    // the last call shown is read from the history, so it is the meeting's end both ways.
    for order in [["p2p-pstn.json", "meeting.json"], ["meeting.json", "p2p-pstn.json"]] {
        let mut pipeline = Pipeline::new().await;
        for record in order {
            pipeline.post(&callscope_tests::graph_record(record)).await;
        }
        pipeline.classify_all().await;
        let app = callscope_tests::query_app(pipeline.store().clone());
        for search in [None, Some("ada")] {
            let query: Vec<_> = search.map(|s| ("search", s)).into_iter().collect();
            let (status, page) = desk_send(&app, request(SPECIALIST, "/users", &query)).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(page["items"][0]["lastCallAt"], "2026-11-24T14:45:30.5Z", "{order:?}, search {search:?}");
        }
    }
}

#[tokio::test]
async fn history_pages_through_120_calls_and_refuses_tampered_or_foreign_cursors() {
    let desk = helpdesk().await;
    let mut calls = Vec::new();
    for n in 0..120 {
        calls.push(fixtures::call_json(&format!("call-{n:03}"), 1, 2, 1, ANCHOR - time::Duration::hours(200 - n)));
    }
    for chunk in calls.chunks(100) {
        desk.pipeline.post(&json!({ "value": chunk })).await;
    }
    let user = fixtures::user_id(0);
    desk.get(ENGINEER, &format!("/users/{user}/calls"), &[]).await; // warm: the audit day is indexed
    let pages = callscope_tests::every_page(50, async |query| {
        desk.requests.take();
        let (status, page) = desk.get(ENGINEER, &format!("/users/{user}/calls"), query).await;
        assert_eq!(
            desk.requests.take_sorted(),
            ["GetItem", "PutItem", "Query", "Query"],
            "one Query per page, the audit entry, the tenant-data version check for the buildings, and the header that names the user"
        );
        (status, page)
    })
    .await;
    let c = pages[0]["nextCursor"].as_str().unwrap();
    let tampered = format!("{}A{}", &c[..10], &c[11..]);
    let (status, body) = desk.get(ENGINEER, &format!("/users/{user}/calls"), &[("cursor", &tampered)]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")));
    assert!(body["error"]["message"].as_str().unwrap().contains("cursor"));
    let other = fixtures::user_id(1);
    let (status, _) = desk.get(ENGINEER, &format!("/users/{other}/calls"), &[("cursor", c)]).await;
    assert_eq!(status, 400, "a cursor minted for another user");
    let (status, _) = desk.get(SPECIALIST, &format!("/users/{user}/calls"), &[("cursor", c)]).await;
    assert_eq!(status, 400, "a cursor minted for another role");
    let sizes: Vec<usize> = pages.iter().map(|page| page["items"].as_array().unwrap().len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 120);
    assert!(sizes.len() >= 3 && sizes.iter().all(|n| *n <= 50), "{sizes:?}");
    let seen: Vec<String> =
        callscope_tests::page_items(&pages).map(|i| i["callId"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> = (0..120).rev().map(|n| format!("call-{n:03}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
}

#[tokio::test]
async fn expired_calls_are_not_listed_or_shown() {
    let desk = helpdesk().await;
    // The p2p call (ended 2026-11-24 09:12) has expired; the meeting (ended 14:45) has not.
    let later = ANCHOR + time::Duration::days(29) + time::Duration::hours(1);
    let app = query::App { clock: callscope_core::support::clock::Clock::fixed(later), ..desk.app.clone() };
    let (status, page) = desk_send(&app, request(ENGINEER, &format!("/users/{ADA}/calls"), &[])).await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<_> = page["items"].as_array().unwrap().iter().map(|i| i["callId"].as_str().unwrap()).collect();
    assert_eq!(ids, [MEETING]);
    let (status, _) = desk_send(&app, request(ENGINEER, &format!("/calls/{P2P}"), &[("user", ADA)])).await;
    assert_eq!(status, 404);
    let (_, users) = desk_send(&app, request(ENGINEER, "/users", &[])).await;
    assert_eq!(users["items"][0]["lastCallAt"], "2026-11-24T14:45:30.5Z");

    // An hour after the meeting expired, too, Ada's directory entries live on (a day longer
    // than her last call), but neither the listing nor search shows a user with no call left.
    let gone = ANCHOR + time::Duration::days(30) + time::Duration::hours(1);
    let app = query::App { clock: callscope_core::support::clock::Clock::fixed(gone), ..desk.app.clone() };
    for query in [vec![], vec![("search", "ada")]] {
        let (status, users) = desk_send(&app, request(ENGINEER, "/users", &query)).await;
        assert_eq!((status, &users["items"]), (200, &json!([])), "{query:?}");
    }
}

#[tokio::test]
async fn the_audit_trail_pages_newest_first_across_days_and_shards() {
    let desk = helpdesk().await;
    let mut expected = Vec::new();
    for day in 0..3 {
        for n in 0..9 {
            let at = ANCHOR - time::Duration::days(2 - day) - time::Duration::minutes(10 - n);
            let app = query::App { clock: callscope_core::support::clock::Clock::fixed(at), ..desk.app.clone() };
            let (status, _) = desk_send(&app, request(ENGINEER, &format!("/users/{ADA}/calls"), &[])).await;
            assert_eq!(status, 200);
            expected.push(at);
        }
    }
    expected.reverse();
    let pages = callscope_tests::every_page(7, async |query| desk.get(ADMIN, "/audit", query).await).await;
    let seen: Vec<time::OffsetDateTime> = callscope_tests::page_items(&pages)
        .map(|entry| {
            let at = entry["at"].as_str().unwrap();
            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap()
        })
        .collect();
    assert_eq!(seen, expected, "27 entries over 3 days and 8 shards, newest first, each once");
}

async fn desk_send(app: &query::App, request: Request) -> (u16, Value) {
    callscope_tests::json_response(app.handle(request).await)
}

#[tokio::test]
async fn each_route_makes_the_fewest_requests_and_never_scans() {
    let desk = helpdesk().await;
    // A warm function has put today into the audit trail's day index (once per day).
    desk.get(SPECIALIST, &format!("/users/{ADA}/calls"), &[]).await;
    desk.requests.take();
    // A directory page, then one Query per user it lists (Ada) for when they last called.
    desk.get(SPECIALIST, "/users", &[("search", "ada")]).await;
    assert_eq!(desk.requests.take(), ["Query", "Query"]);
    desk.get(SPECIALIST, "/users", &[]).await;
    assert_eq!(desk.requests.take(), ["Query", "Query"]);
    desk.get(SPECIALIST, "/users", &[("search", "zzz")]).await;
    assert_eq!(desk.requests.take(), ["Query"], "no user found, nothing more to read");
    desk.get(SPECIALIST, &format!("/users/{ADA}/calls"), &[]).await;
    assert_eq!(desk.requests.take_sorted(), ["GetItem", "PutItem", "Query"], "and the header that names her");
    desk.get(ENGINEER, &format!("/calls/{MEETING}"), &[("user", ADA)]).await;
    assert_eq!(
        desk.requests.take_sorted(),
        ["PutItem", "Query", "Query"],
        "the whole detail (header, sessions, results) in one Query, plus the tenant-data version check"
    );
    let warm = query::App {
        sites: std::sync::Arc::new(callscope_core::app::site_cache::SiteCache::new(time::Duration::minutes(1))),
        ..desk.app.clone()
    };
    desk_send(&warm, request(ENGINEER, &format!("/calls/{MEETING}"), &[("user", ADA)])).await;
    desk.requests.take();
    desk_send(&warm, request(ENGINEER, &format!("/calls/{MEETING}"), &[("user", ADA)])).await;
    assert_eq!(
        desk.requests.take_sorted(),
        ["PutItem", "Query"],
        "a warm function checks the tenant data at most once a minute"
    );
    desk.get(ADMIN, "/audit", &[]).await;
    assert_eq!(
        desk.requests.take(),
        ["Query"; 1 + 9],
        "the day index, then one day's eight shards and its refusals (a page of 50 fits in a day)"
    );
}

#[tokio::test]
async fn every_look_at_a_history_or_call_is_audited() {
    let desk = helpdesk().await;
    let mut event: Value = serde_json::from_str(&event_text("query-history-specialist.json")).unwrap();
    for (n, role) in ["support-specialist", "ingest"].iter().enumerate() {
        event["requestContext"]["requestId"] = json!(format!("req-{n}"));
        event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] = json!(format!("[{role}]"));
        desk.send(lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    }
    desk.send(event_request("query-call-engineer.json")).await;
    assert_eq!(desk.get(ADMIN, &format!("/users/{ADA}/calls"), &[]).await.0, 200);
    let (status, audit) = desk.get(ADMIN, "/audit", &[]).await;
    assert_eq!(status, 200, "{audit}");
    let entries: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap(),
                e["role"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["targetUser"].as_str(),
                e["targetCall"].as_str(),
            )
        })
        .collect();
    assert_eq!(entries.len(), 4, "{audit}");
    assert!(entries.iter().any(|e| (e.1, e.2) == ("admin", "history")), "an admin's read says admin: {audit}");
    assert!(entries.contains(&("helpdesk-tier1", "support-specialist", "history", Some(ADA), None)));
    assert!(entries.contains(&("helpdesk-tier1", "none", "history", Some(ADA), None)), "the refused attempt too");
    assert!(entries.contains(&("helpdesk-tier2", "support-engineer", "detail", Some(ADA), Some(MEETING))));
    assert!(audit["items"][0].get("PK").is_none(), "no storage keys in the response");
}

#[tokio::test]
async fn bad_requests_name_the_parameter_and_unknown_things_are_404() {
    let desk = helpdesk().await;
    let history = format!("/users/{ADA}/calls");
    for (query, parameter) in [
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "101")], "limit"),
        (vec![("limit", "ten")], "limit"),
        (vec![("from", "yesterday")], "from"),
        (vec![("to", "2026-13-01T00:00:00Z")], "to"),
        (vec![("from", "2026-11-25T00:00:00Z"), ("to", "2026-11-24T00:00:00Z")], "from"),
        (vec![("cursor", "garbage")], "cursor"),
    ] {
        let (status, body) = desk.get(ENGINEER, &history, &query).await;
        assert_eq!(status, 400, "{query:?}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("`{parameter}`")), "{query:?}: {body}");
    }
    let (status, body) = desk.get(ENGINEER, &format!("/calls/{MEETING}"), &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("`user`"));
    assert_eq!(desk.get(ENGINEER, "/calls/no-such-call", &[("user", ADA)]).await.0, 404);
    assert_eq!(
        desk.get(ENGINEER, &format!("/calls/{MEETING}"), &[("user", "someone-else")]).await.0,
        404,
        "not their call"
    );
    assert_eq!(
        desk.get(ENGINEER, &format!("/calls/{MEETING}"), &[("user", "+15551234567")]).await.0,
        404,
        "a phone has no call view"
    );
    assert_eq!(desk.get(ENGINEER, "/users/nobody/calls", &[]).await.0, 404);
    assert_eq!(desk.get(ENGINEER, "/nowhere", &[]).await.0, 404);
    let (status, body) = desk.get(ENGINEER, &history, &[("from", "2026-11-25T00:00:00Z")]).await;
    assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)), "a narrowed window may be empty");
}

#[tokio::test]
async fn roles_come_only_from_verified_claims() {
    let desk = helpdesk().await;
    assert_eq!(desk.get(None, "/users", &[]).await.0, 401);
    assert_eq!(desk.get(Some("ingest"), "/users", &[]).await.0, 403);
    assert_eq!(desk.get(Some("Admin"), "/users", &[]).await.0, 403, "role names are exact");
    assert_eq!(desk.get(SPECIALIST, "/audit", &[]).await.0, 403);
    assert_eq!(desk.get(ENGINEER, "/audit", &[]).await.0, 403);
    // Headers and parameters that claim a role change nothing.
    let mut event: Value = serde_json::from_str(&event_text("query-call-specialist.json")).unwrap();
    event["headers"]["x-roles"] = json!("admin");
    event["headers"]["authorization"] = json!("Bearer forged");
    event["queryStringParameters"]["roles"] = json!("admin");
    event["rawQueryString"] = json!(format!("user={ADA}&roles=admin"));
    let (status, call) = desk.send(lambda_http::request::from_str(&event.to_string()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(call["sessions"][0].get("advanced").is_none(), "still the specialist view");
}

/// A token as the gateway's identity source carries it: only the payload matters here.
fn bearer(payload: Value) -> String {
    use base64::Engine;
    format!("Bearer h.{}.s", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string()))
}

#[tokio::test]
async fn a_group_whose_name_starts_with_a_role_name_grants_nothing() {
    let desk = helpdesk().await;
    let audit = |flattened: &str, token: Option<String>| {
        let mut event: Value = serde_json::from_str(&event_text("query-audit-admin.json")).unwrap();
        event["requestContext"]["authorizer"]["jwt"]["claims"]["roles"] = json!(flattened);
        match token {
            Some(token) => event["headers"]["authorization"] = json!(token),
            None => drop(event["headers"].as_object_mut().unwrap().remove("authorization")),
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    // API Gateway flattens ["admin assistants"] to "[admin assistants]"; the verified token says which.
    let (status, _) =
        desk.send(audit("[admin assistants]", Some(bearer(json!({ "roles": ["admin assistants"] }))))).await;
    assert_eq!(status, 403, "the group \"admin assistants\" is not the role admin");
    // The authorizer takes the token without its `Bearer ` prefix too; so does the edge.
    let bare = bearer(json!({ "roles": ["admin assistants"] })).replacen("Bearer ", "", 1);
    let (status, _) = desk.send(audit("[admin assistants]", Some(bare))).await;
    assert_eq!(status, 403, "leaving out `Bearer ` does not split the group into two roles");
    let (status, _) =
        desk.send(audit("[admin assistants]", Some(bearer(json!({ "roles": ["admin", "assistants"] }))))).await;
    assert_eq!(status, 200, "two groups, one of them admin");
    // A payload that does not flatten to the verified claim is ignored: it can never add a role.
    let (status, _) = desk.send(audit("[support-specialist]", Some(bearer(json!({ "roles": ["admin"] }))))).await;
    assert_eq!(status, 403);
    let (status, _) = desk.send(audit("[admin,ops]", None)).await;
    assert_eq!(status, 403, "a comma is part of a value, not a separator");
}

#[tokio::test]
async fn every_query_event_gets_its_documented_status() {
    let desk = helpdesk().await;
    let expected = [
        ("query-users-search-specialist.json", 200),
        ("query-users-search-two-words-specialist.json", 200),
        ("query-me-specialist.json", 200),
        ("query-me-wids-engineer.json", 200),
        ("query-audit-action-admin.json", 200),
        ("query-graph-status-admin.json", 200),
        ("query-users-list-engineer.json", 200),
        ("query-history-specialist.json", 200),
        ("query-history-engineer.json", 200),
        ("query-call-specialist.json", 200),
        ("query-call-engineer.json", 200),
        ("query-call-admin.json", 200),
        ("query-call-phone-specialist.json", 200),
        ("query-call-phone-engineer.json", 200),
        ("query-call-phone-admin.json", 200),
        ("query-audit-admin.json", 200),
        ("query-audit-specialist.json", 403),
        ("query-history-no-claims.json", 401),
        ("query-buildings-admin.json", 404),
        ("query-unmapped-subnets-admin.json", 200),
        // In order: the specialist escalates, tier 2 finds, notes, claims and resolves it.
        ("query-escalate-specialist.json", 201),
        ("query-escalate-ingest.json", 403),
        ("query-escalations-engineer.json", 200),
        ("query-escalations-specialist.json", 403),
        ("query-escalations-mine-specialist.json", 200),
        ("query-escalation-engineer.json", 200),
        ("query-escalation-other-specialist.json", 404),
        ("query-escalation-note-engineer.json", 201),
        ("query-escalation-claim-engineer.json", 200),
        ("query-escalation-claim-specialist.json", 403),
        ("query-escalation-resolve-admin.json", 200),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    callscope_tests::assert_every_event_listed("query-", &names);
    let ingest = callscope_tests::ingest_app(desk.pipeline.store());
    for phone_rows in ["ingest-post-pstn-calls.json", "ingest-post-direct-routing-calls.json"] {
        assert_eq!(desk_send_ingest(&ingest, phone_rows).await, 200, "{phone_rows}");
    }
    for (name, status) in expected {
        let (got, body) = desk.send(event_request(name)).await;
        assert_eq!(got, status, "{name}: {body}");
    }
    let (_, resolved) = desk.send(event_request("query-escalation-engineer.json")).await;
    assert_eq!(resolved["state"], "resolved");
    let labels: Vec<&str> =
        resolved["notes"].as_array().unwrap().iter().map(|n| n["author"]["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Sam Specialist", "Erin Engineer"]);
    let (status, again) = desk.send(event_request("query-escalate-specialist.json")).await;
    assert_eq!((status, &again["id"]), (201, &resolved["id"]), "the same request, repeated, opens nothing new");
    let (_, specialist) = desk.send(event_request("query-call-phone-specialist.json")).await;
    assert_eq!((&specialist["type"], &specialist["outcome"]), (&json!("directRouting"), &json!("connected")));
    assert!(specialist.get("sip").is_none());
    let (_, engineer) = desk.send(event_request("query-call-phone-engineer.json")).await;
    assert_eq!(engineer["trunkFqdn"], "tll-audiocodes01.adatum.biz");
    let (_, admin) = desk.send(event_request("query-call-phone-admin.json")).await;
    assert_eq!((&admin["type"], &admin["currency"]), (&json!("pstn"), &json!("USD")));
}

/// The status of ingest event `name` handled by `ingest`.
async fn desk_send_ingest(ingest: &ingest::App, name: &str) -> u16 {
    json_response(ingest.handle(event_request(name)).await).0
}

#[tokio::test]
async fn a_large_meetings_detail_holds_the_users_own_sessions_and_the_rest_are_paged() {
    // 120 participants, one session each: over the 50 a detail holds, and over the 100 parties a
    // header keeps, so the parties are read back from their own pages.
    let mut pipeline = Pipeline::new().await;
    let start = callscope_tests::ANCHOR - time::Duration::hours(2);
    pipeline.post(&json!({ "value": [fixtures::call_json("big", 1, 120, 1, start)] })).await;
    pipeline.classify_all().await;
    let app = callscope_tests::query_app(pipeline.store().clone());
    let user = fixtures::user_id(42);
    let get = |role, path: String, query: Vec<(&'static str, String)>| {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        desk_send(&app, request(role, &path, &query))
    };
    for role in [SPECIALIST, ENGINEER] {
        let (status, detail) = get(role, "/calls/big".into(), vec![("user", user.clone())]).await;
        assert_eq!(status, 200, "{detail}");
        assert_eq!((detail["sessionCount"].as_u64(), detail["sessionsIncluded"].as_str()), (Some(120), Some("own")));
        let own: Vec<_> = detail["sessions"].as_array().unwrap().iter().map(|s| s["index"].as_u64()).collect();
        assert_eq!(own, [Some(42)], "the user's own session, at its place in the call");
        assert_eq!(
            (detail["participantCount"].as_u64(), detail["participantsComplete"].as_bool()),
            (Some(120), Some(false))
        );

        // Every session once, in order, whatever the page size; the rating filter keeps its own.
        for limit in [7, 100] {
            let pages = callscope_tests::every_page(limit, async |query| {
                let mut query: Vec<(&'static str, String)> = query
                    .iter()
                    .map(|(k, v)| (if *k == "limit" { "limit" } else { "cursor" }, v.to_string()))
                    .collect();
                query.push(("user", user.clone()));
                get(role, "/calls/big/sessions".into(), query).await
            })
            .await;
            let indexes: Vec<u64> = callscope_tests::page_items(&pages).map(|s| s["index"].as_u64().unwrap()).collect();
            assert_eq!(indexes, (0..120).collect::<Vec<u64>>(), "{role:?}, {limit} a page");
        }
        let (status, good) =
            get(role, "/calls/big/sessions".into(), vec![("user", user.clone()), ("rating", "good".into())]).await;
        assert_eq!(status, 200, "{good}");
        assert!(good["items"].as_array().unwrap().iter().all(|s| s["rating"] == "good"));
        let pages = callscope_tests::every_page(50, async |query| {
            let mut query: Vec<(&'static str, String)> =
                query.iter().map(|(k, v)| (if *k == "limit" { "limit" } else { "cursor" }, v.to_string())).collect();
            query.push(("user", user.clone()));
            get(role, "/calls/big/participants".into(), query).await
        })
        .await;
        assert_eq!(callscope_tests::page_items(&pages).count(), 120, "{role:?}: every participant once");
    }
    // A specialist's page names only the searched user; Advanced and Debug are not in it.
    let (_, page) =
        get(SPECIALIST, "/calls/big/sessions".into(), vec![("user", user.clone()), ("limit", "100".into())]).await;
    let text = page.to_string();
    assert!(!text.contains("Test User41") && text.contains("Test User42") && !text.contains("\"advanced\""));
    // A cursor is good only for the list it was issued for, and the filter is checked.
    let (_, first) =
        get(ENGINEER, "/calls/big/sessions".into(), vec![("user", user.clone()), ("limit", "5".into())]).await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let (status, _) =
        get(ENGINEER, "/calls/big/participants".into(), vec![("user", user.clone()), ("cursor", cursor.clone())]).await;
    assert_eq!(status, 400, "a sessions cursor does not page participants");
    let (status, _) =
        get(SPECIALIST, "/calls/big/sessions".into(), vec![("user", user.clone()), ("cursor", cursor)]).await;
    assert_eq!(status, 400, "nor another role's view");
    let (status, body) =
        get(ENGINEER, "/calls/big/sessions".into(), vec![("user", user.clone()), ("rating", "bad".into())]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("`rating`"), "{body}");
    let (status, _) = get(ENGINEER, "/calls/big/sessions".into(), vec![("user", "someone-else".into())]).await;
    assert_eq!(status, 404, "only as a user who took part");
}

#[tokio::test]
async fn a_25000_session_meeting_is_stored_rated_and_shown_under_a_megabyte() {
    // 50 people who joined 500 times each: the most sessions a record may hold. Stored as the
    // Graph worker stores a fetched record (a `POST /calls` body could not carry its 30 MB).
    let start = callscope_tests::ANCHOR - time::Duration::hours(2);
    let mut record = fixtures::call_json("huge", 1, 50, 1, start);
    let sessions = record["sessions"].as_array().unwrap().clone();
    record["sessions"] = (0..500)
        .flat_map(|join| {
            sessions.iter().map(move |s| {
                let mut s = s.clone();
                s["id"] = json!(format!("{}-j{join}", s["id"].as_str().unwrap()));
                s
            })
        })
        .collect();
    let store = callscope_tests::fresh_store().await;
    let now = callscope_tests::ANCHOR;
    let home = fixtures::HOME_TENANT;
    let prepared =
        callscope_core::app::ingest::prepare_calls(record.to_string().as_bytes(), now, home).unwrap().remove(0);
    drop(record);
    store.upsert(&prepared).await.unwrap();
    let thresholds = callscope_core::domain::classify::Thresholds::default();
    let rated = callscope_core::app::classify::rate_call(&store, "huge", 1, &thresholds, now, home).await.unwrap();
    assert!(matches!(rated, callscope_core::app::classify::Rated::Rated(_)), "{rated:?}");

    let app = callscope_tests::query_app(store);
    let user = fixtures::user_id(7);
    for role in [SPECIALIST, ENGINEER] {
        let response = app.handle(request(role, "/calls/huge", &[("user", &user)])).await;
        let bytes = response.body().len();
        let (status, detail) = callscope_tests::json_response(response);
        assert_eq!(status, 200, "{detail}");
        assert!(bytes < 1_000_000, "{role:?}: {bytes} bytes");
        assert_eq!((detail["sessionCount"].as_u64(), detail["sessionsIncluded"].as_str()), (Some(25_000), Some("own")));
        let own = detail["sessions"].as_array().unwrap();
        assert!(!own.is_empty() && own.iter().all(|s| s["index"].as_u64().unwrap() % 50 == 7), "user 7's own sessions");
        let counts = &detail["sessionRatings"];
        let total: u64 = ["good", "poor", "unavailable"].iter().map(|r| counts[r].as_u64().unwrap()).sum();
        assert_eq!(total, 25_000);
        let page = app.handle(request(role, "/calls/huge/sessions", &[("user", &user), ("limit", "100")])).await;
        assert!(page.body().len() < 1_000_000);
        let (status, page) = callscope_tests::json_response(page);
        assert_eq!((status, page["items"][0]["index"].as_u64()), (200, Some(0)), "{page}");
        assert!(page["nextCursor"].is_string());
    }
}

/// A meeting of `sessions` sessions of 20 segments each (so several session and result pages),
/// stored and rated as the Graph worker and classify do; its header.
async fn many_page_meeting(store: &callscope_core::store::DynamoStore, id: &str, sessions: usize) -> CallHeader {
    let start = ANCHOR - time::Duration::hours(2);
    let record = fixtures::call_json(id, 1, sessions, 20, start);
    let (now, home) = (ANCHOR, fixtures::HOME_TENANT);
    let prepared = callscope_core::app::ingest::prepare_calls(record.to_string().as_bytes(), now, home).unwrap();
    store.upsert(&prepared[0]).await.unwrap();
    let thresholds = callscope_core::domain::classify::Thresholds::default();
    callscope_core::app::classify::rate_call(store, id, 1, &thresholds, now, home).await.unwrap();
    callscope_tests::stored_header(store, id).await
}

/// The sort keys a request's `BatchGetItem`s asked for, and whether any request queried the call
/// partition `CALL#<id>` (read it whole).
fn keys_asked(requests: &[(String, Value)], id: &str) -> (Vec<String>, bool) {
    let mut keys = Vec::new();
    for (_, body) in requests.iter().filter(|(op, _)| op == "BatchGetItem") {
        for table in body["RequestItems"].as_object().unwrap().values() {
            keys.extend(table["Keys"].as_array().unwrap().iter().map(|k| k["SK"]["S"].as_str().unwrap().to_owned()));
        }
    }
    let whole = requests.iter().any(|(op, body)| op == "Query" && body.to_string().contains(&format!("CALL#{id}")));
    (keys, whole)
}

type CallHeader = callscope_core::store::items::CallHeader;

#[tokio::test]
async fn a_page_of_a_many_page_calls_sessions_reads_only_the_pages_that_hold_it() {
    let store = callscope_tests::fresh_store().await;
    let header = many_page_meeting(&store, "paged", 300).await;
    let counts = header.session_page_counts.clone();
    assert!(counts.len() >= 4 && counts[0] < 100, "several pages of under 100 sessions: {counts:?}");
    assert_eq!(counts.iter().sum::<u32>(), 300);
    assert_eq!(header.result_page_counts.len(), header.result_pages as usize);
    assert_eq!(header.result_page_counts.iter().sum::<u32>(), 300);
    let whole = store.call("paged", ANCHOR).await.unwrap().unwrap();
    let (counted, requests) = counted_store(store.table());
    let app = query::App {
        sites: std::sync::Arc::new(callscope_core::app::site_cache::SiteCache::new(time::Duration::hours(1))),
        ..callscope_tests::query_app(counted)
    };
    let user = fixtures::user_id(42);
    let get = async |path: &str, query: &[(&str, &str)]| {
        let mut query = query.to_vec();
        query.push(("user", &user));
        desk_send(&app, request(ENGINEER, path, &query)).await
    };
    get("/calls/paged/participants", &[]).await;
    requests.take();

    // Participants: the header and the party pages, never the sessions or results.
    let (status, page) = get("/calls/paged/participants", &[("limit", "100")]).await;
    assert_eq!((status, page["items"].as_array().unwrap().len()), (200, 100), "{page}");
    let sent = requests.take_requests();
    let (keys, whole_read) = keys_asked(&sent, "paged");
    assert!(!whole_read && keys.iter().all(|k| k.starts_with("PARTIES#")), "{keys:?}");
    let mut operations: Vec<_> = sent.iter().map(|(op, _)| op.as_str()).collect();
    operations.sort();
    assert_eq!(operations, ["BatchGetItem", "GetItem", "PutItem"]);

    // A page whose look-ahead (one session past it: whether there is more) ends exactly at the
    // first page's end reads that page alone, and only the result pages beside it.
    let first = (counts[0] - 1).to_string();
    let (status, page) = get("/calls/paged/sessions", &[("limit", &first)]).await;
    assert_eq!((status, page["items"][0]["index"].as_u64()), (200, Some(0)), "{page}");
    let (keys, whole_read) = keys_asked(&requests.take_requests(), "paged");
    let sessions: Vec<_> = keys.iter().filter(|k| k.starts_with("SESSIONS#")).collect();
    assert_eq!(sessions, ["SESSIONS#1#0000"], "{keys:?}");
    let results = keys.iter().filter(|k| k.starts_with("RESULTS#")).count();
    assert!(!whole_read && results > 0 && results < header.result_pages as usize, "{keys:?}");

    // Every session once, the last page without a cursor, each page reading only the session
    // pages its sessions and the one after lie in; the rating filter across pages keeps what
    // the whole call says, in order, and never reads the call whole.
    let starts: Vec<u32> = counts.iter().scan(0, |at, c| Some(std::mem::replace(at, *at + c))).collect();
    let page_of = |i: u32| starts.partition_point(|&s| s <= i) - 1;
    let results = whole.results.as_deref().unwrap();
    for rating in [None, Some("good"), Some("poor"), Some("unavailable")] {
        let mut asked = Vec::new();
        // Pages smaller than a stored page unfiltered (every boundary crossed), larger ones
        // filtered (fewer requests: each reads and inflates its pages in a debug build).
        let limit = if rating.is_none() { 20 } else { 40 };
        let pages = callscope_tests::every_page(limit, async |query| {
            let mut query = query.to_vec();
            query.extend(rating.map(|r| ("rating", r)));
            let page = get("/calls/paged/sessions", &query).await;
            asked.push(keys_asked(&requests.take_requests(), "paged"));
            page
        })
        .await;
        assert!(pages.last().unwrap()["nextCursor"].is_null());
        let seen: Vec<u64> = callscope_tests::page_items(&pages).map(|s| s["index"].as_u64().unwrap()).collect();
        let expected: Vec<u64> =
            (0..300u64).filter(|&i| rating.is_none_or(|r| json!(results[i as usize].rating) == json!(r))).collect();
        assert_eq!(seen, expected, "{rating:?}");
        assert!(asked.iter().all(|(_, whole_read)| !whole_read), "{rating:?}: never the whole call");
        if rating.is_none() {
            for (page, (keys, _)) in pages.iter().zip(&asked) {
                let items = page["items"].as_array().unwrap();
                let from = items[0]["index"].as_u64().unwrap() as u32;
                let to = (from + limit).min(299);
                let expected: Vec<String> =
                    (page_of(from)..=page_of(to)).map(|n| format!("SESSIONS#1#{n:04}")).collect();
                let sessions: Vec<_> = keys.iter().filter(|k| k.starts_with("SESSIONS#")).cloned().collect();
                assert_eq!(sessions, expected, "sessions {from}..={to}");
            }
        }
    }

    // A header written before page counts still pages, by reading the call whole.
    let client = callscope_tests::local_client();
    let key = |k: &str| aws_sdk_dynamodb::types::AttributeValue::S(k.to_owned());
    let mut old = client
        .get_item()
        .table_name(store.table())
        .key("PK", key("CALL#paged"))
        .key("SK", key("#HEADER"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(old.remove("sessionPageCounts").is_some() && old.remove("resultPageCounts").is_some());
    client.put_item().table_name(store.table()).set_item(Some(old)).send().await.unwrap();
    requests.take();
    let pages = callscope_tests::every_page(100, async |query| get("/calls/paged/sessions", query).await).await;
    let seen: Vec<u64> = callscope_tests::page_items(&pages).map(|s| s["index"].as_u64().unwrap()).collect();
    assert_eq!(seen, (0..300).collect::<Vec<u64>>());
    let (_, whole_read) = keys_asked(&requests.take_requests(), "paged");
    assert!(whole_read, "an old header's call is read whole");
}
