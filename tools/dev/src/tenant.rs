//! A realistic sample tenant, the same for the same seed: users in the home tenant on three
//! sites, guests, another tenant's users and phone numbers; peer-to-peer calls and meetings over
//! the last 30 days; mostly good sessions, with a minority of each kind of trouble (network,
//! device, failed setup, no quality data); Wi-Fi and wired; and the building file that maps the
//! sites. The demo loads it; load tests and benchmarks can reuse it.

use callscope_core::support::fixtures::HOME_TENANT;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The other tenant some participants come from.
pub const PARTNER_TENANT: &str = "0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d";

const NAMES: [&str; 16] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
    "Radia Perlman",
    "Ken Thompson",
    "Frances Allen",
    "John Backus",
    "Hedy Lamarr",
    "Dennis Ritchie",
    "Annie Easley",
    "Claude Shannon",
];

/// (building, city, subnet prefix) of the home tenant's sites.
const SITES: [(&str, &str, &str); 3] = [
    ("SEATTLE-SEA-1", "Seattle", "10.10"),
    ("BERLIN-BER-2", "Berlin", "10.20"),
    ("NEWYORK-NYC-3", "New York", "10.30"),
];

/// The generated tenant.
pub struct Tenant {
    pub calls: Vec<Value>,
    pub building_file: String,
    /// The user the demo shows (has at least one poor call).
    pub featured_user: String,
}

#[derive(Clone)]
struct Person {
    id: String,
    name: String,
    upn: Option<String>,
    tenant: &'static str,
    kind: &'static str,
    /// (subnet, ip) where they usually sit, and whether on Wi-Fi.
    subnet: String,
    ip: String,
    wifi: bool,
    machine: String,
}

/// The id of home user `n`.
pub fn user_id(n: usize) -> String {
    format!("5a3e0000-0000-4000-8000-{n:012}")
}

fn people(rng: &mut StdRng) -> Vec<Person> {
    let mut people: Vec<Person> = NAMES
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let (_, _, prefix) = SITES[n % SITES.len()];
            let floor = 1 + n % 2;
            let wifi = n % 3 == 0;
            Person {
                id: user_id(n),
                name: (*name).to_owned(),
                upn: Some(format!("{}@contoso.com", name.to_lowercase().replace(' ', "."))),
                tenant: HOME_TENANT,
                kind: "user",
                subnet: format!("{prefix}.{floor}.0"),
                ip: format!("{prefix}.{floor}.{}", 10 + n),
                wifi,
                machine: format!("CONTOSO-PC-{n:03}"),
            }
        })
        .collect();
    for (n, name) in ["Pat Partner", "Sam Supplier", "Lee Lawyer"].iter().enumerate() {
        people.push(Person {
            id: format!("9f8e0000-0000-4000-8000-{n:012}"),
            name: (*name).to_owned(),
            upn: Some(format!("{}@fabrikam.com", name.split(' ').next().unwrap_or("x").to_lowercase())),
            tenant: PARTNER_TENANT,
            kind: "user",
            subnet: format!("192.168.{}.0", rng.random_range(0..3)),
            ip: format!("192.168.{}.{}", n, 20 + n),
            wifi: true,
            machine: format!("FAB-{n}"),
        });
    }
    people.push(Person {
        id: "c0ffee00-0000-4000-8000-000000000001".into(),
        name: "Gina Guest (Guest)".into(),
        upn: None,
        tenant: HOME_TENANT,
        kind: "guest",
        subnet: "172.16.5.0".into(),
        ip: "172.16.5.9".into(),
        wifi: true,
        machine: "GUEST-LAPTOP".into(),
    });
    people
}

fn identity(p: &Person) -> Value {
    json!({ p.kind: { "id": p.id, "displayName": p.name, "tenantId": p.tenant, "userPrincipalName": p.upn } })
}

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("valid instant")
}

/// What went wrong in a session, if anything.
#[derive(Clone, Copy, PartialEq)]
enum Trouble {
    None,
    Network,
    Device,
    Setup,
    NoQoe,
}

fn trouble(rng: &mut StdRng) -> Trouble {
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

fn session(
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
        "startDateTime": at(start),
        "endDateTime": at(end),
        "caller": { "identity": identity(caller), "name": caller.machine, "userAgent": { "headerValue": "TeamsDesktop/1.7 (Windows 11)", "platform": "windows", "productFamily": "teams" } },
        "callee": callee_endpoint,
        "segments": [{ "id": format!("{id}-g0"), "startDateTime": at(start), "endDateTime": at(end), "media": [media] }],
    });
    if trouble == Trouble::Setup {
        session["failureInfo"] =
            json!({ "stage": "callSetup", "reason": format!("ms-diag: {} could not join", rng.random_range(20..30)) });
    }
    session
}

