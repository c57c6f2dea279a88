//! Synthetic Graph call records for tests and benchmarks: deterministic, Graph-shaped JSON
//! (ISO-8601 durations, identity sets), sized by the number of participants.

use super::clock::rfc3339;
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The home tenant of the synthetic records.
pub const HOME_TENANT: &str = "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e";

/// A call record id for the Graph path standing for `name`: a GUID, as Graph's ids are (the
/// only ids the Graph path takes), the same for the same name in every run, so that a test can
/// keep a name it reads.
pub fn graph_id(name: &str) -> String {
    let hash = |seed: u64| name.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let (high, low) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let (a, b, c) = (high >> 32, (high >> 16) & 0xffff, high & 0xfff);
    format!("{a:08x}-{b:04x}-4{c:03x}-8{:03x}-{:012x}", low >> 52, low & 0xffff_ffff_ffff)
}

/// The id of synthetic user `n`.
pub fn user_id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn user(n: usize) -> Value {
    json!({ "user": {
        "id": user_id(n),
        "displayName": format!("Test User{n}"),
        "tenantId": HOME_TENANT,
        "userPrincipalName": format!("user{n}@contoso.com"),
    }})
}

fn audio_media(n: usize) -> Value {
    let stream = |direction: &str, jitter_ms: usize| {
        json!({
            "streamDirection": direction,
            "averageJitter": format!("PT0.{jitter_ms:03}S"),
            "maxJitter": "PT0.040S",
            "averagePacketLossRate": 0.004,
            "maxPacketLossRate": 0.02,
            "averageRoundTripTime": "PT0.065S",
            "maxRoundTripTime": "PT0.180S",
            "averageAudioDegradation": 0.3,
            "averageRatioOfConcealedSamples": 0.012,
            "packetUtilization": 42000,
            "audioCodec": "satin",
        })
    };
    json!({
        "label": "main-audio",
        "callerNetwork": {
            "ipAddress": format!("10.1.{}.{}", n / 250, n % 250 + 2),
            "subnet": format!("10.1.{}.0", n / 250),
            "connectionType": if n.is_multiple_of(3) { "wifi" } else { "wired" },
            "ssid": "CONTOSO",
            "macAddress": "00:11:22:33:44:55",
        },
        "callerDevice": {
            "captureDeviceName": "Headset Microphone",
            "renderDeviceName": "Headset Earphone",
            "captureNotFunctioningEventRatio": 0.0,
            "renderNotFunctioningEventRatio": 0.0,
        },
        "streams": [stream("callerToCallee", 5 + n % 20), stream("calleeToCaller", 8)],
    })
}

/// A call of `version` that starts at `start`, lasts 30 minutes, and has `participants` users
/// (user 0 organizes), each with one session of `segments` audio segments to the meeting
/// service. Two participants make a peer-to-peer call.
pub fn call_json(id: &str, version: i64, participants: usize, segments: usize, start: OffsetDateTime) -> Value {
    let end = start + time::Duration::minutes(30);
    let sessions: Vec<Value> = (0..participants)
        .map(|n| {
            let segment = |s: usize| {
                json!({
                    "id": format!("{id}-s{n}-g{s}"),
                    "startDateTime": rfc3339(start),
                    "endDateTime": rfc3339(end),
                    "media": [audio_media(n)],
                })
            };
            json!({
                "id": format!("{id}-s{n}"),
                "modalities": ["audio"],
                "startDateTime": rfc3339(start),
                "endDateTime": rfc3339(end),
                "caller": { "name": format!("PC-{n}"), "identity": user(n), "userAgent": { "headerValue": "TeamsDesktop/1.7", "platform": "windows" } },
                "callee": { "userAgent": { "headerValue": "av-mcu" } },
                "segments": (0..segments).map(segment).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": id,
        "version": version,
        "type": if participants == 2 { "peerToPeer" } else { "groupCall" },
        "modalities": ["audio"],
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(end),
        "organizer_v2": { "id": user_id(0), "identity": user(0) },
        "participants_v2": (0..participants).map(|n| json!({ "id": user_id(n), "identity": user(n) })).collect::<Vec<_>>(),
        "sessions": sessions,
    })
}

/// The sample row of the CQD building file format (`docs/data-model.md`, tenant data).
pub const SAMPLE_BUILDING_ROW: &str = "192.168.1.0,USA/Seattle/SEATTLE-SEA-1,26,SEATTLE-SEA-1,Contoso,IT Termination,Engineering,Seattle,98001,US,WA,MSUS,1,0,0";

/// A building file of the sample row and `rows - 1` generated /26 networks under 10.0.0.0/8,
/// fields separated by `separator` (`,` or `\t`).
pub fn building_file(rows: usize, separator: char) -> String {
    let mut file = String::with_capacity(rows * 110);
    file.push_str(&SAMPLE_BUILDING_ROW.replace(',', &separator.to_string()));
    file.push('\n');
    for i in 0..rows.saturating_sub(1) {
        let (a, b, c) = (i / 1024, (i % 1024) / 4, (i % 4) * 64);
        let fields = [
            format!("10.{a}.{b}.{c}"),
            format!("Site{a}/Floor{b}/Net{c}"),
            "26".into(),
            format!("BLD-{a:03}-{b:03}"),
            "Contoso".into(),
            "Office".into(),
            "Engineering".into(),
            format!("City{a}"),
            "98001".into(),
            "US".into(),
            "WA".into(),
            "MSUS".into(),
            "1".into(),
            "0".into(),
        ];
        file.push_str(&fields.join(&separator.to_string()));
        file.push('\n');
    }
    file
}

#[cfg(test)]
mod tests {
    use super::graph_id;
    use crate::domain::connector::is_guid;

    #[test]
    fn a_graph_id_is_a_guid_one_per_name() {
        for name in ["", "town-hall", "burst-099", "c-1"] {
            assert!(is_guid(&graph_id(name)), "{name:?}: {}", graph_id(name));
        }
        assert_eq!(graph_id("rev"), graph_id("rev"));
        assert_ne!(graph_id("burst-001"), graph_id("burst-010"));
    }
}
