//! How the sample tenant's sessions go: mostly good, with a minority of each kind of trouble
//! (network, device, failed setup, no quality data), as Graph reports them — streams, networks
//! (Wi-Fi or wired), devices and failure info. A peer-to-peer call with network trouble from a
//! Wi-Fi user (the featured user's call of an hour ago among them) is a video call of three
//! segments (Wi-Fi, weaker Wi-Fi, then docked on a wire) reporting every field of Graph's
//! `deviceInfo` and `networkInfo`, the machine's CPU, and the caller's feedback.
//!
//! One session at a time; it must not decide who calls whom (`mod.rs` does).

use super::people::{Person, identity};
use callscope_core::support::clock::rfc3339;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// What went wrong in a session, if anything.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Trouble {
    None,
    Network,
    Device,
    Setup,
    NoQoe,
}

/// What goes wrong in a session, drawn in realistic shares.
pub(super) fn trouble(rng: &mut StdRng) -> Trouble {
    match rng.random_range(0..100) {
        0..80 => Trouble::None,
        80..89 => Trouble::Network,
        89..94 => Trouble::Device,
        94..97 => Trouble::Setup,
        _ => Trouble::NoQoe,
    }
}

fn stream(rng: &mut StdRng, direction: &str, bad: bool) -> Value {
    let (jitter, loss, rtt) = if bad {
        (rng.random_range(20.0..60.0), rng.random_range(0.06..0.25), rng.random_range(150.0..650.0))
    } else {
        (rng.random_range(2.0..14.0), rng.random_range(0.0..0.009), rng.random_range(20.0..95.0))
    };
    json!({
        "streamDirection": direction,
        "averageJitter": format!("PT{:.4}S", jitter / 1000.0),
        "maxJitter": format!("PT{:.4}S", jitter * 2.2 / 1000.0),
        "averagePacketLossRate": (loss * 10000.0_f64).round() / 10000.0,
        "maxPacketLossRate": (loss * 2.5_f64).min(1.0),
        "averageRoundTripTime": format!("PT{:.3}S", rtt / 1000.0),
        "maxRoundTripTime": format!("PT{:.3}S", rtt * 1.8 / 1000.0),
        "averageAudioDegradation": if bad { rng.random_range(0.6..1.8) } else { rng.random_range(0.05..0.4) },
        "averageRatioOfConcealedSamples": if bad { rng.random_range(0.02..0.12) } else { rng.random_range(0.001..0.02) },
        "packetUtilization": rng.random_range(3000..90000),
        "audioCodec": "satin",
    })
}

fn network(p: &Person) -> Value {
    let mut n = json!({ "ipAddress": p.ip, "subnet": p.subnet, "connectionType": if p.wifi { "wifi" } else { "wired" }, "dnsSuffix": "corp.contoso.com", "port": 50010 });
    if p.wifi {
        n["wifiBand"] = json!("frequency50GHz");
        n["wifiChannel"] = json!(44);
        n["wifiSignalStrength"] = json!(70);
        n["ssid"] = json!("CONTOSO-CORP");
        n["basicServiceSetIdentifier"] = json!("00:11:22:33:44:55");
    }
    n
}

