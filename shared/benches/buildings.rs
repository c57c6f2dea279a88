//! Building matching at CQD scale: a 50,000-row map, looked up by address, and the time to load
//! it (parse and validate the file, build the map). The baseline beside the lookup is a linear
//! scan of the same rows, the approach the issue rules out.
//!
//!     cargo bench -p callscope-core --bench buildings

use callscope_core::domain::sites::{BuildingMap, Delimiter, parse_buildings};
use callscope_core::support::fixtures::building_file;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::Ipv4Addr;

fn buildings(c: &mut Criterion) {
    let file = building_file(50_000, ',');
    let rows = parse_buildings(file.as_bytes(), Delimiter::Comma).unwrap().rows;
    let map = BuildingMap::new(rows.clone());
    // 1,000 addresses spread over the mapped range, a tenth of them unmapped.
    let addresses: Vec<Ipv4Addr> =
        (0..1000u32).map(|i| Ipv4Addr::from(0x0A00_0000 + i * 3_217 + (i % 10 == 0) as u32 * 0x0100_0000)).collect();

    let mut group = c.benchmark_group("50,000-row map");
    group.throughput(Throughput::Elements(addresses.len() as u64));
    group.bench_function("lookup (binary search)", |b| {
        b.iter(|| addresses.iter().filter(|a| map.lookup(**a).is_some()).count())
    });
    group.bench_function("baseline: linear scan", |b| {
        b.iter(|| addresses.iter().filter(|a| rows.iter().any(|r| r.network.contains(*a))).count())
    });
    group.finish();

    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(file.len() as u64));
    group.bench_function("parse + validate + build map (50,000 rows)", |b| {
        b.iter(|| BuildingMap::new(parse_buildings(black_box(file.as_bytes()), Delimiter::Comma).unwrap().rows))
    });
    group.finish();
}

criterion_group!(benches, buildings);
criterion_main!(benches);
