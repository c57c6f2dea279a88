//! How the sample tenant's sessions go: mostly good, with a minority of each kind of trouble
//! (network, device, failed setup, no quality data), as Graph reports them — streams, networks
//! (Wi-Fi or wired), devices and failure info.
//!
//! One session at a time; it must not decide who calls whom (`mod.rs` does).

use super::people::{Person, identity};
use callscope_core::support::clock::rfc3339;
use rand::Rng;
use rand::rngs::StdRng;
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

/// One session of `caller` (with `callee`, or the meeting server) with `trouble`.
pub(super) fn session(
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