/// Every `networkInfo` field Graph reports for `p`'s Wi-Fi on `channel` (2.4 or 5 GHz by the
/// channel) at `signal` percent, the network spoiling `spoiled` of the audio.
fn full_wifi(p: &Person, channel: i64, signal: i64, spoiled: f64) -> Value {
    let mut n = network(p);
    let gateway = p.subnet.rsplit_once('.').map_or_else(|| p.subnet.clone(), |(prefix, _)| format!("{prefix}.1"));
    let band = if channel <= 14 { "frequency24GHz" } else { "frequency50GHz" };
    let fields = json!({
        "wifiBand": band, "wifiChannel": channel, "wifiSignalStrength": signal,
        "wifiRadioType": if channel <= 14 { "wifi80211n" } else { "wifi80211ac" },
        "wifiMicrosoftDriver": "Microsoft Wi-Fi Direct Virtual Adapter", "wifiMicrosoftDriverVersion": "10.0.22621.1",
        "wifiVendorDriver": "Intel(R) Wi-Fi 6 AX201 160MHz", "wifiVendorDriverVersion": "22.200.0.6",
        "wifiBatteryCharge": 64, "linkSpeed": if channel <= 14 { 72_200_000 } else { 866_700_000_i64 },
        "networkTransportProtocol": "udp", "macAddress": "3C:A9:F4:12:34:56",
        "reflexiveIPAddress": "203.0.113.24", "relayIPAddress": "52.114.250.17", "relayPort": 3478,
        "bandwidthLowEventRatio": (spoiled / 3.0 * 1000.0).round() / 1000.0, "delayEventRatio": (spoiled / 2.0 * 1000.0).round() / 1000.0,
        "receivedQualityEventRatio": spoiled, "sentQualityEventRatio": (spoiled * 0.8 * 1000.0).round() / 1000.0,
        "traceRouteHops": [
            { "hopCount": 1, "ipAddress": gateway, "roundTripTime": "PT0.004S" },
            { "hopCount": 2, "ipAddress": "203.0.113.1", "roundTripTime": "PT0.011S" },
            { "hopCount": 3, "ipAddress": "52.114.250.17", "roundTripTime": "PT0.038S" },
        ],
    });
    for (key, value) in fields.as_object().expect("an object") {
        n[key] = value.clone();
    }
    n
}

/// Every `deviceInfo` field Graph reports, glitching `glitches` of the call.
fn full_device(glitches: f64) -> Value {
    json!({
        "captureDeviceName": "Headset Microphone (Jabra Evolve2 65)", "captureDeviceDriver": "Jabra: 10.0.22621.1",
        "renderDeviceName": "Headset Earphone (Jabra Evolve2 65)", "renderDeviceDriver": "Jabra: 10.0.22621.1",
        "captureNotFunctioningEventRatio": 0.0, "renderNotFunctioningEventRatio": 0.0,
        "cpuInsufficentEventRatio": 0.01, "deviceClippingEventRatio": 0.002, "deviceGlitchEventRatio": glitches,
        "howlingEventCount": 0, "initialSignalLevelRootMeanSquare": 148.5,
        "lowSpeechLevelEventRatio": 0.03, "lowSpeechToNoiseEventRatio": 0.02, "micGlitchRate": 12.0,
        "receivedNoiseLevel": -72, "receivedSignalLevel": -19, "renderMuteEventRatio": 0.0,
        "renderZeroVolumeEventRatio": 0.0, "sentNoiseLevel": -64, "sentSignalLevel": -21, "speakerGlitchRate": 40.0,
    })
}

/// A video stream `direction` at `fps` frames per second.
fn video_stream(rng: &mut StdRng, direction: &str, fps: f64) -> Value {
    json!({
        "streamDirection": direction,
        "averageVideoFrameRate": fps,
        "averageVideoFrameLossPercentage": rng.random_range(0.5..6.0_f64),
        "postForwardErrorCorrectionPacketLossRate": rng.random_range(0.0..0.02_f64),
        "averageBandwidthEstimate": rng.random_range(800_000..2_500_000),
        "videoCodec": "h264",
    })
}

