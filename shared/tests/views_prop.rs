//! Property: whatever a call record holds, a specialist's view of it never shows another
//! participant's name or address, nor any IP, SSID, BSSID, MAC, DNS suffix, device name, CPU or
//! feedback text; and no role's view shows a whole phone number.

use callscope_core::domain::calls::{CallSummary, StoredCall};
use callscope_core::domain::classify::Rating;
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::graph::{CallType, Party, PartyKind, Session};
use callscope_core::domain::views::{EngineerCall, SpecialistCall, Viewer, call_detail};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;

const HOME: &str = "home-tenant";

/// A random token of fixed length, so no generated secret is a prefix of another.
fn token(prefix: &'static str) -> impl Strategy<Value = String> {
    "[a-z0-9]{12}".prop_map(move |s| format!("{prefix}{s}"))
}

fn party() -> impl Strategy<Value = Party> {
    (0..3u8, token("id"), token("Name"), token("upn"), any::<bool>(), "[0-9]{10}").prop_map(
        |(kind, id, name, upn, home, digits)| match kind {
            0 | 1 => Party {
                id,
                kind: if kind == 0 { PartyKind::User } else { PartyKind::Guest },
                display_name: Some(name),
                user_principal_name: Some(format!("{upn}@example.com")),
                tenant_id: Some(if home { HOME.to_owned() } else { "other-tenant".to_owned() }),
            },
            _ => Party {
                id: format!("+1{digits}"),
                kind: PartyKind::Phone,
                // Phone display names are often the number itself.
                display_name: Some(format!("+1{digits}")),
                user_principal_name: None,
                tenant_id: None,
            },
        },
    )
}

#[derive(Debug, Clone)]
struct Secrets {
    ip: String,
    ssid: String,
    bssid: String,
    mac: String,
    dns: String,
    device: String,
    machine: String,
    feedback: String,
}

fn secrets() -> impl Strategy<Value = Secrets> {
    (
        (1..255u8, 1..255u8, 1..255u8),
        token("SSID"),
        token("BSSID"),
        token("MAC"),
        token("dns"),
        token("Device"),
        token("PC"),
        token("Said"),
    )
        .prop_map(|((a, b, c), ssid, bssid, mac, dns, device, machine, feedback)| Secrets {
            ip: format!("172.{a}.{b}.{c}"),
            ssid,
            bssid,
            mac,
            dns,
            device,
            machine,
            feedback,
        })
}

fn identity(party: &Party) -> Value {
    let key = match party.kind {
        PartyKind::User => "user",
        PartyKind::Guest => "guest",
        _ => "phone",
    };
    json!({ key: { "id": party.id, "displayName": party.display_name, "userPrincipalName": party.user_principal_name, "tenantId": party.tenant_id } })
}

fn session(parties: &[Party], caller: usize, callee: Option<usize>, s: &Secrets, loss: f64) -> Session {
    let network = json!({
        "ipAddress": s.ip, "subnet": s.ip, "reflexiveIPAddress": s.ip, "relayIPAddress": s.ip,
        "ssid": s.ssid, "basicServiceSetIdentifier": s.bssid, "macAddress": s.mac, "dnsSuffix": s.dns,
        "connectionType": "wifi",
    });
    let device =
        json!({ "captureDeviceName": s.device, "renderDeviceName": s.device, "captureDeviceDriver": s.device });
    let callee = match callee {
        Some(i) => json!({ "identity": identity(&parties[i]), "name": s.machine }),
        None => json!({ "userAgent": { "headerValue": "av-mcu" } }),
    };
    serde_json::from_value(json!({
        "id": "s",
        "caller": { "identity": identity(&parties[caller]), "name": s.machine, "userAgent": { "headerValue": s.machine },
                    "cpuName": s.machine, "feedback": { "rating": "bad", "text": s.feedback } },
        "callee": callee,
        "segments": [{ "id": "g", "media": [{
            "label": "main-audio",
            "callerNetwork": network, "calleeNetwork": network,
            "callerDevice": device, "calleeDevice": device,
            "streams": [{ "streamDirection": "callerToCallee", "averagePacketLossRate": loss, "averageJitter": "PT0.02S" }],
        }]}],
    }))
    .unwrap()
}

