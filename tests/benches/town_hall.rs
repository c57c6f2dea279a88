//! The largest meeting a record may be (BENCHMARKS.md, "A 25,000-session meeting"): 25,000
//! sessions of 2 segments each, every session a participant of the home tenant, taken through
//! what ingest and classify compute before they write — parsing and validating, the items of
//! the call version, classification, the rated items — with the time, the peak heap and the
//! write units of the exact items (DynamoDB's size rules).
//!
//! Then the same steps for the largest record callscope keeps in JSON bytes
//! ([`MAX_RECORD_JSON`]): realistic sessions (every one distinct: ids, addresses, names,
//! devices, metrics; audio and video; full caller and callee network and device fields, ~12 KB
//! of JSON each), as many as fit the cap.
//!
//! Run: `cargo bench -p callscope-tests --bench town_hall`.

use callscope_core::app::ingest::prepare_calls;
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::connector::MAX_RECORD_JSON;
use callscope_core::store::PreparedClassification;
use callscope_core::store::size::item_size;
use callscope_core::support::clock::rfc3339;
use callscope_core::support::fixtures::{self, HOME_TENANT};
use callscope_tests::ANCHOR;
use callscope_tests::heap::{Counting, live, peak_of};
use serde_json::{Value, json};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Sessions of the measured meeting: the most a record may hold.
const SESSIONS: usize = 25_000;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Write units of `items`: one per started KiB of each.
fn write_units(items: &[callscope_core::store::Item]) -> usize {
    items.iter().map(|i| item_size(i).div_ceil(1024)).sum()
}

/// Runs `step`, printing its time and the peak heap above what was in use before it.
fn measured<T>(name: &str, step: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let (value, peak) = peak_of(step);
    println!("| {name} | {:.2} s | {:.0} MiB |", started.elapsed().as_secs_f64(), mib(peak));
    value
}