/// A Wi-Fi user's video call with network trouble, reported in full: three segments (Wi-Fi,
/// weaker Wi-Fi, then docked on a wire), each with audio and video, every device and network
/// field, and the caller's feedback on the session.
fn detailed(
    rng: &mut StdRng,
    id: &str,
    caller: &Person,
    callee: &Person,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Value {
    let third = (end - start) / 3;
    let docked = json!({
        "ipAddress": caller.ip, "subnet": caller.subnet, "connectionType": "wired", "dnsSuffix": "corp.contoso.com",
        "port": 50010, "linkSpeed": 1_000_000_000_i64, "networkTransportProtocol": "udp",
        "receivedQualityEventRatio": 0.0, "sentQualityEventRatio": 0.0,
    });
    let caller_networks = [full_wifi(caller, 44, 71, 0.08), full_wifi(caller, 6, 22, 0.41), docked];
    let segments: Vec<Value> = caller_networks
        .into_iter()
        .enumerate()
        .map(|(i, caller_network)| {
            let (from, to) = (start + third * i as u32, if i == 2 { end } else { start + third * (i as u32 + 1) });
            let bad = i < 2;
            let audio = json!({
                "label": "main-audio",
                "callerNetwork": caller_network, "calleeNetwork": network(callee),
                "callerDevice": full_device(if bad { 0.04 } else { 0.0 }), "calleeDevice": full_device(0.0),
                "streams": [stream(rng, "callerToCallee", bad), stream(rng, "calleeToCaller", false)],
            });
            let video = json!({
                "label": "main-video",
                "callerNetwork": caller_network, "calleeNetwork": network(callee),
                "streams": [video_stream(rng, "callerToCallee", if bad { 9.5 } else { 29.7 }), video_stream(rng, "calleeToCaller", 24.0)],
            });
            json!({ "id": format!("{id}-g{i}"), "startDateTime": rfc3339(from), "endDateTime": rfc3339(to), "media": [audio, video] })
        })
        .collect();
    json!({
        "id": id,
        "modalities": ["audio", "video"],
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(end),
        "caller": {
            "@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
            "identity": identity(caller), "name": caller.machine,
            "cpuCoresCount": 8, "cpuName": "11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz", "cpuProcessorSpeedInMhz": 2995,
            "userAgent": { "@odata.type": "#microsoft.graph.callRecords.clientUserAgent",
                           "headerValue": "TeamsDesktop/1.7.00.1234 (Windows 11)", "platform": "windows", "productFamily": "teams",
                           "applicationVersion": "1.7.00.1234", "azureADAppId": "1fec8e78-bce4-4aaf-ab1b-5451cc387264" },
            "feedback": { "rating": "poor", "text": "The video froze and my voice sounded robotic.",
                          "tokens": { "videoFrozen": true, "audioRobotic": true, "audioEcho": false } },
        },
        "callee": {
            "@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
            "identity": identity(callee), "name": callee.machine,
            "userAgent": { "@odata.type": "#microsoft.graph.callRecords.clientUserAgent",
                           "headerValue": "TeamsMac/2.1 (macOS 14)", "platform": "macOS", "productFamily": "teams", "applicationVersion": "2.1.0" },
        },
        "segments": segments,
    })
}

/// One session of `caller` (with `callee`, or the meeting server) with `trouble`: a Wi-Fi
/// caller's peer-to-peer call with network trouble reported in full ([`detailed`]), from its own
/// generator seeded by the session's id, so the tenant's other calls stay as they were.
pub(super) fn session(
    rng: &mut StdRng,
    id: String,
    caller: &Person,
    callee: Option<&Person>,
    start: OffsetDateTime,
    end: OffsetDateTime,
    trouble: Trouble,
) -> Value {
    let ordinary = ordinary(rng, id.clone(), caller, callee, start, end, trouble);
    match callee.filter(|_| trouble == Trouble::Network && caller.wifi) {
        Some(callee) => {
            let seed = id.bytes().fold(0_u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            detailed(&mut StdRng::seed_from_u64(seed), &id, caller, callee, start, end)
        }
        None => ordinary,
    }
}

/// One session as most go: audio only, one segment.
fn ordinary(
    rng: &mut StdRng,
    id: String,
    caller: &Person,
    callee: Option<&Person>,
    start: OffsetDateTime,
    end: OffsetDateTime,
    trouble: Trouble,
) -> Value {
    let callee_endpoint = match callee {
        Some(p) => json!({ "identity": identity(p), "name": p.machine }),
        None => json!({ "userAgent": { "headerValue": "av-mcu" } }),
    };
    let bad = trouble == Trouble::Network;
    let device_ratio = if trouble == Trouble::Device { rng.random_range(0.006..0.05) } else { 0.0 };
    let streams = match trouble {
        Trouble::Setup | Trouble::NoQoe => json!([]),
        _ => json!([stream(rng, "callerToCallee", bad), stream(rng, "calleeToCaller", false)]),
    };
    let mut media = json!({
        "label": "main-audio",
        "callerNetwork": network(caller),
        "callerDevice": { "captureDeviceName": "Headset Microphone (Jabra Evolve2 65)", "renderDeviceName": "Headset Earphone (Jabra Evolve2 65)",
                          "captureNotFunctioningEventRatio": device_ratio, "renderNotFunctioningEventRatio": 0.0 },
        "streams": streams,
    });
    if let Some(p) = callee {
        media["calleeNetwork"] = network(p);
    }
    let mut session = json!({
        "id": id,
        "modalities": ["audio"],
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(end),
        "caller": { "identity": identity(caller), "name": caller.machine, "userAgent": { "headerValue": "TeamsDesktop/1.7 (Windows 11)", "platform": "windows", "productFamily": "teams" } },
        "callee": callee_endpoint,
        "segments": [{ "id": format!("{id}-g0"), "startDateTime": rfc3339(start), "endDateTime": rfc3339(end), "media": [media] }],
    });
    if trouble == Trouble::Setup {
        session["failureInfo"] =
            json!({ "stage": "callSetup", "reason": format!("ms-diag: {} could not join", rng.random_range(20..30)) });
    }
    session
}

#[cfg(test)]
mod tests {
    use super::super::generate;

    /// Every property of Graph's `deviceInfo` resource (v1.0).
    const DEVICE_INFO: [&str; 21] = [
        "captureDeviceDriver",
        "captureDeviceName",
        "captureNotFunctioningEventRatio",
        "cpuInsufficentEventRatio",
        "deviceClippingEventRatio",
        "deviceGlitchEventRatio",
        "howlingEventCount",
        "initialSignalLevelRootMeanSquare",
        "lowSpeechLevelEventRatio",
        "lowSpeechToNoiseEventRatio",
        "micGlitchRate",
        "receivedNoiseLevel",
        "receivedSignalLevel",
        "renderDeviceDriver",
        "renderDeviceName",
        "renderMuteEventRatio",
        "renderNotFunctioningEventRatio",
        "renderZeroVolumeEventRatio",
        "sentNoiseLevel",
        "sentSignalLevel",
        "speakerGlitchRate",
    ];
    /// Every property of Graph's `networkInfo` resource (v1.0).
    const NETWORK_INFO: [&str; 26] = [
        "bandwidthLowEventRatio",
        "basicServiceSetIdentifier",
        "connectionType",
        "delayEventRatio",
        "dnsSuffix",
        "ipAddress",
        "linkSpeed",
        "macAddress",
        "networkTransportProtocol",
        "port",
        "receivedQualityEventRatio",
        "reflexiveIPAddress",
        "relayIPAddress",
        "relayPort",
        "sentQualityEventRatio",
        "subnet",
        "traceRouteHops",
        "wifiBand",
        "wifiBatteryCharge",
        "wifiChannel",
        "wifiMicrosoftDriver",
        "wifiMicrosoftDriverVersion",
        "wifiRadioType",
        "wifiSignalStrength",
        "wifiVendorDriver",
        "wifiVendorDriverVersion",
    ];

    #[test]
    fn the_featured_call_is_a_video_call_of_several_segments_reporting_every_graph_field_and_feedback() {
        let tenant = generate(7, 10, time::macros::datetime!(2026-11-25 12:00 UTC));
        let session = &tenant.calls[0]["sessions"][0];
        let segments = session["segments"].as_array().expect("segments");
        assert_eq!(segments.len(), 3);
        let media = &segments[0]["media"];
        assert_eq!((media[0]["label"].as_str(), media[1]["label"].as_str()), (Some("main-audio"), Some("main-video")));
        for field in DEVICE_INFO {
            assert!(media[0]["callerDevice"].get(field).is_some(), "deviceInfo.{field}");
        }
        for field in NETWORK_INFO {
            assert!(media[0]["callerNetwork"].get(field).is_some(), "networkInfo.{field}");
        }
        assert_eq!(session["caller"]["feedback"]["rating"], "poor");
        assert!(session["caller"]["cpuCoresCount"].is_i64() && session["caller"]["cpuName"].is_string());
        assert!(media[1]["streams"][0]["averageVideoFrameRate"].is_f64());
    }
}
