//! Ingest's CPU work per request, without I/O: parse + validate + build every item, for the
//! 2-session sample meeting and a 250-participant meeting. The floor beside each is parsing the
//! same bytes into a `serde_json::Value`, the least any JSON handler must do.
//!
//!     cargo bench -p callscope-core --bench ingest

use callscope_core::app::ingest::prepare_calls;
use callscope_core::domain::graph::parse_calls;
use callscope_core::support::fixtures::{self, HOME_TENANT};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use time::macros::datetime;

fn ingest(c: &mut Criterion) {
    let now = datetime!(2026-11-25 12:00:00 UTC);
    let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/graph/meeting.json")).unwrap();
    let large = fixtures::call_json("large", 1, 250, 1, now - time::Duration::hours(2)).to_string().into_bytes();
    for (name, body) in [("2-session record", &sample), ("250-participant meeting", &large)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("floor: serde_json::Value", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)).unwrap())
        });
        group.bench_function("parse + validate", |b| b.iter(|| parse_calls(black_box(body), now).unwrap()));
        group.bench_function("parse + validate + build items", |b| {
            b.iter(|| prepare_calls(black_box(body), now, HOME_TENANT).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, ingest);
criterion_main!(benches);
