//! The largest meeting a record may be (BENCHMARKS.md, "A 25,000-session meeting"): 25,000
//! sessions of 2 segments each, every session a participant of the home tenant, taken through
//! what ingest and classify compute before they write — parsing and validating, the items of
//! the call version, classification, the rated items — with the time, the peak heap and the
//! write units of the exact items (DynamoDB's size rules).
//!
//! Run: `cargo bench -p callscope-tests --bench town_hall`.

use callscope_core::app::ingest::prepare_calls;
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::store::PreparedClassification;
use callscope_core::store::size::item_size;
use callscope_core::support::fixtures::{self, HOME_TENANT};
use callscope_tests::ANCHOR;
use callscope_tests::heap::{Counting, live, peak_of};
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

fn main() {
    // `cargo test --all-targets` runs this binary without `--bench`: the figures are not a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let record = fixtures::call_json("town-hall", 1, SESSIONS, 2, ANCHOR - time::Duration::hours(3));
    let body = record.to_string();
    drop(record);
    println!("A record of {SESSIONS} sessions (2 segments each): {:.1} MiB of JSON\n", mib(body.len()));
    println!("| step | time | peak heap |");
    println!("|---|---|---|");
    let prepared = measured("ingest: parse, validate, build every item", || {
        prepare_calls(body.as_bytes(), ANCHOR, HOME_TENANT).expect("the record is accepted").remove(0)
    });
    drop(body);
    let items: Vec<_> = prepared.writes.pages.iter().cloned().chain([prepared.header.clone()]).collect();
    let stored = measured("classify: read the stored call back (its items as a Query returns them)", || {
        callscope_core::store::calls::assemble("CALL#town-hall", items, ANCHOR).unwrap().unwrap()
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
        "\nIngest writes {} pages ({:.1} MiB stored, {} write units), the header ({} units) and {} history entries ({} units) plus each new user's 4 directory entries; classify {} result pages ({} units) and the {} history entries again ({} units).",
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
