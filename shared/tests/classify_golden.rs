//! The golden suite: every rule of `docs/thresholds.md` at and just beyond its boundary.
//!
//! Each case starts from one good audio session (two streams, both devices healthy) and changes
//! what the case is about.

use callscope_core::domain::classify::Rating;
use callscope_core::domain::classify::{
    Grade, IssueCode, LikelyAt, Metric, Thresholds, classify_session, classify_sessions,
};
use callscope_core::domain::graph::Session;
use callscope_core::domain::graph::Side;
use serde_json::{Value, json};

const OUT: &str = "/segments/0/media/0/streams/0"; // caller to callee
const BACK: &str = "/segments/0/media/0/streams/1"; // callee to caller
const MEDIA: &str = "/segments/0/media";

fn good_stream(direction: &str) -> Value {
    json!({
        "streamDirection": direction,
        "averageJitter": "PT0.005S", "maxJitter": "PT0.012S",
        "averagePacketLossRate": 0.001, "maxPacketLossRate": 0.01,
        "averageRoundTripTime": "PT0.04S", "maxRoundTripTime": "PT0.09S",
        "averageAudioDegradation": 0.1, "averageRatioOfConcealedSamples": 0.005,
        "packetUtilization": 10000,
    })
}

/// A person's endpoint, as Graph sends it.
fn person(id: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
        "associatedIdentity": { "id": id, "displayName": id, "tenantId": "t" },
        "userAgent": { "@odata.type": "#microsoft.graph.callRecords.clientUserAgent", "platform": "windows" },
    })
}

/// A service endpoint in `role` (conference server, gateway, ...).
fn service(role: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.callRecords.serviceEndpoint",
        "userAgent": { "@odata.type": "#microsoft.graph.callRecords.serviceUserAgent", "role": role },
    })
}

fn base() -> Value {
    let device = json!({ "captureNotFunctioningEventRatio": 0.0, "renderNotFunctioningEventRatio": 0.0 });
    json!({
        "id": "s1",
        "caller": person("ada"),
        "callee": person("bob"),
        "segments": [{
            "id": "g1",
            "media": [{
                "label": "main-audio",
                "callerDevice": device, "calleeDevice": device,
                "streams": [good_stream("callerToCallee"), good_stream("calleeToCaller")],
            }],
        }],
    })
}

fn set(session: &mut Value, pointer: &str, field: &str, value: Value) {
    session.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}"))[field] = value;
}

/// Adds a media of `label` with one stream `stream` (a JSON object).
fn add_media(session: &mut Value, label: &str, stream: Value) {
    session.pointer_mut(MEDIA).unwrap().as_array_mut().unwrap().push(json!({ "label": label, "streams": [stream] }));
}

type Change = fn(&mut Value);

struct Case {
    name: &'static str,
    change: Change,
    rating: Rating,
    codes: &'static [IssueCode],
}

const fn case(name: &'static str, change: Change, rating: Rating, codes: &'static [IssueCode]) -> Case {
    Case { name, change, rating, codes }
}

use IssueCode::*;
use Rating::{Good, Poor, Unavailable};

