//! A realistic sample tenant, the same for the same seed: users in the home tenant on three
//! sites, guests, another tenant's users and phone numbers; peer-to-peer calls and meetings over
//! the last 30 days; mostly good sessions, with a minority of each kind of trouble (network,
//! device, failed setup, no quality data); Wi-Fi and wired; a video call over several segments
//! and a call to a phone number; and the building file that maps the sites. The demo loads it;
//! load tests and benchmarks can reuse it. The browser tests add [`crowd`]: 5,000 more users,
//! 300 of them Johns, who met in a few large meetings.
//!
//! Generated from a seed with `rand`'s seeded generator, never from the clock or the system's
//! randomness: the same seed and `now` give the same tenant.

mod people;
mod phone;
mod sessions;

pub use phone::DIRECT_ROUTING_ID_PREFIX;

use callscope_core::support::clock::rfc3339;
use people::{NAMES, identity, user_id};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sessions::{Trouble, session, trouble};
use time::{Duration, OffsetDateTime};

/// The generated tenant.
pub struct Tenant {
    pub calls: Vec<Value>,
    pub building_file: String,
    /// The user the demo shows (has at least one poor call).
    pub featured_user: String,
    /// Rows of Graph's PSTN call log (`getPstnCalls`), over the same 30 days.
    pub pstn_rows: Vec<Value>,
    /// Rows of Graph's Direct Routing call log (`getDirectRoutingCalls`); the first is the
    /// featured user's failed call an hour ago (SIP 404).
    pub direct_routing_rows: Vec<Value>,
}

/// How the id of the sample tenant's town hall starts (the rest names the seed): its ids are
/// GUIDs, as Graph's are, since the demo publishes them through the stand-in Graph and the
/// Graph path takes no other.
pub const TOWN_HALL_ID_PREFIX: &str = "7041ba11-";

/// The id of call `n` of the tenant of `seed`: a GUID.
fn call_id(seed: u64, n: usize) -> String {
    format!("5a3b1e00-{:04x}-4000-8000-{n:012x}", seed & 0xffff)
}

/// Generates `calls` calls over the 30 days before `now` with `seed`.
pub fn generate(seed: u64, calls: usize, now: OffsetDateTime) -> Tenant {
    let mut rng = StdRng::seed_from_u64(seed);
    let people = people::people(&mut rng);
    let home = NAMES.len();
    let mut records = Vec::with_capacity(calls);
    for n in 0..calls {
        let id = call_id(seed, n);
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
            "startDateTime": rfc3339(start),
            "endDateTime": rfc3339(end),
            "organizer_v2": { "id": people[organizer].id, "identity": identity(&people[organizer]) },
            "participants_v2": participants,
            "sessions": sessions,
        }));
    }
    let (pstn_rows, direct_routing_rows) = if calls > 0 {
        // Their own generator, so that adding them changed nobody else's calls.
        phone::rows(&mut StdRng::seed_from_u64(seed ^ 0x9407e), seed, &people, home, now)
    } else {
        (Vec::new(), Vec::new())
    };
    if calls > 0 {
        // Their own generator, so that adding them changed nobody else's calls.
        let mut own = StdRng::seed_from_u64(seed ^ 0x71de0);
        records.push(video_call(&mut own, seed, &people, now));
        records.push(phone_call(&mut own, seed, &people, now));
        records.push(town_hall(&mut rng, seed, &people, now));
    }
    Tenant {
        calls: records,
        building_file: people::building_file(),
        featured_user: user_id(0),
        pstn_rows,
        direct_routing_rows,
    }
}

