//! Any bytes as a building or endpoint file, CSV or TSV: never a panic; every problem carries
//! its line and column; an accepted building file builds a map that answers lookups.
#![no_main]

use callscope_core::domain::sites::{BuildingMap, Delimiter, parse_buildings, parse_endpoints};
use libfuzzer_sys::fuzz_target;
use std::net::Ipv4Addr;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, body)) = input.split_first() else { return };
    let delimiter = if selector & 1 == 0 { Delimiter::Comma } else { Delimiter::Tab };
    let problems = if selector & 2 == 0 {
        match parse_buildings(body, delimiter) {
            Ok(file) => {
                let map = BuildingMap::new(file.rows);
                for probe in [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(192, 168, 1, 255), Ipv4Addr::UNSPECIFIED] {
                    if let Some(building) = map.lookup(probe) {
                        assert!(
                            building.network.contains(&probe),
                            "lookup returned a building that does not hold the address"
                        );
                    }
                }
                return;
            }
            Err(problems) => problems,
        }
    } else {
        match parse_endpoints(body, delimiter) {
            Ok(_) => return,
            Err(problems) => problems,
        }
    };
    assert!(!problems.is_empty());
    for problem in problems {
        assert!(problem.line.is_some_and(|l| l >= 1), "a file problem without its line: {problem:?}");
    }
});