const CASES: &[Case] = &[
    case("baseline", |_| {}, Good, &[]),
    // Audio network rule: strict "greater than" at each boundary.
    case("avg jitter 30 ms is not poor", |s| set(s, OUT, "averageJitter", json!("PT0.030S")), Good, &[]),
    case(
        "avg jitter 30.001 ms is poor",
        |s| set(s, OUT, "averageJitter", json!("PT0.030001S")),
        Poor,
        &[AudioNetworkPoor],
    ),
    case("avg loss 0.10 is not poor", |s| set(s, OUT, "averagePacketLossRate", json!(0.10)), Good, &[]),
    case("avg loss 0.1001 is poor", |s| set(s, OUT, "averagePacketLossRate", json!(0.1001)), Poor, &[AudioNetworkPoor]),
    case("avg round trip 500 ms is not poor", |s| set(s, BACK, "averageRoundTripTime", json!("PT0.5S")), Good, &[]),
    case(
        "avg round trip 500.001 ms is poor",
        |s| set(s, BACK, "averageRoundTripTime", json!("PT0.500001S")),
        Poor,
        &[AudioNetworkPoor],
    ),
    case("avg NMOS degradation 1.0 is not poor", |s| set(s, OUT, "averageAudioDegradation", json!(1.0)), Good, &[]),
    case(
        "avg NMOS degradation 1.01 is poor",
        |s| set(s, OUT, "averageAudioDegradation", json!(1.01)),
        Poor,
        &[AudioNetworkPoor],
    ),
    case(
        "concealed ratio 0.07 is not poor",
        |s| set(s, BACK, "averageRatioOfConcealedSamples", json!(0.07)),
        Good,
        &[],
    ),
    case(
        "concealed ratio 0.0701 is poor",
        |s| set(s, BACK, "averageRatioOfConcealedSamples", json!(0.0701)),
        Poor,
        &[AudioNetworkPoor],
    ),
    case("max jitter red alone is graded, not poor", |s| set(s, OUT, "maxJitter", json!("PT0.2S")), Good, &[]),
    case("max loss red alone is graded, not poor", |s| set(s, OUT, "maxPacketLossRate", json!(0.5)), Good, &[]),
    case("max round trip red alone is graded, not poor", |s| set(s, OUT, "maxRoundTripTime", json!("PT5S")), Good, &[]),
    // The packet-utilization gate.
    case(
        "500 packets: a muted stream is not judged",
        |s| {
            set(s, OUT, "averagePacketLossRate", json!(0.5));
            set(s, OUT, "packetUtilization", json!(500));
        },
        Good,
        &[],
    ),
    case(
        "501 packets: judged",
        |s| {
            set(s, OUT, "averagePacketLossRate", json!(0.5));
            set(s, OUT, "packetUtilization", json!(501));
        },
        Poor,
        &[AudioNetworkPoor],
    ),
    case(
        "no packet count reported: judged",
        |s| {
            set(s, OUT, "averagePacketLossRate", json!(0.5));
            set(s, OUT, "packetUtilization", Value::Null);
        },
        Poor,
        &[AudioNetworkPoor],
    ),
    // ICE failure makes a stream unclassified.
    case(
        "audio ICE failure: unclassified, not poor",
        |s| {
            set(s, OUT, "averagePacketLossRate", json!(0.5));
            set(s, OUT, "iceConnectivityFailed", json!(true));
        },
        Good,
        &[],
    ),
    // Devices: "at or above" 0.005.
    case(
        "capture ratio 0.0049 is fine",
        |s| set(s, "/segments/0/media/0/callerDevice", "captureNotFunctioningEventRatio", json!(0.0049)),
        Good,
        &[],
    ),
    case(
        "capture ratio 0.005 is a dead microphone",
        |s| set(s, "/segments/0/media/0/callerDevice", "captureNotFunctioningEventRatio", json!(0.005)),
        Poor,
        &[DeviceNotFunctioning],
    ),
    case(
        "render ratio 0.0049 is fine",
        |s| set(s, "/segments/0/media/0/calleeDevice", "renderNotFunctioningEventRatio", json!(0.0049)),
        Good,
        &[],
    ),
    case(
        "render ratio 0.005 is a dead speaker",
        |s| set(s, "/segments/0/media/0/calleeDevice", "renderNotFunctioningEventRatio", json!(0.005)),
        Poor,
        &[DeviceNotFunctioning],
    ),
    // No QoE.
    case("no audio streams: unavailable", |s| set(s, "/segments/0/media/0", "streams", json!([])), Unavailable, &[]),
    case(
        "audio streams without any metric: unavailable",
        |s| {
            set(
                s,
                "/segments/0/media/0",
                "streams",
                json!([{ "streamDirection": "callerToCallee" }, { "averageJitter": null }]),
            )
        },
        Unavailable,
        &[],
    ),
    case("no segments: unavailable", |s| s["segments"] = json!([]), Unavailable, &[]),
    case(
        "video metrics but no audio: unavailable",
        |s| {
            set(s, "/segments/0/media/0", "streams", json!([]));
            add_media(s, "main-video", json!({ "averageVideoFrameRate": 30.0 }));
        },
        Unavailable,
        &[],
    ),
    case(
        "no QoE but a dead device: poor",
        |s| {
            set(s, "/segments/0/media/0", "streams", json!([]));
            set(s, "/segments/0/media/0/callerDevice", "renderNotFunctioningEventRatio", json!(0.2));
        },
        Poor,
        &[DeviceNotFunctioning],
    ),
    // Call setup.
    case("Ms-diag 19 is not a setup failure", |s| s["failureInfo"] = json!({ "msDiagCode": 19 }), Good, &[]),
    case("Ms-diag 20 is a setup failure", |s| s["failureInfo"] = json!({ "msDiagCode": 20 }), Poor, &[CallSetupFailed]),
    case("Ms-diag 29 is a setup failure", |s| s["failureInfo"] = json!({ "msDiagCode": 29 }), Poor, &[CallSetupFailed]),
    case("Ms-diag 30 is not a setup failure", |s| s["failureInfo"] = json!({ "msDiagCode": 30 }), Good, &[]),
    case(
        "Ms-diag read from the reason text",
        |s| s["failureInfo"] = json!({ "reason": "MS-DIAG: 25 user could not join" }),
        Poor,
        &[CallSetupFailed],
    ),
    case(
        "Ms-diag 1000 in the reason text is not setup",
        |s| s["failureInfo"] = json!({ "stage": "midcall", "reason": "ms-diag: 1000 dropped" }),
        Good,
        &[],
    ),
    case(
        "stage callSetup without a code, a real failure",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Media connectivity failed" }),
        Poor,
        &[CallSetupFailed],
    ),
    case(
        "stage callSetup without a code or a reason",
        |s| s["failureInfo"] = json!({ "stage": "callSetup" }),
        Poor,
        &[CallSetupFailed],
    ),
    // Expected endings are not quality failures: the session is rated from its QoE.
    case(
        "declined at setup: rated from QoE",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "declined" }),
        Good,
        &[],
    ),
    case(
        "not answered at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Call not answered" }),
        Good,
        &[],
    ),
    case(
        "no answer at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "No answer" }),
        Good,
        &[],
    ),
    case("busy at setup", |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "User busy" }), Good, &[]),
    case(
        "cancelled at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Call cancelled by caller" }),
        Good,
        &[],
    ),
    case(
        "canceled at setup (US spelling)",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Canceled" }),
        Good,
        &[],
    ),
    case(
        "redirected at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Redirected to voicemail" }),
        Good,
        &[],
    ),
    case(
        "forwarded at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Call forwarded" }),
        Good,
        &[],
    ),
    case(
        "transferred at setup",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "Call transferred" }),
        Good,
        &[],
    ),
    case(
        "expected ending matched in any case",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "DECLINED" }),
        Good,
        &[],
    ),
    case(
        "declined without QoE: unavailable",
        |s| {
            s["failureInfo"] = json!({ "stage": "callSetup", "reason": "declined" });
            set(s, "/segments/0/media/0", "streams", json!([]));
        },
        Unavailable,
        &[],
    ),
    case(
        "an Ms-diag setup code wins over an expected-ending reason",
        |s| s["failureInfo"] = json!({ "stage": "callSetup", "reason": "declined", "msDiagCode": 21 }),
        Poor,
        &[CallSetupFailed],
    ),
    case(
        "setup failure on a segment",
        |s| set(s, "/segments/0", "failureInfo", json!({ "msDiagCode": 21 })),
        Poor,
        &[CallSetupFailed],
    ),
    case(
        "setup failure without QoE is poor, not unavailable",
        |s| {
            s["segments"] = json!([]);
            s["failureInfo"] = json!({ "stage": "callSetup" });
        },
        Poor,
        &[CallSetupFailed],
    ),
    // Video: the first metric reported decides.
    case(
        "video frame loss 50 % is fine",
        |s| {
            add_media(s, "main-video", json!({ "averageVideoFrameLossPercentage": 50.0, "averageVideoFrameRate": 2.0 }))
        },
        Good,
        &[],
    ),
    case(
        "video frame loss 50.1 % is poor",
        |s| add_media(s, "main-video", json!({ "averageVideoFrameLossPercentage": 50.1 })),
        Poor,
        &[VideoPoor],
    ),
    case(
        "video 7 fps is fine",
        |s| {
            add_media(
                s,
                "main-video",
                json!({ "averageVideoFrameRate": 7.0, "postForwardErrorCorrectionPacketLossRate": 0.9 }),
            )
        },
        Good,
        &[],
    ),
    case(
        "video 6.99 fps is poor",
        |s| add_media(s, "main-video", json!({ "averageVideoFrameRate": 6.99 })),
        Poor,
        &[VideoPoor],
    ),
    case(
        "video post-FEC loss 0.15 is fine",
        |s| add_media(s, "main-video", json!({ "postForwardErrorCorrectionPacketLossRate": 0.15 })),
        Good,
        &[],
    ),
    case(
        "video post-FEC loss 0.1501 is poor",
        |s| add_media(s, "main-video", json!({ "postForwardErrorCorrectionPacketLossRate": 0.1501 })),
        Poor,
        &[VideoPoor],
    ),
    case(
        "video ICE failure: unclassified",
        |s| {
            add_media(
                s,
                "main-video",
                json!({ "averageVideoFrameLossPercentage": 90.0, "iceConnectivityFailed": true }),
            )
        },
        Good,
        &[],
    ),
    case(
        "video with no metrics: unclassified",
        |s| add_media(s, "main-video", json!({ "videoCodec": "h264" })),
        Good,
        &[],
    ),
    // Video-based screen sharing.
    case(
        "VBSS outbound 1 fps is fine",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "callerToCallee", "averageVideoFrameRate": 1.0 }),
            )
        },
        Good,
        &[],
    ),
    case(
        "VBSS outbound 0.9 fps is poor",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "callerToCallee", "averageVideoFrameRate": 0.9 }),
            )
        },
        Poor,
        &[VbssPoor],
    ),
    case(
        "VBSS inbound non-H264S low fps is not judged",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "calleeToCaller", "averageVideoFrameRate": 0.5, "videoCodec": "h264" }),
            )
        },
        Good,
        &[],
    ),
    case(
        "VBSS inbound H264S low fps is poor",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "calleeToCaller", "averageVideoFrameRate": 0.5, "videoCodec": "H264S" }),
            )
        },
        Poor,
        &[VbssPoor],
    ),
    case(
        "VBSS inbound frame loss 50 % is fine",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "calleeToCaller", "averageVideoFrameLossPercentage": 50.0 }),
            )
        },
        Good,
        &[],
    ),
    case(
        "VBSS inbound frame loss 51 % is poor",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "calleeToCaller", "averageVideoFrameLossPercentage": 51.0 }),
            )
        },
        Poor,
        &[VbssPoor],
    ),
    case(
        "VBSS inbound H264S frame loss is not judged",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "calleeToCaller", "averageVideoFrameLossPercentage": 90.0, "videoCodec": "h264s" }),
            )
        },
        Good,
        &[],
    ),
    case(
        "VBSS outbound frame loss is not judged",
        |s| {
            add_media(
                s,
                "applicationsharing-video",
                json!({ "streamDirection": "callerToCallee", "averageVideoFrameLossPercentage": 90.0 }),
            )
        },
        Good,
        &[],
    ),
    // RDP application sharing.
    case(
        "app sharing 36 % spoiled tiles is fine",
        |s| add_media(s, "applicationsharing", json!({ "spoiledTilePercentTotal": 36.0 })),
        Good,
        &[],
    ),
    case(
        "app sharing 36.1 % spoiled tiles is poor",
        |s| add_media(s, "applicationsharing", json!({ "spoiledTilePercentTotal": 36.1 })),
        Poor,
        &[AppsharingPoor],
    ),
    case(
        "app sharing 400 ms tile latency is fine",
        |s| add_media(s, "applicationsharing", json!({ "rdpTileProcessingLatencyAverage": "PT0.4S" })),
        Good,
        &[],
    ),
    case(
        "app sharing 401 ms tile latency is poor",
        |s| add_media(s, "applicationsharing", json!({ "rdpTileProcessingLatencyAverage": "PT0.401S" })),
        Poor,
        &[AppsharingPoor],
    ),
    case(
        "app sharing 1.75 s one-way delay is fine",
        |s| add_media(s, "applicationsharing", json!({ "relativeOneWayAverage": "PT1.75S" })),
        Good,
        &[],
    ),
    case(
        "app sharing 1.751 s one-way delay is poor",
        |s| add_media(s, "applicationsharing", json!({ "relativeOneWayAverage": "PT1.751S" })),
        Poor,
        &[AppsharingPoor],
    ),
    // Several rules at once.
    case(
        "setup failure, network and device together",
        |s| {
            s["failureInfo"] = json!({ "msDiagCode": 21 });
            set(s, OUT, "averageJitter", json!("PT0.05S"));
            set(s, "/segments/0/media/0/callerDevice", "captureNotFunctioningEventRatio", json!(0.3));
        },
        Poor,
        &[CallSetupFailed, AudioNetworkPoor, DeviceNotFunctioning],
    ),
];