/// The featured user's video call three hours ago with the last home user, who sits in the lab
/// annex (a building row without a city), in two segments (the network changed half-way): the
/// video froze to a few frames a second in the second.
fn video_call(rng: &mut StdRng, seed: u64, people: &[people::Person], now: OffsetDateTime) -> Value {
    let id = format!("5a3b1e01-{:04x}-4000-8000-000000000001", seed & 0xffff);
    let (start, end) = (now - Duration::hours(3), now - Duration::hours(3) + Duration::minutes(40));
    let half = start + Duration::minutes(20);
    let other = &people[NAMES.len() - 1];
    let mut s = session(rng, format!("{id}-s0"), &people[0], Some(other), start, end, Trouble::None);
    s["modalities"] = json!(["audio", "video"]);
    let audio = s["segments"][0]["media"][0].clone();
    let video = |frame_rate: f64| {
        // The first video metric reported decides: the frozen stream reports no frame loss.
        let stream = |direction: &str, rate: f64| {
            let mut stream = json!({ "streamDirection": direction, "averageVideoFrameRate": rate,
                    "postForwardErrorCorrectionPacketLossRate": 0.004, "averageBandwidthEstimate": 2_400_000,
                    "packetUtilization": 42_000, "videoCodec": "H264" });
            if rate > 15.0 {
                stream["averageVideoFrameLossPercentage"] = json!(1.5);
            }
            stream
        };
        json!({ "label": "main-video", "callerNetwork": audio["callerNetwork"], "calleeNetwork": audio["calleeNetwork"],
                "streams": [stream("callerToCallee", frame_rate), stream("calleeToCaller", 24.5)] })
    };
    s["segments"] = json!([
        { "id": format!("{id}-g0"), "startDateTime": rfc3339(start), "endDateTime": rfc3339(half), "media": [audio, video(24.5)] },
        { "id": format!("{id}-g1"), "startDateTime": rfc3339(half), "endDateTime": rfc3339(end), "media": [audio, video(4.2)] },
    ]);
    let parties = [&people[0], other];
    json!({
        "id": id, "version": 1, "type": "peerToPeer", "modalities": ["audio", "video"],
        "startDateTime": rfc3339(start), "endDateTime": rfc3339(end),
        "organizer_v2": { "id": people[0].id, "identity": identity(&people[0]) },
        "participants_v2": parties.iter().map(|p| json!({ "id": p.id, "identity": identity(p) })).collect::<Vec<_>>(),
        "sessions": [s],
    })
}

/// The featured user's call to a phone number (through the PSTN) four hours ago.
fn phone_call(rng: &mut StdRng, seed: u64, people: &[people::Person], now: OffsetDateTime) -> Value {
    let id = format!("5a3b1e01-{:04x}-4000-8000-000000000002", seed & 0xffff);
    let number = "+15550100123";
    let (start, end) = (now - Duration::hours(4), now - Duration::hours(4) + Duration::minutes(12));
    let mut s = session(rng, format!("{id}-s0"), &people[0], None, start, end, Trouble::None);
    s["callee"] = json!({ "identity": { "phone": { "id": number } } });
    json!({
        "id": id, "version": 1, "type": "peerToPeer", "modalities": ["audio"],
        "startDateTime": rfc3339(start), "endDateTime": rfc3339(end),
        "organizer_v2": { "id": people[0].id, "identity": identity(&people[0]) },
        "participants_v2": [{ "id": people[0].id, "identity": identity(&people[0]) }, { "id": number, "identity": { "phone": { "id": number } } }],
        "sessions": [s],
    })
}

/// How many people meet in each of the crowd's meetings.
const CROWD_MEETING: usize = 500;

/// The crowd's calls ([`people::crowd`]): meetings of [`CROWD_MEETING`] people each over the
/// last days, so that every one of them has a history and can be searched for. Only the first
/// of each joined with a reported session: the others' lines are unavailable, which is cheap.
pub fn crowd(seed: u64, now: OffsetDateTime) -> Vec<Value> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc40d);
    let crowd = people::crowd();
    crowd
        .chunks(CROWD_MEETING)
        .enumerate()
        .map(|(n, members)| {
            let id = format!("c40dc40d-{:04x}-4000-8000-{n:012x}", seed & 0xffff);
            let start = now - Duration::days(1 + n as i64) - Duration::hours(5);
            let end = start + Duration::hours(1);
            let s = session(&mut rng, format!("{id}-s0"), &members[0], None, start, end, Trouble::None);
            json!({
                "id": id, "version": 1, "type": "groupCall", "modalities": ["audio"],
                "startDateTime": rfc3339(start), "endDateTime": rfc3339(end),
                "organizer_v2": { "id": members[0].id, "identity": identity(&members[0]) },
                "participants_v2": members.iter().map(|p| json!({ "id": p.id, "identity": identity(p) })).collect::<Vec<_>>(),
                "sessions": [s],
            })
        })
        .collect()
}

