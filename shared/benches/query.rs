//! The query function's CPU per request, without I/O: from the DynamoDB items a Query returns
//! to the response JSON, for a history page of 50 and for the sample meeting's detail (as an
//! engineer, the largest view). The floor is serializing the same response.
//!
//!     cargo bench -p callscope-core --bench query

use callscope_core::app::ingest::prepare_calls;
use callscope_core::app::query::ListPage;
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::sites::Sites;
use callscope_core::domain::views::{EngineerCall, SpecialistHistoryLine, Viewer, call_detail, history_line};
use callscope_core::store::calls::assemble;
use callscope_core::store::items::CallHeader;
use callscope_core::store::{Item, PreparedClassification};
use callscope_core::support::fixtures::{self, HOME_TENANT};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde::Serialize;
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
            let prepared = prepare_calls(body.as_bytes(), now, HOME_TENANT).unwrap().remove(0);
            let header: callscope_core::store::items::CallHeader = serde_dynamo::from_item(prepared.header).unwrap();
            let user = header.summary.history_parties(HOME_TENANT).next().unwrap();
            serde_dynamo::to_item(callscope_core::store::items::HistoryItem::new(&header.summary, user, None)).unwrap()
        })
        .collect();
    // The SDK hands the Query's items over owned, so cloning them is setup, not measured.
    let sites = Sites::default();
    let page = |items: Vec<Item>| {
        let stored: Vec<callscope_core::store::items::HistoryItem> =
            items.into_iter().map(|i| serde_dynamo::from_item(i).unwrap()).collect();
        let items: Vec<SpecialistHistoryLine> =
            stored.iter().map(|i| history_line(&i.entry, &viewer, &sites)).collect();
        ListPage { items, next_cursor: None }
    };
    view_group(c, "history page of 50", &history, page);

    let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/graph/meeting.json")).unwrap();
    let prepared = prepare_calls(&sample, now, HOME_TENANT).unwrap().remove(0);
    let header: CallHeader = serde_dynamo::from_item(prepared.header.clone()).unwrap();
    let record: callscope_core::domain::graph::CallRecord = serde_json::from_slice(&sample).unwrap();
    let result = classify_sessions(&record.sessions, &Thresholds::default());
    let rated = PreparedClassification::new(&header.summary, result.clone(), HOME_TENANT).unwrap();
    let mut header = CallHeader { result_pages: rated.writes.pages.len() as u32, ..header };
    header.summary.rating = result.rating;
    header.summary.issue_codes = result.issue_codes;
    let mut items: Vec<Item> = vec![serde_dynamo::to_item(&header).unwrap()];
    items.extend(prepared.writes.pages.iter().cloned());
    items.extend(rated.writes.pages.iter().cloned());
    let detail = |items: Vec<Item>| {
        let stored = assemble(&header.pk, items, now).unwrap().unwrap();
        let view: EngineerCall = call_detail(
            &stored,
            &Viewer { searched_user: "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b", home_tenant: HOME_TENANT },
            &sites,
        );
        view
    };
    assert!(detail(items.clone()).sessions[0].overview.metrics.len() > 20);
    view_group(c, "call detail (sample meeting, engineer)", &items, detail);
}

/// One group per view: serializing the built response (the floor), against the whole path
/// from the stored items through `view` to JSON.
fn view_group<T: Serialize>(c: &mut Criterion, name: &str, items: &[Item], view: impl Fn(Vec<Item>) -> T) {
    let built = view(items.to_vec());
    let mut group = c.benchmark_group(name);
    group.bench_function("floor: serialize the response", |b| {
        b.iter(|| serde_json::to_string(black_box(&built)).unwrap())
    });
    group.bench_function("items -> view -> JSON", |b| {
        b.iter_batched(|| items.to_vec(), |items| serde_json::to_string(&view(items)).unwrap(), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, query);
criterion_main!(benches);