fn session(value: Value) -> Session {
    serde_json::from_value(value).expect("the case builds a valid session")
}

#[test]
fn golden_cases() {
    assert!(CASES.len() >= 40, "the suite must keep at least 40 cases");
    let thresholds = Thresholds::default();
    let mut failures = Vec::new();
    for case in CASES {
        let mut value = base();
        (case.change)(&mut value);
        let result = classify_session(&session(value), &thresholds);
        let codes: Vec<IssueCode> = result.issues.iter().map(|i| i.code).collect();
        if result.rating != case.rating || codes != case.codes {
            failures.push(format!(
                "{}: got {:?} {:?}, want {:?} {:?}",
                case.name, result.rating, codes, case.rating, case.codes
            ));
        }
        assert_eq!(
            result.main_cause.is_empty(),
            result.rating != Rating::Poor,
            "{}: main cause only for poor",
            case.name
        );
    }
    assert!(failures.is_empty(), "{} golden case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_main_cause_names_side_direction_metric_and_value() {
    let mut value = base();
    set(&mut value, OUT, "averagePacketLossRate", json!(0.14));
    let result = classify_session(&session(value), &Thresholds::default());
    assert_eq!(result.main_cause, "Caller's network, audio sent: average packet loss 14 %, above 10 %.");
    let issue = &result.issues[0];
    assert_eq!(
        (issue.side, issue.metric, issue.value, issue.threshold),
        (Some(Side::Callee), Some(Metric::AveragePacketLossRate), Some(0.14), Some(0.10))
    );
}

#[test]
fn the_main_cause_prefers_setup_then_audio_then_the_worst_excess() {
    let thresholds = Thresholds::default();
    let mut value = base();
    value["failureInfo"] = json!({ "msDiagCode": 21 });
    set(&mut value, OUT, "averagePacketLossRate", json!(0.5));
    assert_eq!(
        classify_session(&session(value), &thresholds).main_cause,
        "Call setup failed (Ms-diag 21): the user could not join."
    );

    let mut value = base();
    set(&mut value, OUT, "averageJitter", json!("PT0.033S")); // 1.1x past red
    set(&mut value, "/segments/0/media/0/callerDevice", "captureNotFunctioningEventRatio", json!(0.02)); // 4x
    add_media(&mut value, "main-video", json!({ "averageVideoFrameRate": 0.5 })); // 14x, but video
    let cause = classify_session(&session(value), &thresholds).main_cause;
    assert_eq!(cause, "Caller's device: microphone (capture) not functioning 2 %, at or above 0.5 %.");
}

#[test]
fn every_metric_is_graded_with_the_threshold_it_was_compared_against() {
    let mut value = base();
    set(&mut value, OUT, "averageJitter", json!("PT0.015S"));
    set(&mut value, BACK, "averageJitter", json!("PT0.0151S"));
    set(&mut value, BACK, "maxRoundTripTime", json!("PT1.5S"));
    let result = classify_session(&session(value), &Thresholds::default());
    let find = |metric, side| result.metrics.iter().find(|m| m.metric == metric && m.side == Some(side)).unwrap();
    let at_yellow = find(Metric::AverageJitter, Side::Callee);
    assert_eq!((at_yellow.grade, at_yellow.threshold), (Grade::Normal, 15.0), "15 ms is not above 15");
    let yellow = find(Metric::AverageJitter, Side::Caller);
    assert_eq!((yellow.grade, yellow.threshold), (Grade::Yellow, 15.0));
    // Past red's 1000 ms, but a maximum is no poor rule: red would claim a cause the rating
    // denies, so it is yellow, against the yellow threshold.
    let past_red = find(Metric::MaxRoundTripTime, Side::Caller);
    assert_eq!((past_red.grade, past_red.threshold, past_red.value), (Grade::Yellow, 200.0, 1500.0));
    assert_eq!(result.metrics.len(), 2 * 8 + 2 * 2, "eight metrics per stream, two per device");
    assert_eq!(result.rating, Rating::Good, "a red maximum alone is not a poor call");
}

#[test]
fn missing_metrics_are_never_graded_as_zero() {
    let mut value = base();
    set(
        &mut value,
        "/segments/0/media/0",
        "streams",
        json!([{ "streamDirection": "callerToCallee", "averageJitter": "PT0.02S" }]),
    );
    let result = classify_session(&session(value), &Thresholds::default());
    let stream_metrics: Vec<_> = result.metrics.iter().filter(|m| m.direction.is_some()).map(|m| m.metric).collect();
    assert_eq!(stream_metrics, [Metric::AverageJitter]);
}

#[test]
fn the_same_fault_in_several_segments_is_one_issue_with_the_worst_value() {
    let mut value = base();
    let mut second = value["segments"][0].clone();
    second["id"] = json!("g2");
    value["segments"].as_array_mut().unwrap().push(second);
    set(&mut value, OUT, "averagePacketLossRate", json!(0.2));
    set(&mut value, "/segments/1/media/0/streams/0", "averagePacketLossRate", json!(0.4));
    let result = classify_session(&session(value), &Thresholds::default());
    assert_eq!(result.issues.len(), 1);
    assert_eq!(result.issues[0].value, Some(0.4));
}

#[test]
fn a_call_is_rated_by_its_worst_session() {
    let thresholds = Thresholds::default();
    let good = session(base());
    let mut poor = base();
    set(&mut poor, OUT, "averagePacketLossRate", json!(0.3));
    let mut unavailable = base();
    unavailable["segments"] = json!([]);
    let (poor, unavailable) = (session(poor), session(unavailable));
    let rate = |sessions: &[Session]| classify_sessions(sessions, &thresholds);
    assert_eq!(rate(&[good.clone(), poor.clone(), unavailable.clone()]).rating, Rating::Poor);
    assert_eq!(rate(&[good.clone(), unavailable.clone()]).rating, Rating::Unavailable);
    assert_eq!(rate(std::slice::from_ref(&good)).rating, Rating::Good);
    assert_eq!(rate(&[]).rating, Rating::Unavailable);
    assert_eq!(rate(&[poor.clone(), poor]).issue_codes, [AudioNetworkPoor], "codes are distinct");
}

#[test]
fn overridden_thresholds_change_the_verdict_without_code() {
    let mut thresholds = Thresholds::default();
    thresholds.rows.iter_mut().find(|r| r.metric == Metric::AverageJitter).unwrap().red = 20.0;
    let mut value = base();
    set(&mut value, OUT, "averageJitter", json!("PT0.025S"));
    assert_eq!(classify_session(&session(value), &thresholds).rating, Rating::Poor);
}

/// The likely end and the main cause of `value` with `change` applied.
fn likely(value: Value) -> (Option<LikelyAt>, String) {
    let result = classify_session(&session(value), &Thresholds::default());
    assert_eq!(result.rating, Rating::Poor);
    (result.likely_at, result.main_cause)
}

#[test]
fn a_service_end_is_never_the_likely_end() {
    for role in ["skypeForBusinessAudioVideoMcu", "mediationServer", "skypeForBusinessCallQueues", "customBot"] {
        // The participant calls the service: loss on the stream the server received...
        let mut value = base();
        value["callee"] = service(role);
        set(&mut value, OUT, "averagePacketLossRate", json!(0.14));
        assert_eq!(
            likely(value),
            (Some(LikelyAt::Caller), "Caller's network, audio sent: average packet loss 14 %, above 10 %.".into()),
            "{role}"
        );
        // ...and on the one the participant received, with the service as the caller.
        let mut value = base();
        value["caller"] = service(role);
        set(&mut value, OUT, "averageJitter", json!("PT0.045S"));
        assert_eq!(
            likely(value),
            (Some(LikelyAt::Callee), "Callee's network, audio received: average jitter 45 ms, above 30 ms.".into()),
            "{role}"
        );
    }
    // A device fault of the server's side is still the participant's to look at.
    let mut value = base();
    value["callee"] = json!({ "@odata.type": "#microsoft.graph.callRecords.serviceEndpoint" });
    set(&mut value, "/segments/0/media/0/calleeDevice", "renderNotFunctioningEventRatio", json!(0.01));
    assert_eq!(likely(value).0, Some(LikelyAt::Caller));
    // Two services: nobody to point at.
    let mut value = base();
    (value["caller"], value["callee"]) = (service("mediationServer"), service("skypeForBusinessAudioVideoMcu"));
    set(&mut value, OUT, "averagePacketLossRate", json!(0.14));
    assert_eq!(likely(value).0, None);
}

#[test]
fn between_two_people_the_evidence_decides_the_end() {
    let network = |connection: &str, extra: Value| {
        let mut network = json!({ "connectionType": connection });
        network.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        network
    };
    let with = |caller: Value, callee: Value, poor: &[&str]| {
        let mut value = base();
        set(&mut value, "/segments/0/media/0", "callerNetwork", caller);
        set(&mut value, "/segments/0/media/0", "calleeNetwork", callee);
        for stream in poor {
            set(&mut value, stream, "averagePacketLossRate", json!(0.2));
        }
        likely(value)
    };
    let wired = || network("wired", json!({}));
    // The caller on weak Wi-Fi, the callee wired: the caller, whichever way the loss was.
    let weak_wifi = || network("wifi", json!({ "wifiSignalStrength": 30 }));
    assert_eq!(with(weak_wifi(), wired(), &[BACK]).0, Some(LikelyAt::Caller));
    let (at, cause) = with(weak_wifi(), wired(), &[OUT, BACK]);
    assert_eq!((at, cause.starts_with("Caller's network, audio ")), (Some(LikelyAt::Caller), true), "{cause}");
    // The callee through a VPN tunnel and a relay, the caller wired.
    let tunnel = || network("tunnel", json!({ "relayIPAddress": "52.112.0.10" }));
    assert_eq!(with(wired(), tunnel(), &[OUT, BACK]).0, Some(LikelyAt::Callee));
    // A Wi-Fi signal at 50 % is not weak: one point each way, plus the sender's.
    let fair_wifi = || network("wifi", json!({ "wifiSignalStrength": 50 }));
    assert_eq!(with(fair_wifi(), fair_wifi(), &[BACK]).0, Some(LikelyAt::Callee));
    // The same evidence on both ends: both.
    let (at, cause) = with(fair_wifi(), fair_wifi(), &[OUT, BACK]);
    assert_eq!(at, Some(LikelyAt::Both));
    assert!(cause.starts_with("Both ends' networks, audio from "), "{cause}");
    // No evidence at all: nothing is claimed.
    let (at, cause) = with(wired(), wired(), &[OUT, BACK]);
    assert_eq!(at, None);
    assert!(cause.starts_with("The network between the ends, audio from "), "{cause}");
    // Only the evidence of the poor stream's direction: its sender.
    assert_eq!(with(wired(), wired(), &[OUT]).0, Some(LikelyAt::Caller));
    // A device fault lies with the device, and a failed setup with no one in particular.
    let mut value = base();
    set(&mut value, "/segments/0/media/0/calleeDevice", "captureNotFunctioningEventRatio", json!(0.02));
    assert_eq!(likely(value).0, Some(LikelyAt::Callee));
    let mut value = base();
    value["failureInfo"] = json!({ "msDiagCode": 21 });
    assert_eq!(likely(value), (None, "Call setup failed (Ms-diag 21): the user could not join.".into()));
}
