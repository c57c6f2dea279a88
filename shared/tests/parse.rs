//! Parsing and validating Graph call records, on the hand-written samples in `events/graph/`
//! and on small targeted cases.

use callscope_core::domain::graph::{
    CallType, FailureStage, Modality, PartyKind, StreamDirection, ValidCall, parse_calls,
};
use callscope_core::domain::problem::{Rejection, Severity};
use serde_json::{Value, json};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

fn sample(name: &str) -> Value {
    let path = format!("{}/../events/graph/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parse_one(record: &Value) -> Result<ValidCall, Rejection> {
    parse_calls(record.to_string().as_bytes(), NOW).map(|mut calls| calls.remove(0))
}

fn paths(rejection: &Rejection) -> Vec<&str> {
    rejection.problems.iter().map(|p| p.path.as_str()).collect()
}

#[test]
fn the_realistic_meeting_parses_into_typed_values() {
    let call = parse_one(&sample("meeting.json")).expect("the sample is valid");
    let record = call.record();
    assert_eq!((record.version, record.call_type), (2, CallType::GroupCall));
    assert_eq!(record.modalities, [Modality::Audio, Modality::Video, Modality::ScreenSharing]);
    assert_eq!(record.end_date_time, datetime!(2026-11-24 14:45:30.5 UTC), "7-digit fractions");
    assert_eq!(record.sessions.len(), 2);

    let first = &record.sessions[0];
    assert_eq!(first.segments.len(), 2);
    let audio = &first.segments[0].media[0];
    let video = &first.segments[0].media[1];
    assert_eq!((audio.label.as_deref(), video.label.as_deref()), (Some("main-audio"), Some("main-video")));
    let directions: Vec<_> = audio.streams.iter().map(|s| s.stream_direction).collect();
    assert_eq!(directions, [Some(StreamDirection::CallerToCallee), Some(StreamDirection::CalleeToCaller)]);
    assert_eq!(audio.streams[0].average_jitter.unwrap().as_ms(), 7.0);
    assert_eq!(audio.streams[0].max_round_trip_time.unwrap().as_ms(), 120.0);
    assert_eq!(video.streams[1].average_video_frame_rate, Some(12.0));
    assert_eq!(video.streams[1].average_video_frame_loss_percentage, None, "null is absent, never zero");
    assert!(audio.callee_device.is_none(), "null device");
    let network = audio.caller_network.as_ref().unwrap();
    assert_eq!((network.ssid.as_deref(), network.wifi_channel), (Some("CONTOSO-CORP"), Some(44)));
    assert_eq!(network.reflexive_ip_address.as_deref(), Some("203.0.113.10"), "Graph spells it reflexiveIPAddress");
    assert_eq!(network.relay_ip_address.as_deref(), Some("52.114.0.10"));
    assert_eq!(first.caller.as_ref().unwrap().name.as_deref(), Some("ADA-LAPTOP-01"));

    let second = &record.sessions[1];
    let failure = second.failure_info.as_ref().unwrap();
    assert_eq!(
        (failure.stage, failure.reason.as_deref()),
        (FailureStage::Midcall, Some("ms-diag: 1000 network interruption"))
    );
    let device = second.segments[0].media[0].caller_device.as_ref().unwrap();
    assert_eq!(device.capture_not_functioning_event_ratio, Some(0.0049));
}

#[test]
fn parties_are_merged_from_every_place_a_record_names_them() {
    let call = parse_one(&sample("meeting.json")).unwrap();
    let parties: Vec<_> =
        call.parties().iter().map(|p| (p.kind, p.display_name.as_deref(), p.tenant_id.as_deref())).collect();
    assert_eq!(
        parties,
        [
            (PartyKind::User, Some("Ada Lovelace"), Some("b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e")),
            (PartyKind::User, Some("Bob Babbage"), Some("0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d")),
            (PartyKind::Guest, Some("Grace Guest (Guest)"), Some("b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e")),
            (PartyKind::Phone, None, None),
        ]
    );
    // Only the home tenant's users have a history: not Bob of another tenant, not the guest,
    // not the phone.
    let histories: Vec<_> =
        call.parties().iter().map(|p| p.has_history("b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e")).collect();
    assert_eq!(histories, [true, false, false, false]);

    let p2p = parse_one(&sample("p2p-pstn.json")).unwrap();
    let ids: Vec<_> = p2p.parties().iter().map(|p| (p.kind, p.id.as_str())).collect();
    assert_eq!(ids, [(PartyKind::User, "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b"), (PartyKind::Phone, "+15552823456")]);
}

#[test]
fn missing_null_and_unknown_fields_are_tolerated() {
    let record = json!({
        "id": "minimal", "version": 1,
        "startDateTime": "2026-11-24T10:00:00Z", "endDateTime": "2026-11-24T10:00:00Z",
        "type": "somethingNew", "modalities": null, "sessions": null, "participants_v2": null,
        "futureField": { "nested": [1, 2, 3] },
    });
    let call = parse_one(&record).unwrap();
    assert_eq!(call.record().call_type, CallType::Unknown);
    assert!(call.record().sessions.is_empty() && call.parties().is_empty());

    let mut with_extras = sample("p2p-pstn.json");
    with_extras["sessions"][0]["failureInfo"] =
        json!({ "stage": "callSetup", "reason": "ms-diag: 21 busy", "msDiagCode": 21 });
    with_extras["sessions"][0]["segments"][0]["media"][0]["streams"][0]["streamDirection"] = json!("sideways");
    let call = parse_one(&with_extras).unwrap();
    let session = &call.record().sessions[0];
    let failure = session.failure_info.as_ref().unwrap();
    assert_eq!((failure.stage, failure.ms_diag_code), (FailureStage::CallSetup, Some(21)));
    assert_eq!(session.segments[0].media[0].streams[0].stream_direction, Some(StreamDirection::Unknown));
}

#[test]
fn schema_problems_carry_json_paths() {
    let cases: [(&str, Value, &str); 6] = [
        ("/version", json!("two"), "version"),
        ("/startDateTime", json!("yesterday"), "startDateTime"),
        (
            "/sessions/0/segments/0/media/0/streams/0/maxJitter",
            json!("PT0.05"),
            "sessions[0].segments[0].media[0].streams[0].maxJitter",
        ),
        (
            "/sessions/0/segments/0/media/0/streams/0/averagePacketLossRate",
            json!("high"),
            "sessions[0].segments[0].media[0].streams[0].averagePacketLossRate",
        ),
        ("/sessions/0/failureInfo", json!({ "msDiagCode": -3 }), "sessions[0].failureInfo.msDiagCode"),
        ("/participants_v2", json!({}), "participants_v2"),
    ];
    for (pointer, value, path) in cases {
        let mut record = sample("p2p-pstn.json");
        record["sessions"][0]["failureInfo"] = Value::Null;
        *record.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
        let rejection = parse_one(&record).unwrap_err();
        assert_eq!(paths(&rejection), [path], "{pointer}");
        assert_eq!(rejection.severity(), Severity::Invalid);
    }
    // A missing field is named by its path, at the top and deep inside.
    let mut record = sample("p2p-pstn.json");
    record.as_object_mut().unwrap().remove("id");
    let rejection = parse_one(&record).unwrap_err();
    assert!(rejection.problems[0].message.contains("missing field `id`"), "{:?}", rejection.problems);
    assert_eq!(paths(&rejection), ["id"]);
    let mut record = sample("p2p-pstn.json");
    record.as_object_mut().unwrap().remove("startDateTime");
    assert_eq!(paths(&parse_one(&record).unwrap_err()), ["startDateTime"]);
    let batch = json!({ "value": [sample("p2p-pstn.json"), { "version": 1 }] });
    let rejection = parse_calls(batch.to_string().as_bytes(), NOW).unwrap_err();
    let problem = &rejection.problems[0];
    assert_eq!((problem.index, problem.path.as_str()), (Some(1), "id"), "{:?}", rejection.problems);
}

#[test]
fn rule_problems_are_all_collected() {
    let mut record = sample("meeting.json");
    record["id"] = json!("bad\u{7}id");
    record["version"] = json!(-1);
    record["sessions"][0]["endDateTime"] = json!("2026-11-24T13:00:00Z");
    record["sessions"][0]["segments"][1]["endDateTime"] = json!("2026-11-24T14:29:59Z");
    record["sessions"][1]["segments"][0]["media"][0]["callerDevice"]["renderNotFunctioningEventRatio"] = json!(2.0);
    record["sessions"][1]["segments"][0]["media"][0]["streams"][0]["packetUtilization"] = json!(-1);
    record["participants_v2"][3]["identity"]["phone"]["id"] = json!("+1555\n0000");
    let rejection = parse_one(&record).unwrap_err();
    assert_eq!(
        paths(&rejection),
        [
            "id",
            "version",
            "sessions[0].endDateTime",
            "sessions[0].segments[1].endDateTime",
            "sessions[1].segments[0].media[0].callerDevice.renderNotFunctioningEventRatio",
            "sessions[1].segments[0].media[0].streams[0].packetUtilization",
            "participants_v2[3].identity.phone.id",
        ]
    );
}

#[test]
fn metric_ranges_are_inclusive_at_both_ends() {
    let stream = "/sessions/0/segments/0/media/0/streams/0";
    for (field, ok, bad) in [
        ("averagePacketLossRate", [0.0, 1.0], [-0.0001, 1.0001]),
        ("averageAudioDegradation", [0.0, 5.0], [-0.1, 5.1]),
        ("averageVideoFrameLossPercentage", [0.0, 100.0], [-1.0, 100.5]),
    ] {
        for value in ok {
            let mut record = sample("p2p-pstn.json");
            record.pointer_mut(stream).unwrap()[field] = json!(value);
            assert!(parse_one(&record).is_ok(), "{field} = {value}");
        }
        for value in bad {
            let mut record = sample("p2p-pstn.json");
            record.pointer_mut(stream).unwrap()[field] = json!(value);
            assert!(parse_one(&record).is_err(), "{field} = {value}");
        }
    }
}

#[test]
fn too_old_and_future_calls_are_unacceptable_not_invalid() {
    let mut record = sample("p2p-pstn.json");
    record["startDateTime"] = json!("2026-10-01T00:00:00Z");
    record["endDateTime"] = json!("2026-10-01T00:10:00Z");
    let rejection = parse_one(&record).unwrap_err();
    assert_eq!((paths(&rejection), rejection.severity()), (vec!["endDateTime"], Severity::Unacceptable));

    // An invalid problem anywhere makes the whole rejection a 400.
    record["version"] = json!(-5);
    assert_eq!(parse_one(&record).unwrap_err().severity(), Severity::Invalid);
}

#[test]
fn expiry_is_end_plus_thirty_days() {
    let call = parse_one(&sample("p2p-pstn.json")).unwrap();
    let expires = callscope_core::domain::retention::call_expires_at(call.record().end_date_time);
    assert_eq!(expires, datetime!(2026-12-24 09:12:34 UTC));
}

#[test]
fn a_record_with_a_page_link_left_is_incomplete() {
    for link in ["sessions@odata.nextLink", "participants_v2@odata.nextLink"] {
        let mut record = sample("p2p-pstn.json");
        record[link] = json!("https://graph.microsoft.com/v1.0/communications/callRecords/x/sessions?$skiptoken=1");
        let rejection = parse_one(&record).unwrap_err();
        assert_eq!((paths(&rejection), rejection.severity()), (vec![link], Severity::Incomplete));
        let batch = json!({ "value": [sample("p2p-pstn.json"), record] });
        let rejection = parse_calls(batch.to_string().as_bytes(), NOW).unwrap_err();
        assert_eq!(rejection.problems[0].index, Some(1));
    }
    let mut record = sample("p2p-pstn.json");
    record["sessions@odata.nextLink"] = Value::Null;
    assert!(parse_one(&record).is_ok(), "a null link is no link");
}