/// A record Graph would send that callscope refuses: a call of the featured user's that Graph
/// says lasted 8 days (a room system that never hung up), past the 7 days a record may describe.
/// Published with the tenant, it becomes the Graph connector's dead letter, so the admin's
/// connector page has one to show and retry.
pub fn refused(seed: u64, now: OffsetDateTime) -> Value {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xdead);
    let people = people::people(&mut StdRng::seed_from_u64(seed));
    let id = format!("dead1e77-{:04x}-4000-8000-000000000000", seed & 0xffff);
    let end = now - Duration::hours(2);
    let start = end - Duration::days(8);
    let (caller, callee) = (&people[0], &people[1]);
    let s = session(&mut rng, format!("{id}-s0"), caller, Some(callee), start, end, Trouble::None);
    let parties: Vec<Value> = [caller, callee].iter().map(|p| json!({ "id": p.id, "identity": identity(p) })).collect();
    json!({
        "id": id, "version": 1, "type": "peerToPeer", "modalities": ["audio"],
        "startDateTime": rfc3339(start), "endDateTime": rfc3339(end),
        "organizer_v2": { "id": caller.id, "identity": identity(caller) },
        "participants_v2": parties,
        "sessions": [s],
    })
}

/// How many times each person joins the town hall: enough sessions that its detail shows each
/// attendee only their own (more than 50).
const TOWN_HALL_JOINS: usize = 4;

