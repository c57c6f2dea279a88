//! The query function's CPU per request, without I/O: from the DynamoDB items a Query returns
//! to the response JSON, for a history page of 50 and for the sample meeting's detail (as an
//! engineer, the largest view). The floor is serializing the same response.
//!
//!     cargo bench -p callscope-core --bench query

use callscope_core::buildings::Sites;
use callscope_core::classify::{Thresholds, classify_sessions};
use callscope_core::fixtures::{self, HOME_TENANT};
use callscope_core::ingest::prepare_calls;
use callscope_core::query::ListPage;
use callscope_core::store::items::{CallHeader, HistoryEntry};
use callscope_core::store::{Item, PreparedClassification, StoredCall};
use callscope_core::views::{EngineerCall, HistoryItem, SpecialistParty, Viewer, call_detail};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use time::macros::datetime;

fn query(c: &mut Criterion) {
    let now = datetime!(2026-11-25 12:00:00 UTC);
    let user = fixtures::user_id(0);
    let viewer = Viewer { searched_user: &user, home_tenant: HOME_TENANT };

    let history: Vec<Item> = (0..50)
        .map(|n| {
            let body =
                fixtures::call_json(&format!("call-{n:02}"), 1, 2, 1, now - time::Duration::hours(n + 1)).to_string();
            prepare_calls(body.as_bytes(), now).unwrap().remove(0).history.remove(0)
        })
        .collect();
    // The SDK hands the Query's items over owned, so cloning them is setup, not measured.
    let page = |items: Vec<Item>| {
        let entries: Vec<HistoryEntry> = items.into_iter().map(|i| serde_dynamo::from_item(i).unwrap()).collect();
        ListPage {
            items: entries.iter().map(HistoryItem::<SpecialistParty>::of_entry(&viewer)).collect(),
            next_cursor: None,
        }
    };
    let built = page(history.clone());
    let mut group = c.benchmark_group("history page of 50");
    group.bench_function("floor: serialize the response", |b| {
        b.iter(|| serde_json::to_string(black_box(&built)).unwrap())
    });
    group.bench_function("items -> view -> JSON", |b| {
        b.iter_batched(|| history.clone(), |items| serde_json::to_string(&page(items)).unwrap(), BatchSize::SmallInput)
    });
    group.finish();

    let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/graph/meeting.json")).unwrap();
    let prepared = prepare_calls(&sample, now).unwrap().remove(0);
    let header: CallHeader = serde_dynamo::from_item(prepared.header.clone()).unwrap();
    let record: callscope_core::model::CallRecord = serde_json::from_slice(&sample).unwrap();
    let result = classify_sessions(&record.sessions, &Thresholds::default());
    let rated = PreparedClassification::new(&header, result.clone()).unwrap();
    let header = CallHeader {
        rating: result.rating,
        issue_codes: result.issue_codes,
        result_pages: rated.pages.len() as u32,
        ..header
    };
    let mut items: Vec<Item> = vec![serde_dynamo::to_item(&header).unwrap()];
    items.extend(prepared.pages.iter().cloned());
    items.extend(rated.pages.iter().cloned());
    let sites = Sites::default();
    let detail = |items: Vec<Item>| {
        let stored = StoredCall::assemble(&header.pk, items, now).unwrap().unwrap();
        let view: EngineerCall = call_detail(
            &stored,
            &Viewer { searched_user: "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b", home_tenant: HOME_TENANT },
            &sites,
        );
        view
    };
    let built = detail(items.clone());
    assert!(built.sessions[0].overview.metrics.len() > 20);
    let mut group = c.benchmark_group("call detail (sample meeting, engineer)");
    group.bench_function("floor: serialize the response", |b| {
        b.iter(|| serde_json::to_string(black_box(&built)).unwrap())
    });
    group.bench_function("items -> view -> JSON", |b| {
        b.iter_batched(|| items.clone(), |items| serde_json::to_string(&detail(items)).unwrap(), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, query);
criterion_main!(benches);
