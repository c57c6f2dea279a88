//! All the details Graph reports per endpoint: every field of `deviceInfo`, `networkInfo`,
//! `participantEndpoint` (with `userFeedback`), the user agents and `failureInfo` kept through
//! the parse and the store's form, refused with its path when outside its range, and shown to an
//! engineer grouped per segment and medium (never to a specialist).

use callscope_core::domain::calls::{CallSummary, StoredCall};
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::graph::{CallRecord, FeedbackRating, ValidCall, parse_calls};
use callscope_core::domain::sites::Sites;
use callscope_core::domain::views::{EngineerCall, SpecialistCall, Viewer, call_detail};
use serde_json::{Value, json};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2020-02-26 12:00:00 UTC);
const ABBIE: &str = "821809f5-0000-0000-0000-3b5136c0e777";
const TENANT: &str = "dc368399-474c-4d40-900c-6265431fd81f";
/// Graph's documented `Get callRecord` example (`$expand=sessions($expand=segments)`), with every
/// property of the resource pages filled in and a second segment of video.
const RECORD: &str = include_str!("data/graph-full-details.json");

fn record_json() -> Value {
    serde_json::from_str(RECORD).expect("the sample is JSON")
}

/// Every object key path of `value` (array indexes kept), `null`s and empty lists left out (the
/// stored form omits them: Graph's default `traceRouteHops: []` costs nothing to store).
fn paths(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if !child.is_null() && child.as_array().is_none_or(|a| !a.is_empty()) {
                    let path = format!("{at}.{key}");
                    out.push(path.clone());
                    paths(child, &path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                paths(item, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_field_graph_documents_is_kept_through_the_parse_and_the_stored_form() {
    let call = parse_calls(RECORD.as_bytes(), NOW).expect("the documented record is accepted").remove(0);
    let stored = serde_json::to_value(call.record()).unwrap();
    let (mut given, mut kept) = (Vec::new(), Vec::new());
    paths(&record_json(), "", &mut given);
    paths(&stored, "", &mut kept);
    // OData annotations are Graph's paging and typing of the response, not the record.
    let lost: Vec<_> = given.iter().filter(|p| !p.contains("@odata.context") && !kept.contains(p)).collect();
    assert!(lost.is_empty(), "fields dropped: {lost:?}");
    // And read back from the stored form as the same record.
    let again: CallRecord = serde_json::from_value(stored).unwrap();
    assert_eq!(&again, call.record());

    let session = &call.record().sessions[0];
    let caller = session.caller.as_ref().unwrap();
    let feedback = caller.feedback.as_ref().unwrap();
    assert_eq!(feedback.rating, FeedbackRating::Poor);
    assert_eq!(feedback.tokens.get("audioNoise"), Some(&true));
    assert_eq!((caller.cpu_cores_count, caller.cpu_processor_speed_in_mhz), (Some(8), Some(2112)));
    let agent = caller.user_agent.as_ref().unwrap();
    assert_eq!(agent.azure_ad_app_id.as_deref(), Some("1fec8e78-bce4-4aaf-ab1b-5451cc387264"));
    let media = &session.segments[0].media[0];
    let device = media.caller_device.as_ref().unwrap();
    assert_eq!(device.cpu_insufficient_event_ratio, Some(0.02), "Graph's `cpuInsufficentEventRatio`");
    assert_eq!((device.howling_event_count, device.received_signal_level), (Some(2), Some(-10)));
    let network = media.caller_network.as_ref().unwrap();
    assert_eq!(network.trace_route_hops[1].round_trip_time.map(|t| t.as_ms()), Some(31.0));
    assert_eq!((network.wifi_battery_charge, network.sent_quality_event_ratio), (Some(78), Some(0.31)));
    assert_eq!(
        call.record().conference_id().as_deref(),
        Some("19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3NmQ3M2I2YjIw@thread.v2")
    );
}

#[test]
fn values_outside_their_documented_range_are_refused_with_their_path() {
    let mut json = record_json();
    let media = &mut json["sessions"][0]["segments"][0]["media"][0];
    media["callerDevice"]["deviceGlitchEventRatio"] = 1.5.into();
    media["callerDevice"]["howlingEventCount"] = (-1).into();
    media["callerNetwork"]["wifiSignalStrength"] = 120.into();
    media["callerNetwork"]["wifiBatteryCharge"] = (-5).into();
    media["callerNetwork"]["relayPort"] = 70_000.into();
    media["calleeNetwork"]["delayEventRatio"] = (-0.1).into();
    json["sessions"][0]["caller"]["cpuCoresCount"] = (-2).into();
    json["sessions"][0]["caller"]["feedback"]["text"] = "x".repeat(4_001).into();
    let record: CallRecord = serde_json::from_value(json).unwrap();
    let problems = ValidCall::new(record, NOW).expect_err("refused");
    let mut found: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
    found.sort_unstable();
    let media = "sessions[0].segments[0].media[0]";
    let mut expected = vec![
        format!("{media}.callerDevice.deviceGlitchEventRatio"),
        format!("{media}.callerDevice.howlingEventCount"),
        format!("{media}.callerNetwork.wifiSignalStrength"),
        format!("{media}.callerNetwork.wifiBatteryCharge"),
        format!("{media}.callerNetwork.relayPort"),
        format!("{media}.calleeNetwork.delayEventRatio"),
        "sessions[0].caller.cpuCoresCount".to_owned(),
        "sessions[0].caller.feedback.text".to_owned(),
    ];
    expected.sort_unstable();
    assert_eq!(found, expected);
}

fn stored() -> StoredCall {
    stored_from(&record_json())
}

/// `record` accepted, rated and stored.
fn stored_from(record: &Value) -> StoredCall {
    let body = serde_json::to_vec(record).unwrap();
    let call = parse_calls(&body, NOW).unwrap().remove(0);
    let result = classify_sessions(&call.record().sessions, &Thresholds::default());
    let summary = CallSummary { rating: result.rating, ..CallSummary::of(&call, NOW) };
    StoredCall { summary, sessions: call.record().sessions.clone(), results: Some(result.sessions) }
}

#[test]
fn an_engineer_sees_every_report_grouped_per_segment_and_medium_and_the_ids_to_quote() {
    let viewer = Viewer { searched_user: ABBIE, home_tenant: TENANT };
    let view: EngineerCall = call_detail(&stored(), &viewer, &Sites::default());
    let session = &serde_json::to_value(&view).unwrap()["sessions"][0];
    let caller = &session["advanced"]["caller"];
    assert_eq!(caller["system"]["platform"], "android");
    assert_eq!(caller["system"]["productFamily"], "skypeForBusiness");
    assert_eq!(caller["system"]["cpuCoresCount"], 8);
    assert_eq!(caller["feedback"]["rating"], "poor");
    assert_eq!(caller["feedback"]["tokens"], serde_json::json!(["audioNoise", "videoFrozen"]), "the ticked ones");
    assert_eq!(session["advanced"]["callee"]["feedback"]["rating"], "poor");

    let segments = caller["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 2, "both segments report");
    let first = &segments[0];
    assert_eq!(
        (first["index"].as_u64(), first["startDateTime"].as_str()),
        (Some(0), Some("2020-02-25T18:52:21.2169889Z"))
    );
    assert!(first.get("system").is_none(), "the first segment's endpoint is the session's");
    let audio = &first["media"][0];
    assert_eq!(audio["label"], "main-audio");
    assert_eq!(audio["device"]["cpuInsufficientEventRatio"], 0.02);
    assert_eq!(audio["device"]["speakerGlitchRate"], 3152.0);
    assert_eq!(audio["device"]["sentNoiseLevel"], -96);
    assert_eq!(audio["connectivity"]["wifiRadioType"], "wifi80211ac");
    assert_eq!(audio["connectivity"]["wifiVendorDriver"], "Intel(R) Dual Band Wireless-AC 8265");
    assert_eq!(audio["connectivity"]["wifiBatteryCharge"], 78);
    assert_eq!(audio["connectivity"]["linkSpeed"], 54_000_000);
    assert_eq!(audio["network"]["receivedQualityEventRatio"], 0.27);
    assert_eq!(audio["network"]["relayUsed"], true);
    assert_eq!(audio["network"]["traceRoute"][1]["roundTripTimeMs"], 31.0);
    for debug_field in ["dnsSuffix", "macAddress", "bssid", "reflexiveIpAddress", "relayIpAddress", "port"] {
        assert!(audio["connectivity"].get(debug_field).is_none() && audio["network"].get(debug_field).is_none());
    }
    let second = &segments[1];
    assert_eq!(second["system"]["applicationVersion"], "6.26.0.1", "a segment's own client, where it changed");
    assert_eq!(second["media"][0]["label"], "main-video");
    assert_eq!(second["media"][0]["connectivity"]["connectionType"], "wired");
    assert_eq!(second["media"][0]["device"]["deviceGlitchEventRatio"], 0.2);

    let debug = &session["debug"];
    assert_eq!(debug["callId"], "e523d2ed-2966-4b6b-925b-754a88034cc5");
    assert_eq!(debug["sessionId"], "e523d2ed-2966-4b6b-925b-754a88034cc5");
    assert_eq!(debug["conferenceId"], "19:meeting_NTg0NmQ3NTctZDVkZC00YzRhLThmNmEtOGQ3NmQ3M2I2YjIw@thread.v2");
    assert_eq!(
        (debug["failure"]["stage"].as_str(), debug["failure"]["reason"].as_str()),
        (Some("midcall"), Some("The media connection was lost"))
    );
    assert_eq!(debug["caller"]["azureAdAppId"], "1fec8e78-bce4-4aaf-ab1b-5451cc387264");
    assert_eq!(debug["caller"]["communicationServiceId"], "acs-resource-1");
    let debug_segments = debug["caller"]["segments"].as_array().unwrap();
    assert_eq!(debug_segments[0]["media"][0]["relayPort"], 53889);
    assert_eq!(debug_segments[0]["media"][0]["dnsSuffix"], "contoso.com");
    assert_eq!(
        debug_segments[1]["userAgent"],
        "RTCC/7.0.0.0 UCWA/7.0.0.0 AndroidLync/6.26.0.1 (SM-G930U Android 8.0.0)"
    );
    assert_eq!(debug["callee"]["segments"][0]["media"][0]["port"], 50011);
}

#[test]
fn a_specialist_sees_none_of_it() {
    let viewer = Viewer { searched_user: ABBIE, home_tenant: TENANT };
    let view: SpecialistCall = call_detail(&stored(), &viewer, &Sites::default());
    let json = serde_json::to_string(&view).unwrap();
    for hidden in [
        "feedback",
        "could not hear",
        "cpuName",
        "conferenceId",
        "19:meeting",
        "failure",
        "traceRoute",
        "wifiVendorDriver",
        "machineName",
    ] {
        assert!(!json.contains(hidden), "a specialist sees {hidden}");
    }
}

/// The session's caller names the person; the segment's caller endpoint (Graph's
/// participantEndpoint, which the view reads feedback from) carries no identity of its own: it
/// is the erased side's all the same, so its feedback text, machine name and processor go.
#[test]
fn an_erasure_takes_the_feedback_machine_and_processor_of_a_segment_endpoint_that_names_nobody() {
    let mut record = record_json();
    let caller_id = record["sessions"][0]["caller"]["identity"]["user"]["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| record["sessions"][0]["caller"]["associatedIdentity"]["id"].as_str().map(str::to_owned))
        .expect("the sample's caller has an id");
    record["sessions"][0]["caller"]["feedback"] = Value::Null;
    record["sessions"][0]["segments"][0]["caller"] = json!({
        "name": "ABBIE-LAPTOP-7",
        "cpuName": "Abbie's own CPU",
        "feedback": { "rating": "bad", "text": "This is Abbie Smith, call me back on +1 555 010 9999" }
    });
    let mut call = stored_from(&record);
    for session in &mut call.sessions {
        session.erase_party(&caller_id);
    }
    call.summary.erase_party(&caller_id);
    let stored_text = serde_json::to_string(&call.sessions).unwrap();
    let viewer = Viewer { searched_user: ABBIE, home_tenant: TENANT };
    let view: EngineerCall = call_detail(&call, &viewer, &Sites::default());
    let shown = serde_json::to_string(&view).unwrap();
    for personal in ["Abbie Smith", "+1 555 010 9999", "ABBIE-LAPTOP-7", "Abbie's own CPU"] {
        assert!(!stored_text.contains(personal), "erased caller's {personal:?} is still stored");
        assert!(!shown.contains(personal), "erased caller's {personal:?} is still shown to an engineer");
    }
}
