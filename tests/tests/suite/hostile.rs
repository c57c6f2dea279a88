//! The bad-input catalogue: hostile `POST /calls` bodies, each answered with its documented 4xx
//! (docs/api.md), a JSON body saying what is wrong and where, never a 500 or a panic, and
//! nothing written. Then ids built to collide with other items' keys, which must not.

use callscope_core::store::keys;
use callscope_http::HttpFunction;
use callscope_tests::samples::{ADA, P2P};
use callscope_tests::{ANCHOR, all_items, fresh_store, graph_record, raw_ingest_request};
use serde_json::{Value, json};

/// One hostile request and what it must get.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    status: u16,
    code: &'static str,
    /// The first problem's batch index and JSON path, when the error lists problems.
    at: Option<(Option<u64>, &'static str)>,
}

const STREAM: &str = "sessions[0].segments[0].media[0].streams[0]";

fn sample() -> Value {
    graph_record("p2p-pstn.json")
}

/// The sample with `change` applied.
fn with(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut record = sample();
    change(&mut record);
    record.to_string().into_bytes()
}

fn json_case(name: &'static str, body: Vec<u8>, status: u16, at: Option<(Option<u64>, &'static str)>) -> Case {
    let code = match status {
        400 => "invalid_request",
        422 => "unacceptable",
        413 => "payload_too_large",
        _ => unreachable!("set the code explicitly"),
    };
    Case { name, body, content_type: Some("application/json"), status, code, at }
}