/// Generates `calls` calls over the 30 days before `now` with `seed`.
pub fn generate(seed: u64, calls: usize, now: OffsetDateTime) -> Tenant {
    let mut rng = StdRng::seed_from_u64(seed);
    let people = people(&mut rng);
    let home = NAMES.len();
    let mut records = Vec::with_capacity(calls);
    for n in 0..calls {
        let id = format!("sample-call-{seed}-{n:05}");
        // Call 0: the featured user's bad Wi-Fi call an hour ago, so the demo has one to show.
        let start = if n == 0 {
            now - Duration::hours(1)
        } else {
            now - Duration::minutes(rng.random_range(60..30 * 24 * 60 - 60))
        };
        let length = Duration::seconds(rng.random_range(120..3600));
        let end = start + length;
        let meeting = n != 0 && rng.random_range(0..4) == 0;
        let organizer = if n == 0 { 0 } else { rng.random_range(0..home) };
        let (kind, parties, sessions): (&str, Vec<usize>, Vec<Value>) = if meeting {
            let size = rng.random_range(3..7);
            let mut parties = vec![organizer];
            while parties.len() < size {
                let p = rng.random_range(0..people.len());
                if !parties.contains(&p) {
                    parties.push(p);
                }
            }
            let sessions = parties
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let t = trouble(&mut rng);
                    session(&mut rng, format!("{id}-s{i}"), &people[*p], None, start, end, t)
                })
                .collect();
            ("groupCall", parties, sessions)
        } else {
            let other = if n == 0 { 1 } else { (organizer + rng.random_range(1..people.len())) % people.len() };
            let t = if n == 0 { Trouble::Network } else { trouble(&mut rng) };
            let s = session(&mut rng, format!("{id}-s0"), &people[organizer], Some(&people[other]), start, end, t);
            ("peerToPeer", vec![organizer, other], vec![s])
        };
        let mut participants: Vec<Value> =
            parties.iter().map(|p| json!({ "id": people[*p].id, "identity": identity(&people[*p]) })).collect();
        if kind == "peerToPeer" && rng.random_range(0..8) == 0 {
            let number = format!("+1555{:07}", rng.random_range(0..10_000_000));
            participants.push(json!({ "id": number, "identity": { "phone": { "id": number } } }));
        }
        records.push(json!({
            "id": id,
            "version": 1,
            "type": kind,
            "modalities": ["audio"],
            "startDateTime": at(start),
            "endDateTime": at(end),
            "organizer_v2": { "id": people[organizer].id, "identity": identity(&people[organizer]) },
            "participants_v2": participants,
            "sessions": sessions,
        }));
    }
    let mut building_file = String::new();
    for (building, city, prefix) in SITES {
        for floor in 1..=2 {
            building_file.push_str(&format!(
                "{prefix}.{floor}.0,Contoso/{building}/Floor{floor},24,{building},Contoso,Office,Engineering,{city},00000,{},,{},1,0,0\n",
                if city == "Berlin" { "DE" } else { "US" },
                if city == "Berlin" { "EMEA" } else { "AMER" },
            ));
        }
    }
    Tenant { calls: records, building_file, featured_user: user_id(0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_core::domain::classify::Rating;
    use callscope_core::domain::classify::{Thresholds, classify_sessions};
    use callscope_core::domain::graph::parse_calls;

    #[test]
    fn the_tenant_is_valid_deterministic_and_has_every_kind_of_trouble() {
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        let tenant = generate(7, 200, now);
        assert_eq!(tenant.calls, generate(7, 200, now).calls, "same seed, same tenant");
        let body = json!({ "value": tenant.calls[..100] }).to_string();
        let calls = parse_calls(body.as_bytes(), now).expect("every generated record is valid");
        let mut ratings = std::collections::BTreeMap::new();
        let mut codes = std::collections::BTreeSet::new();
        for call in &calls {
            let result = classify_sessions(&call.record().sessions, &Thresholds::default());
            for s in &result.sessions {
                *ratings.entry(format!("{:?}", s.rating)).or_insert(0) += 1;
            }
            codes.extend(result.issue_codes);
        }
        assert!(ratings["Good"] > ratings["Poor"], "{ratings:?}");
        assert!(ratings.contains_key("Unavailable"), "{ratings:?}");
        assert_eq!(codes.len(), 3, "network, device and setup trouble all occur: {codes:?}");
        let featured = classify_sessions(&calls[0].record().sessions, &Thresholds::default());
        assert_eq!(featured.rating, Rating::Poor);
        let map = callscope_core::domain::sites::parse_buildings(
            tenant.building_file.as_bytes(),
            callscope_core::domain::sites::Delimiter::Comma,
        );
        assert_eq!(map.expect("the building file is valid").rows.len(), 6);
    }
}
