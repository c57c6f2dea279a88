//! The engineer's timeline of a session: every segment as both sides reported it, so a change of
//! network within a session shows, and every stream's statistics with the overview's grades.

use callscope_core::domain::calls::{CallSummary, StoredCall};
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::graph::parse_calls;
use callscope_core::domain::sites::Sites;
use callscope_core::domain::views::{EngineerCall, SpecialistCall, Viewer, call_detail};
use serde_json::{Value, json};
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);
const ADA: &str = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";

/// The sample meeting, with Ada moving from Wi-Fi to a wired network in her second segment.
fn stored() -> StoredCall {
    let mut record: Value =
        serde_json::from_str(include_str!("../../events/graph/meeting.json")).expect("the sample is JSON");
    record["sessions"][0]["segments"][1]["media"][0]["callerNetwork"] =
        json!({ "connectionType": "wired", "ipAddress": "10.9.8.7", "subnet": "10.9.8.0", "dnsSuffix": "corp" });
    let call = parse_calls(record.to_string().as_bytes(), NOW).expect("the sample parses").remove(0);
    let result = classify_sessions(&call.record().sessions, &Thresholds::default());
    let summary = CallSummary { rating: result.rating, ..CallSummary::of(&call, NOW) };
    StoredCall { summary, sessions: call.record().sessions.clone(), results: Some(result.sessions) }
}

#[test]
fn a_change_of_network_within_a_session_shows_segment_by_segment() {
    let stored = stored();
    let viewer = Viewer { searched_user: ADA, home_tenant: "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e" };
    let view: EngineerCall = call_detail(&stored, &viewer, &Sites::default());
    let json = serde_json::to_value(&view).unwrap();
    let timeline = json["sessions"][0]["timeline"].as_array().expect("a timeline");
    assert_eq!(timeline.len(), 2, "one entry per segment");
    let first = &timeline[0]["caller"]["networks"][0];
    let second = &timeline[1]["caller"]["networks"][0];
    assert_eq!((first["connectionType"].as_str(), second["connectionType"].as_str()), (Some("wifi"), Some("wired")));
    assert_eq!(second["ipAddress"], "10.9.8.7");
    assert!(second.get("dnsSuffix").is_none(), "Debug fields stay in debug: {second}");

    let stream = &timeline[0]["media"][0]["streams"][0];
    assert_eq!((stream["codec"].as_str(), stream["bandwidthEstimate"].as_i64()), (Some("satin"), Some(9_846_533)));
    // Every graded metric of a stream carries the same mark as on the overview.
    let overview = json["sessions"][0]["metrics"].as_array().unwrap();
    let mut marked = 0;
    for segment in timeline {
        for media in segment["media"].as_array().unwrap() {
            for stream in media["streams"].as_array().unwrap() {
                for metric in stream["metrics"].as_array().unwrap() {
                    let same = overview.iter().find(|m| {
                        ["media", "segment", "side", "direction", "metric", "value"].iter().all(|k| m[k] == metric[k])
                    });
                    assert_eq!(same.map(|m| &m["grade"]), Some(&metric["grade"]), "{metric}");
                    marked += 1;
                }
            }
        }
    }
    let stream_metrics = overview.iter().filter(|m| m.get("direction").is_some()).count();
    assert_eq!(marked, stream_metrics, "every graded stream metric is in the timeline once");

    let specialist: SpecialistCall = call_detail(&stored, &viewer, &Sites::default());
    let text = serde_json::to_string(&specialist).unwrap();
    assert!(!text.contains("timeline") && !text.contains("10.9.8.7"), "tier 1 keeps its view");
}
