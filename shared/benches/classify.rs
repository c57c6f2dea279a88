//! Classification cost on one core: a 250-participant meeting (250 sessions, 2 segments each,
//! audio with both devices) deserialized into typed records, then classified. The floor is the
//! deserialization alone; the target is that classification adds less than 30 % to it.
//!
//!     cargo bench -p callscope-core --bench classify

use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::graph::CallRecord;
use callscope_core::support::fixtures;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use time::macros::datetime;

fn classify(c: &mut Criterion) {
    let start = datetime!(2026-11-25 10:00:00 UTC);
    let body = fixtures::call_json("bench", 1, 250, 2, start).to_string();
    let record: CallRecord = serde_json::from_str(&body).unwrap();
    let thresholds = Thresholds::default();
    let mut group = c.benchmark_group("250 sessions");
    group.throughput(Throughput::Elements(record.sessions.len() as u64));
    group.bench_function("floor: deserialize", |b| {
        b.iter(|| serde_json::from_str::<CallRecord>(black_box(&body)).unwrap())
    });
    group.bench_function("deserialize + classify", |b| {
        b.iter(|| {
            let record: CallRecord = serde_json::from_str(black_box(&body)).unwrap();
            classify_sessions(&record.sessions, &thresholds)
        })
    });
    group.bench_function("classify only", |b| b.iter(|| classify_sessions(black_box(&record.sessions), &thresholds)));
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