/// A town hall two hours ago, organized by the second user, that everyone joined
/// [`TOWN_HALL_JOINS`] times, a quarter of its hour each time (a rejoin after a dropped
/// network, say): the featured user's sessions are all good, a few others' are not, so the
/// featured user's own rating of it is good and the meeting's poor.
fn town_hall(rng: &mut StdRng, seed: u64, people: &[people::Person], now: OffsetDateTime) -> Value {
    let id = format!("{TOWN_HALL_ID_PREFIX}{:04x}-4000-8000-000000000000", seed & 0xffff);
    let (start, end) = (now - Duration::hours(2), now - Duration::hours(1));
    let stretch = (end - start) / TOWN_HALL_JOINS as u32;
    let sessions: Vec<Value> = (0..TOWN_HALL_JOINS)
        .flat_map(|join| people.iter().enumerate().map(move |(n, p)| (join, n, p)))
        .map(|(join, n, p)| {
            let t = if n == 0 {
                Trouble::None
            } else if n % 7 == 3 && join == 0 {
                Trouble::Network
            } else {
                trouble(rng)
            };
            let from = start + stretch * join as u32;
            session(rng, format!("{id}-j{join}-p{n}"), p, None, from, from + stretch, t)
        })
        .collect();
    let participants: Vec<Value> = people.iter().map(|p| json!({ "id": p.id, "identity": identity(p) })).collect();
    json!({
        "id": id,
        "version": 1,
        "type": "groupCall",
        "modalities": ["audio"],
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(end),
        "organizer_v2": { "id": people[1].id, "identity": identity(&people[1]) },
        "participants_v2": participants,
        "sessions": sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_core::domain::classify::Rating;
    use callscope_core::domain::classify::{Thresholds, classify_sessions};
    use callscope_core::domain::graph::parse_calls;

    /// The first calls of seed 7 (type, start): a change here changes every demo and benchmark.
    const SEED_7: [(&str, &str); 4] = [
        ("peerToPeer", "2026-11-25T11:00:00Z"),
        ("peerToPeer", "2026-11-06T15:29:00Z"),
        ("groupCall", "2026-11-13T01:14:00Z"),
        ("peerToPeer", "2026-11-24T22:06:00Z"),
    ];

    #[test]
    fn the_tenant_is_valid_deterministic_and_has_every_kind_of_trouble() {
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        let tenant = generate(7, 200, now);
        assert_eq!(tenant.calls, generate(7, 200, now).calls, "same seed, same tenant");
        assert_ne!(tenant.calls, generate(8, 200, now).calls, "another seed, another tenant");
        let first: Vec<(&str, &str)> = tenant.calls[..4]
            .iter()
            .map(|c| (c["type"].as_str().unwrap_or_default(), c["startDateTime"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(first, SEED_7, "seed 7 gives the tenant it always gave");
        let ids = tenant.calls.iter().map(|c| c["id"].as_str().unwrap_or_default());
        assert!(ids.clone().all(callscope_core::domain::connector::is_guid), "the Graph path takes GUIDs only");
        assert_eq!(ids.collect::<std::collections::BTreeSet<_>>().len(), tenant.calls.len(), "one id per call");
        assert!(tenant.calls.last().unwrap()["id"].as_str().unwrap().starts_with(TOWN_HALL_ID_PREFIX));
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
        let body = json!({ "value": [tenant.calls.last().unwrap()] }).to_string();
        let town_hall = parse_calls(body.as_bytes(), now).expect("the town hall is valid").remove(0);
        let result = classify_sessions(&town_hall.record().sessions, &Thresholds::default());
        assert!(town_hall.record().sessions.len() > 50, "more sessions than a detail holds all of");
        assert_eq!(
            (result.rating, result.parties[&tenant.featured_user].rating),
            (Rating::Poor, Rating::Good),
            "a poor meeting that went well for the featured user"
        );
        let map = callscope_core::domain::sites::parse_buildings(
            tenant.building_file.as_bytes(),
            callscope_core::domain::sites::Delimiter::Comma,
        );
        let map = map.expect("the building file is valid");
        assert_eq!(map.rows.len(), 7);
        assert!(map.rows.iter().any(|r| r.city.is_empty()), "a building row without a city");
        let video = tenant.calls.iter().find(|c| c["modalities"].as_array().is_some_and(|m| m.len() > 1)).unwrap();
        let body = json!({ "value": [video] }).to_string();
        let video = parse_calls(body.as_bytes(), now).expect("the video call is valid").remove(0);
        assert_eq!(video.record().sessions[0].segments.len(), 2, "a video call over several segments");
        let result = classify_sessions(&video.record().sessions, &Thresholds::default());
        assert_eq!(result.issue_codes.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>(), ["VideoPoor"]);
    }

    #[test]
    fn the_refused_record_is_a_guid_that_ingest_refuses_for_its_length() {
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        let record = refused(7, now);
        assert!(callscope_core::domain::connector::is_guid(record["id"].as_str().unwrap()));
        let body = json!({ "value": [record] }).to_string();
        let problems = parse_calls(body.as_bytes(), now).expect_err("a call of 8 days is refused").problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].path.ends_with("endDateTime"), "{problems:?}");
    }

    #[test]
    fn the_crowd_has_5000_people_300_johns_and_one_john_smith_and_is_valid() {
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        let people = people::crowd();
        let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), 5000);
        assert_eq!(names.iter().filter(|n| n.starts_with("John ")).count(), 300);
        assert_eq!(names.iter().filter(|n| **n == "John Smith").count(), 1);
        assert!(names.iter().filter(|n| n.ends_with(" Smith")).count() > 100, "many Smiths besides");
        let ids: std::collections::BTreeSet<_> = people.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), 5000, "one id each");
        let meetings = crowd(7, now);
        let body = json!({ "value": meetings }).to_string();
        let calls = parse_calls(body.as_bytes(), now).expect("every crowd meeting is valid");
        let named: usize = calls.iter().map(|c| c.record().participants_v2.len()).sum();
        assert_eq!(named, 5000, "everyone of the crowd took part in one");
    }
}