fn catalogue() -> Vec<Case> {
    let text = sample().to_string();
    let whole = Some((None, "$"));
    let stream = |field: &str| -> &'static str { format!("{STREAM}.{field}").leak() };
    let mut cases = vec![
        json_case("truncated JSON", text.as_bytes()[..text.len() / 2].to_vec(), 400, whole),
        json_case("invalid JSON token", br#"{"id": "x", "version": tru}"#.to_vec(), 400, whole),
        json_case("empty body", Vec::new(), 400, whole),
        json_case("JSON null", b"null".to_vec(), 400, whole),
        json_case("a JSON array", b"[]".to_vec(), 400, whole),
        json_case(
            "invalid UTF-8",
            text.replacen("Ada Lovelace", "Ada \u{1}", 1)
                .into_bytes()
                .into_iter()
                .map(|b| if b == 1 { 0xff } else { b })
                .collect(),
            400,
            whole,
        ),
        json_case(
            "a lone surrogate escape",
            text.replacen("Ada Lovelace", "\\ud800", 1).into_bytes(),
            400,
            Some((None, "organizer_v2.identity.user.displayName")),
        ),
        json_case("100,000 nested arrays as the body", "[".repeat(100_000).into_bytes(), 400, whole),
        json_case(
            "nesting past serde_json's limit inside an ignored field",
            text.replacen(
                "\"type\":",
                &format!("\"extra\":{}{},\"type\":", "[".repeat(2_000_000), "]".repeat(2_000_000)),
                1,
            )
            .into_bytes(),
            400,
            whole,
        ),
        json_case(
            "a 10 MB string",
            format!("{{\"id\": \"{}\"}}", "x".repeat(10 * 1024 * 1024)).into_bytes(),
            413,
            None,
        ),
        json_case("a 1 MB id", with(|r| r["id"] = "x".repeat(1 << 20).into()), 400, Some((None, "id"))),
        json_case(
            "a 3 MB display name",
            with(|r| r["organizer_v2"]["identity"]["user"]["displayName"] = "A".repeat(3 << 20).into()),
            422,
            Some((None, "participants_v2")),
        ),
        json_case(
            "1,001 bare segments in one session (a response of copies)",
            with(|r| r["sessions"][0]["segments"] = json!(vec![json!({}); 1_001])),
            422,
            Some((None, "sessions[0].segments")),
        ),
        json_case(
            "a 2,000-character user agent",
            with(|r| r["sessions"][0]["caller"]["userAgent"] = json!({ "headerValue": "x".repeat(2_000) })),
            422,
            Some((None, "sessions[0].caller.userAgent.headerValue")),
        ),
        json_case(
            "25,001 sessions",
            with(|r| r["sessions"] = json!(vec![json!({ "modalities": ["audio"] }); 25_001])),
            422,
            Some((None, "sessions")),
        ),
        json_case(
            "a NaN metric",
            text.replacen("\"averagePacketLossRate\":0.1", "\"averagePacketLossRate\":NaN", 1).into_bytes(),
            400,
            whole,
        ),
        json_case(
            "a metric of 1e400",
            text.replacen("\"averagePacketLossRate\":0.1", "\"averagePacketLossRate\":1e400", 1).into_bytes(),
            400,
            Some((None, stream("averagePacketLossRate"))),
        ),
        json_case(
            "negative packet loss",
            with(|r| r["sessions"][0]["segments"][0]["media"][0]["streams"][0]["averagePacketLossRate"] = json!(-0.1)),
            400,
            Some((None, stream("averagePacketLossRate"))),
        ),
        json_case(
            "packet loss of a billion",
            with(|r| r["sessions"][0]["segments"][0]["media"][0]["streams"][0]["averagePacketLossRate"] = json!(1e9)),
            400,
            Some((None, stream("averagePacketLossRate"))),
        ),
        json_case(
            "a negative duration",
            with(|r| r["sessions"][0]["segments"][0]["media"][0]["streams"][0]["averageJitter"] = json!("-PT0.03S")),
            400,
            Some((None, stream("averageJitter"))),
        ),
        json_case(
            "an absurd duration",
            with(|r| {
                r["sessions"][0]["segments"][0]["media"][0]["streams"][0]["averageJitter"] =
                    json!("PT99999999999999999999H")
            }),
            400,
            Some((None, stream("averageJitter"))),
        ),
        json_case("a version of 1e30", with(|r| r["version"] = json!(1e30)), 400, Some((None, "version"))),
        json_case("a negative version", with(|r| r["version"] = json!(-1)), 400, Some((None, "version"))),
        json_case(
            "a call ending before it starts",
            with(|r| r["endDateTime"] = json!("2026-11-24T08:00:00Z")),
            400,
            Some((None, "endDateTime")),
        ),
        json_case(
            "a call in the year 9999",
            with(|r| {
                r["startDateTime"] = json!("9999-01-01T00:00:00Z");
                r["endDateTime"] = json!("9999-01-01T01:00:00Z");
            }),
            422,
            Some((None, "startDateTime")),
        ),
        json_case("an id with a NUL", with(|r| r["id"] = json!("abc\u{0}def")), 400, Some((None, "id"))),
        json_case("an id with a newline", with(|r| r["id"] = json!("abc\ndef")), 400, Some((None, "id"))),
        json_case("an empty id", with(|r| r["id"] = json!("  ")), 400, Some((None, "id"))),
        json_case(
            "a participant id with a control character",
            with(|r| r["participants_v2"][0]["identity"]["user"]["id"] = json!("u\u{7}")),
            400,
            Some((None, "participants_v2[0].identity.user.id")),
        ),
        json_case(
            "the same call twice in one batch (versions 2 and 1)",
            json!({ "value": [with_version(2), with_version(1)] }).to_string().into_bytes(),
            400,
            Some((Some(1), "id")),
        ),
        json_case(
            "a batch mixing a good record and one too old",
            json!({ "value": [sample(), too_old()] }).to_string().into_bytes(),
            422,
            Some((Some(1), "endDateTime")),
        ),
        json_case(
            "101 records in a batch",
            json!({ "value": vec![sample(); 101] }).to_string().into_bytes(),
            400,
            Some((None, "value")),
        ),
    ];
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x"), None]
    {
        cases.push(Case {
            name: "a body that is not declared as JSON",
            body: text.clone().into_bytes(),
            content_type,
            status: 415,
            code: "unsupported_media_type",
            at: None,
        });
    }
    cases
}

/// Another call, ended before the 30-day window.
fn too_old() -> Value {
    let mut record = sample();
    record["id"] = json!("old");
    record["startDateTime"] = json!("2026-10-01T00:00:00Z");
    record["endDateTime"] = json!("2026-10-01T00:10:00Z");
    record
}

fn with_version(version: i64) -> Value {
    let mut record = sample();
    record["version"] = json!(version);
    record
}

#[tokio::test]
async fn every_hostile_body_gets_its_documented_4xx_and_writes_nothing() {
    let store = fresh_store().await;
    let app = callscope_tests::ingest_app(&store);
    let mut failures = Vec::new();
    let cases = catalogue();
    for case in &cases {
        let response = app.handle(raw_ingest_request(&case.body, case.content_type)).await;
        let headers = [&response.headers()["cache-control"], &response.headers()["x-content-type-options"]];
        if headers != ["no-store", "nosniff"] {
            failures.push(format!("{}: a response that may be cached or sniffed: {headers:?}", case.name));
        }
        let (status, body) = callscope_tests::json_response(response);
        let problem = &body["error"]["problems"][0];
        let at =
            (!problem.is_null()).then(|| (problem["index"].as_u64(), problem["path"].as_str().unwrap_or_default()));
        let found = (status, body["error"]["code"].as_str().unwrap_or_default(), at);
        if found != (case.status, case.code, case.at) {
            failures.push(format!(
                "{} ({:?}): expected {:?}, got {found:?}: {:.300}",
                case.name,
                case.content_type,
                (case.status, case.code, case.at),
                body.to_string()
            ));
        }
        if at == Some((None, "$")) && case.name != "empty body" && problem["line"].as_u64().is_none() {
            failures.push(format!("{}: a syntax problem without its line: {problem}", case.name));
        }
        if !all_items(store.table()).await.is_empty() {
            failures.push(format!("{}: something was written", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[tokio::test]
async fn an_error_body_lists_the_first_100_problems_and_counts_the_rest() {
    let store = fresh_store().await;
    let app = callscope_tests::ingest_app(&store);
    // One record, 256 streams (8 media of 32, the most a media holds), each with a negative
    // packet utilization.
    let mut record = sample();
    let mut media = record["sessions"][0]["segments"][0]["media"][0].clone();
    let mut bad = media["streams"][0].clone();
    bad["packetUtilization"] = json!(-1);
    media["streams"] = json!(vec![bad; 32]);
    record["sessions"][0]["segments"][0]["media"] = json!(vec![media; 8]);
    let body = record.to_string();
    let response = app.handle(raw_ingest_request(body.as_bytes(), Some("application/json"))).await;
    let (status, body) = callscope_tests::json_response(response);
    assert_eq!(status, 400);
    let listed = body["error"]["problems"].as_array().unwrap();
    assert_eq!(listed.len(), 100);
    assert_eq!(listed[0]["path"], format!("{STREAM}.packetUtilization"));
    let found = 100 + body["error"]["problemsOmitted"].as_u64().unwrap();
    assert_eq!(found, 256, "every problem is counted");
    assert!(all_items(store.table()).await.is_empty());
}

#[tokio::test]
async fn ids_built_from_key_delimiters_stay_in_their_own_items() {
    let store = fresh_store().await;
    let app = callscope_tests::ingest_app(&store);
    // A call whose id looks like another item's key, between users whose ids extend each other.
    let tricky_call = "x#HEADER";
    for (call, user) in [(tricky_call, "u#1"), ("x", "u")] {
        let body = sample().to_string().replace(P2P, call).replace(ADA, user);
        let response = app.handle(raw_ingest_request(body.as_bytes(), Some("application/json"))).await;
        assert_eq!(response.status(), 202);
    }
    let window = (ANCHOR - time::Duration::days(30), ANCHOR);
    for (user, call) in [("u", "x"), ("u#1", tricky_call)] {
        let page = store.user_history(user, window, 100, None, ANCHOR).await.unwrap();
        let calls: Vec<&str> = page.entries.iter().map(|e| e.call_id.as_str()).collect();
        assert_eq!(calls, [call], "{user} sees exactly their own call");
        let stored = store.call(call, ANCHOR).await.unwrap().expect("stored");
        assert_eq!(stored.summary.call_id, call);
        assert_eq!(stored.sessions.len(), 1);
    }
    for item in all_items(store.table()).await {
        let pk = item[keys::PK].as_s().unwrap();
        let sk = item[keys::SK].as_s().unwrap();
        if let Some(call) = pk.strip_prefix("CALL#") {
            assert!(call == "x" || call == tricky_call, "{pk}");
            let id = item["callId"].as_s().map(String::as_str).unwrap_or(call);
            assert_eq!(id, call, "{pk} {sk} holds another call's data");
        }
    }
}
