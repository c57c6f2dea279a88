//! Property: grades and ratings agree (`docs/thresholds.md`). Whatever a session reports, red
//! appears only on a metric that raised an issue of its session, so no good or unavailable
//! session carries red; every red names its issue; and every issue's metric is red.

use callscope_core::domain::classify::{Grade, Rating, Thresholds, classify_session};
use callscope_core::domain::graph::Session;
use proptest::prelude::*;
use serde_json::{Value, json};

/// A duration in ms as Graph writes it.
fn ms(value: f64) -> Value {
    json!(format!("PT{:.4}S", value / 1000.0))
}

/// Values around every threshold of the defaults, and far past them.
fn around(points: &'static [f64]) -> impl Strategy<Value = Option<f64>> {
    prop::option::weighted(0.7, prop::sample::select(points))
}

fn audio_stream() -> impl Strategy<Value = Value> {
    (
        (
            around(&[5.0, 15.0, 15.1, 30.0, 30.1, 50.0, 50.1, 200.0]),
            around(&[10.0, 30.0, 30.1, 50.0, 50.1, 900.0]),
            around(&[0.0, 0.01, 0.011, 0.1, 0.11, 0.5]),
            around(&[0.0, 0.05, 0.051, 0.1, 0.11, 0.9]),
        ),
        (
            around(&[50.0, 100.0, 100.1, 500.0, 500.1, 3000.0]),
            around(&[100.0, 200.0, 200.1, 1000.0, 1000.1, 9000.0]),
            around(&[0.1, 0.5, 0.51, 1.0, 1.01, 3.0]),
            around(&[0.0, 0.03, 0.031, 0.07, 0.071, 0.5]),
        ),
        prop::option::of(prop::sample::select(&[10_i64, 500, 501, 40_000][..])),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    )
        .prop_map(
            |((jitter, max_jitter, loss, max_loss), (rtt, max_rtt, degradation, concealed), packets, ice, out)| {
                let mut stream = json!({ "streamDirection": if out { "callerToCallee" } else { "calleeToCaller" } });
                let fields = [
                    ("averageJitter", jitter.map(ms)),
                    ("maxJitter", max_jitter.map(ms)),
                    ("averagePacketLossRate", loss.map(|v| json!(v))),
                    ("maxPacketLossRate", max_loss.map(|v| json!(v))),
                    ("averageRoundTripTime", rtt.map(ms)),
                    ("maxRoundTripTime", max_rtt.map(ms)),
                    ("averageAudioDegradation", degradation.map(|v| json!(v))),
                    ("averageRatioOfConcealedSamples", concealed.map(|v| json!(v))),
                    ("packetUtilization", packets.map(|v| json!(v))),
                    ("iceConnectivityFailed", ice.map(|v| json!(v))),
                ];
                for (name, value) in fields {
                    if let Some(value) = value {
                        stream[name] = value;
                    }
                }
                stream
            },
        )
}

fn video_stream() -> impl Strategy<Value = Value> {
    (
        around(&[0.0, 10.0, 10.1, 50.0, 50.1, 90.0]),
        around(&[0.5, 1.0, 6.9, 7.0, 14.9, 15.0, 30.0]),
        around(&[0.0, 0.1, 0.11, 0.15, 0.16, 0.5]),
        any::<bool>(),
        prop::option::of(prop::sample::select(&["H264", "H264S"][..])),
    )
        .prop_map(|(loss, rate, fec, out, codec)| {
            let mut stream = json!({ "streamDirection": if out { "callerToCallee" } else { "calleeToCaller" } });
            let fields = [
                ("averageVideoFrameLossPercentage", loss),
                ("averageVideoFrameRate", rate),
                ("postForwardErrorCorrectionPacketLossRate", fec),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    stream[name] = json!(value);
                }
            }
            if let Some(codec) = codec {
                stream["videoCodec"] = json!(codec);
            }
            stream
        })
}

fn device() -> impl Strategy<Value = Option<Value>> {
    prop::option::of((around(&[0.0, 0.004, 0.005, 0.2]), around(&[0.0, 0.004, 0.005, 0.2])).prop_map(
        |(render, capture)| {
            json!({ "renderNotFunctioningEventRatio": render, "captureNotFunctioningEventRatio": capture })
        },
    ))
}

fn media() -> impl Strategy<Value = Value> {
    let label = prop::sample::select(&["main-audio", "main-video", "applicationsharing-video"][..]);
    (
        label,
        prop::collection::vec(audio_stream(), 0..3),
        prop::collection::vec(video_stream(), 0..3),
        device(),
        device(),
    )
        .prop_map(|(label, audio, video, caller, callee)| {
            let streams = if label == "main-audio" { audio } else { video };
            let mut media = json!({ "label": label, "streams": streams });
            if let Some(device) = caller {
                media["callerDevice"] = device;
            }
            if let Some(device) = callee {
                media["calleeDevice"] = device;
            }
            media
        })
}

fn session() -> impl Strategy<Value = Session> {
    let failure = prop::option::of((
        prop::sample::select(&["callSetup", "midcall", "unknown"][..]),
        prop::sample::select(&["Call declined", "No answer", "Media timeout", "ms-diag: 21 failed", ""][..]),
    ));
    (prop::collection::vec(prop::collection::vec(media(), 0..3), 1..3), failure).prop_map(|(segments, failure)| {
        let segments: Vec<Value> = segments.into_iter().map(|media| json!({ "media": media })).collect();
        let mut session = json!({ "id": "s", "segments": segments });
        if let Some((stage, reason)) = failure {
            session["failureInfo"] = json!({ "stage": stage, "reason": reason });
        }
        serde_json::from_value(session).expect("a generated session parses")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn red_means_the_cause_and_every_cause_is_red(session in session()) {
        let result = classify_session(&session, &Thresholds::default());
        let reds: Vec<_> = result.metrics.iter().filter(|m| m.grade == Grade::Red).collect();
        if result.rating != Rating::Poor {
            prop_assert!(reds.is_empty(), "a {:?} session carries red: {reds:?}", result.rating);
        }
        for red in &reds {
            prop_assert!(result.issues.iter().any(|i| i.raised_by(red)), "red without an issue: {red:?}");
        }
        for issue in result.issues.iter().filter(|i| i.metric.is_some()) {
            prop_assert!(reds.iter().any(|m| issue.raised_by(m)), "an issue whose metric is not red: {issue:?}");
        }
    }
}