fn call() -> impl Strategy<Value = (StoredCall, Vec<Secrets>)> {
    (
        prop::collection::vec(party(), 2..6),
        prop::collection::vec((0..6usize, prop::option::of(0..6usize), secrets(), 0.0..1.0f64), 1..4),
        any::<bool>(),
    )
        .prop_map(|(mut parties, sessions, rated)| {
            // The searched user is a directory user, as in the product.
            parties[0].kind = PartyKind::User;
            parties[0].user_principal_name.get_or_insert_with(|| "searched@example.com".into());
            let n = parties.len();
            let secrets: Vec<Secrets> = sessions.iter().map(|(_, _, s, _)| s.clone()).collect();
            let sessions: Vec<Session> =
                sessions.iter().map(|(a, b, s, loss)| session(&parties, a % n, b.map(|b| b % n), s, *loss)).collect();
            let result = classify_sessions(&sessions, &Thresholds::default());
            let summary = CallSummary {
                call_id: "c".into(),
                version: 1,
                call_type: CallType::GroupCall,
                modalities: vec![],
                start_date_time: datetime!(2026-11-24 10:00 UTC),
                end_date_time: datetime!(2026-11-24 11:00 UTC),
                organizer_id: Some(parties[0].id.clone()),
                parties,
                session_count: sessions.len() as u32,
                subnets: Default::default(),
                conference_id: None,
                rating: if rated { result.rating } else { Rating::Pending },
                issue_codes: result.issue_codes.clone(),
                ingested_at: datetime!(2026-11-24 12:00 UTC),
            };
            let results = rated.then_some(result.sessions);
            (StoredCall { summary, sessions, results }, secrets)
        })
}

fn phones_are_masked(json: &str, parties: &[Party]) -> Result<(), TestCaseError> {
    for party in parties.iter().filter(|p| p.kind == PartyKind::Phone) {
        prop_assert!(!json.contains(&party.id), "a whole phone number is shown: {}", party.id);
    }
    let value: Value = serde_json::from_str(json).unwrap();
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(phone) = map.get("phone") {
                    prop_assert!(phone.as_str().is_some_and(|p| p.ends_with("***")), "unmasked phone {phone}");
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_specialist_never_sees_what_tier_one_must_not((stored, secrets) in call()) {
        let searched = stored.summary.parties[0].clone();
        let viewer = Viewer { searched_user: &searched.id, home_tenant: HOME };
        let view: SpecialistCall = call_detail(&stored, &viewer, &Default::default());
        let json = serde_json::to_string(&view).unwrap();
        for other in stored.summary.parties.iter().filter(|p| p.id != searched.id) {
            for name in [&other.display_name, &other.user_principal_name].into_iter().flatten() {
                prop_assert!(!json.contains(name.as_str()), "another participant's {name} is shown");
            }
        }
        for s in &secrets {
            for secret in [&s.ip, &s.ssid, &s.bssid, &s.mac, &s.dns, &s.device, &s.machine, &s.feedback] {
                prop_assert!(!json.contains(secret.as_str()), "{secret} is shown to a specialist");
            }
        }
        prop_assert!(!json.contains("\"advanced\"") && !json.contains("\"debug\""));
        prop_assert!(!json.contains("\"feedback\"") && !json.contains("\"failure\""));
        phones_are_masked(&json, &stored.summary.parties)?;
    }

    #[test]
    fn no_role_sees_a_whole_phone_number((stored, _) in call()) {
        let viewer = Viewer { searched_user: &stored.summary.parties[0].id, home_tenant: HOME };
        let view: EngineerCall = call_detail(&stored, &viewer, &Default::default());
        let json = serde_json::to_string(&view).unwrap();
        phones_are_masked(&json, &stored.summary.parties)?;
        prop_assert!(json.contains("\"advanced\"") && json.contains("\"debug\""));
        prop_assert!(json.contains("\"feedback\"") && json.contains("\"segments\""), "an engineer sees the feedback and every report");
    }
}