/// A random IPv4 address in `10.0.0.0/8`.
fn address(rng: &mut fastrand::Rng) -> String {
    format!("10.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(1..255))
}

/// A random MAC address or BSSID.
fn mac(rng: &mut fastrand::Rng) -> String {
    (0..6).map(|_| format!("{:02x}", rng.u8(..))).collect::<Vec<_>>().join(":")
}

/// One side's network, every field Graph fills for a client on Wi-Fi.
fn network(rng: &mut fastrand::Rng) -> Value {
    let ip = address(rng);
    let subnet = format!("{}.0", ip.rsplit_once('.').map_or("10.0.0", |(net, _)| net));
    json!({
        "ipAddress": ip, "subnet": subnet, "reflexiveIPAddress": format!("203.0.{}.{}", rng.u8(..), rng.u8(..)),
        "relayIPAddress": format!("52.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(..)), "relayPort": rng.u16(3478..3481),
        "port": rng.u16(50000..60000), "linkSpeed": rng.i64(10_000_000..1_000_000_000),
        "connectionType": if rng.bool() { "wifi" } else { "wired" }, "networkTransportProtocol": "udp",
        "dnsSuffix": format!("site{}.corp.contoso.com", rng.u16(..1000)), "wifiBand": "frequency50GHz",
        "wifiChannel": rng.i64(1..165), "wifiSignalStrength": rng.i64(20..100), "wifiRadioType": "wifi80211ac",
        "basicServiceSetIdentifier": mac(rng), "macAddress": mac(rng), "ssid": format!("CONTOSO-{}", rng.u16(..500)),
    })
}

/// One side's devices.
fn device(rng: &mut fastrand::Rng) -> Value {
    let model = rng.u16(..9999);
    json!({
        "captureDeviceName": format!("Microphone (Jabra Evolve2 {model})"),
        "captureDeviceDriver": format!("Microsoft: {}.{}", rng.u16(..999), rng.u32(..99999)),
        "renderDeviceName": format!("Speakers (Jabra Evolve2 {model})"),
        "renderDeviceDriver": format!("Microsoft: {}.{}", rng.u16(..999), rng.u32(..99999)),
        "captureNotFunctioningEventRatio": rng.f64() / 100.0, "renderNotFunctioningEventRatio": rng.f64() / 100.0,
    })
}

/// A duration of `0..max_ms` milliseconds, as Graph writes one.
fn millis(rng: &mut fastrand::Rng, max_ms: u32) -> String {
    format!("PT{:.3}S", f64::from(rng.u32(..max_ms)) / 1000.0)
}

/// One stream of `video` or audio media.
fn stream(rng: &mut fastrand::Rng, direction: &str, video: bool) -> Value {
    let mut stream = json!({
        "streamId": rng.u32(..).to_string(), "streamDirection": direction,
        "averageJitter": millis(rng, 40), "maxJitter": millis(rng, 200),
        "averagePacketLossRate": rng.f64() / 20.0, "maxPacketLossRate": rng.f64() / 5.0,
        "averageRoundTripTime": millis(rng, 200), "maxRoundTripTime": millis(rng, 900),
        "packetUtilization": rng.i64(1000..90000), "averageBandwidthEstimate": rng.i64(100_000..9_000_000),
        "postForwardErrorCorrectionPacketLossRate": rng.f64() / 50.0, "wasMediaBypassed": false,
    });
    let extra = if video {
        json!({ "videoCodec": "H264", "averageVideoFrameRate": rng.f64() * 30.0,
            "averageVideoFrameLossPercentage": rng.f64() * 5.0 })
    } else {
        json!({ "audioCodec": "satin", "averageAudioDegradation": rng.f64(),
            "averageRatioOfConcealedSamples": rng.f64() / 20.0 })
    };
    if let (Value::Object(stream), Value::Object(extra)) = (&mut stream, extra) {
        stream.extend(extra);
    }
    stream
}

/// A client's endpoint, its user agent filled as a Teams desktop's.
fn endpoint(rng: &mut fastrand::Rng, n: usize, name: &str) -> Value {
    let version = format!("1.{}.00.{}", rng.u8(..9), rng.u32(..99999));
    json!({
        "@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
        "name": format!("{name}-{n}-{}", rng.u32(..)),
        "identity": { "user": { "id": fixtures::user_id(n), "displayName": format!("Attendee {n} {}", rng.u32(..)),
            "tenantId": HOME_TENANT, "userPrincipalName": format!("attendee{n}.{}@contoso.com", rng.u16(..)) } },
        "userAgent": { "@odata.type": "#microsoft.graph.callRecords.clientUserAgent",
            "headerValue": format!("RTCC/7.0.0.0 UCWA/7.0.0.0 TeamsDesktop/{version} (Windows NT 10.0.{})", rng.u16(..)),
            "platform": "windows", "productFamily": "teams", "applicationVersion": version, "role": "user",
            "communicationServiceId": null, "azureADAppId": null },
        "feedback": null,
    })
}

/// Session `n` of the realistic meeting: 2 segments of audio and video media, every field
/// filled and every value its own.
fn realistic_session(rng: &mut fastrand::Rng, n: usize, start: time::OffsetDateTime) -> Value {
    let end = start + time::Duration::minutes(30);
    let segment = |rng: &mut fastrand::Rng, s: usize| {
        let media = |rng: &mut fastrand::Rng, label: &str, video: bool| {
            json!({
                "label": label,
                "callerNetwork": network(rng), "calleeNetwork": network(rng),
                "callerDevice": device(rng), "calleeDevice": device(rng),
                "streams": [stream(rng, "callerToCallee", video), stream(rng, "calleeToCaller", video)],
            })
        };
        json!({
            "id": format!("{:032x}-{n}-{s}", rng.u128(..)),
            "startDateTime": rfc3339(start), "endDateTime": rfc3339(end),
            "caller": endpoint(rng, n, "PC"), "callee": { "userAgent": { "headerValue": "av-mcu", "role": "server" } },
            "failureInfo": null,
            "media": [media(rng, "main-audio", false), media(rng, "main-video", true)],
        })
    };
    json!({
        "id": format!("{:032x}-{n}", rng.u128(..)),
        "modalities": ["audio", "video"],
        "startDateTime": rfc3339(start), "endDateTime": rfc3339(end), "isTest": false,
        "caller": endpoint(rng, n, "PC"), "callee": { "userAgent": { "headerValue": "av-mcu", "role": "server" } },
        "failureInfo": null,
        "segments": [segment(rng, 0), segment(rng, 1)],
    })
}

/// A meeting of realistic sessions, as many as keep its JSON under [`MAX_RECORD_JSON`]; its
/// JSON and how many sessions it holds.
fn realistic_meeting(start: time::OffsetDateTime) -> (String, usize) {
    let mut rng = fastrand::Rng::with_seed(28);
    let head = r#"{"id":"town-hall-real","version":1,"type":"groupCall","modalities":["audio","video"],"#;
    let mut body = format!(
        r#"{head}"startDateTime":"{}","endDateTime":"{}","participants_v2":[],"sessions":["#,
        rfc3339(start),
        rfc3339(start + time::Duration::minutes(30))
    );
    let mut sessions = 0;
    loop {
        let session = realistic_session(&mut rng, sessions, start).to_string();
        if body.len() + session.len() + 3 > MAX_RECORD_JSON || sessions == SESSIONS {
            break;
        }
        if sessions > 0 {
            body.push(',');
        }
        body.push_str(&session);
        sessions += 1;
    }
    body.push_str("]}");
    (body, sessions)
}

/// What one `/sessions` page of 100 from the start reads, once the call is rated: the whole
/// partition (before the header counted its pages' sessions), or the header, the party pages
/// and the session and result pages that hold sessions 0..=100 (after).
fn page_reads(prepared: &callscope_core::store::PreparedCall, rated: &PreparedClassification) {
    let header: callscope_core::store::items::CallHeader = serde_dynamo::from_item(prepared.header.clone()).unwrap();
    let kind = |item: &callscope_core::store::Item, prefix: &str| {
        item.get("SK").and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk.starts_with(prefix))
    };
    // The first pages whose counts reach `wanted`.
    let first =
        |counts: &[u32], wanted: u32| counts.iter().scan(0, |held, &c| (*held < wanted).then(|| *held += c)).count();
    let sessions = first(&header.session_page_counts, 101);
    let results = first(&rated.result_page_counts, 101);
    let whole: Vec<_> =
        [&prepared.header].into_iter().chain(&prepared.writes.pages).chain(&rated.writes.pages).collect();
    let needed: Vec<_> = [&prepared.header]
        .into_iter()
        .chain(prepared.writes.pages.iter().filter(|i| kind(i, "PARTIES#")))
        .chain(prepared.writes.pages.iter().filter(|i| kind(i, "SESSIONS#")).take(sessions))
        .chain(rated.writes.pages.iter().take(results))
        .collect();
    let bytes = |items: &[&callscope_core::store::Item]| items.iter().map(|i| item_size(i)).sum::<usize>();
    println!(
        "\nA page of 100 sessions reads {} items, {:.2} MiB stored ({} session and {} result pages of {} and {}); reading the call whole, {} items, {:.2} MiB.",
        needed.len(),
        mib(bytes(&needed)),
        sessions,
        results,
        header.session_pages,
        rated.writes.pages.len(),
        whole.len(),
        mib(bytes(&whole)),
    );
}

/// Takes `body` through ingest and classify, printing each step's time and peak heap.
fn measure(body: String, id: &str) {
    println!("| step | time | peak heap |");
    println!("|---|---|---|");
    let prepared = measured("ingest: parse, validate, build every item", || {
        prepare_calls(body.as_bytes(), ANCHOR, HOME_TENANT).expect("the record is accepted").remove(0)
    });
    drop(body);
    let id = format!("CALL#{id}");
    let items: Vec<_> = prepared.writes.pages.iter().cloned().chain([prepared.header.clone()]).collect();
    let stored = measured("classify: read the stored call back (its items as a Query returns them)", || {
        callscope_core::store::calls::assemble(&id, items, ANCHOR).unwrap().unwrap()
    });
    let result =
        measured("classify: rate every session", || classify_sessions(&stored.sessions, &Thresholds::default()));
    let rated = measured("classify: build the rated items", || {
        PreparedClassification::new(&stored.summary, result, HOME_TENANT).unwrap()
    });
    let pages: usize = prepared.writes.pages.iter().map(item_size).sum();
    page_reads(&prepared, &rated);
    println!("\nHeap in use at the end, the stored call and its results held: {:.0} MiB", mib(live()));
    println!(
        "\nIngest writes {} pages ({:.1} MiB stored, {} write units), the header ({} units) and {} history entries ({} units) plus each new user's 4 directory entries; classify {} result pages ({} units) and the {} history entries again ({} units).\n",
        prepared.writes.pages.len(),
        mib(pages),
        write_units(&prepared.writes.pages),
        item_size(&prepared.header).div_ceil(1024),
        prepared.writes.history.len(),
        write_units(&prepared.writes.history),
        rated.writes.pages.len(),
        write_units(&rated.writes.pages),
        rated.writes.history.len(),
        write_units(&rated.writes.history),
    );
}

fn main() {
    // `cargo test --all-targets` runs this binary without `--bench`: the figures are not a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let record = fixtures::call_json("town-hall", 1, SESSIONS, 2, ANCHOR - time::Duration::hours(3));
    let body = record.to_string();
    drop(record);
    println!("A record of {SESSIONS} sessions (2 segments each): {:.1} MiB of JSON\n", mib(body.len()));
    measure(body, "town-hall");

    let (body, sessions) = realistic_meeting(ANCHOR - time::Duration::hours(3));
    println!(
        "A record of realistic sessions at the cap ({} MiB): {sessions} sessions, {:.1} MiB of JSON, {:.1} KB a session\n",
        MAX_RECORD_JSON >> 20,
        mib(body.len()),
        body.len() as f64 / sessions as f64 / 1000.0
    );
    measure(body, "town-hall-real");
}
