//! The CQD building and endpoint files: every rule with its exact line and column, and matching
//! at network edges.

use callscope_core::domain::sites::{BuildingMap, Delimiter, EndpointMap, parse_buildings, parse_endpoints};
use callscope_core::support::fixtures::{SAMPLE_BUILDING_ROW, building_file};
use std::net::Ipv4Addr;

const GOOD: &str = "10.1.0.0,HQ/Floor1,24,HQ-1,Contoso,Office,Eng,Seattle,98001,US,WA,MSUS,1,0";

fn errors(file: &str) -> Vec<(usize, usize, String)> {
    let problems = parse_buildings(file.as_bytes(), Delimiter::Comma).expect_err("the file is invalid");
    problems.into_iter().map(|p| (p.line.unwrap(), p.column.unwrap(), p.message)).collect()
}

fn where_(file: &str) -> Vec<(usize, usize)> {
    errors(file).into_iter().map(|(l, c, _)| (l, c)).collect()
}

#[test]
fn the_reference_sample_row_parses_with_every_field() {
    let file = parse_buildings(SAMPLE_BUILDING_ROW.as_bytes(), Delimiter::Comma).unwrap();
    let b = &file.rows[0];
    assert_eq!(b.network.to_string(), "192.168.1.0/26");
    assert_eq!((b.network_name.as_str(), b.building_name.as_str()), ("USA/Seattle/SEATTLE-SEA-1", "SEATTLE-SEA-1"));
    assert_eq!((b.city.as_str(), b.country.as_str(), b.region.as_str()), ("Seattle", "US", "MSUS"));
    assert_eq!((b.inside_corp, b.express_route, b.vpn), (true, false, false));
    assert_eq!(file.warnings.len(), 1, "192.168.1.0/26 lies in a common home subnet");
    assert!(file.warnings[0].message.contains("192.168.1.0/24"));
}

#[test]
fn fourteen_or_fifteen_columns() {
    assert!(parse_buildings(GOOD.as_bytes(), Delimiter::Comma).is_ok(), "14: VPN defaults to 0");
    assert!(parse_buildings(format!("{GOOD},1").as_bytes(), Delimiter::Comma).unwrap().rows[0].vpn);
    assert_eq!(where_("10.1.0.0,HQ,24,HQ-1,,,,,,,,,1"), [(1, 14)], "13 columns: the 14th is missing");
    assert_eq!(where_(&format!("{GOOD},0,extra")), [(1, 16)]);
}

#[test]
fn every_field_rule_names_line_and_column() {
    let file = [
        GOOD,
        "10.2.0.0,Net,24,Bld,,,,Seattle,,US,,,2,0", // line 2: InsideCorp not 0/1
        "10.3.0.x,Net,24,Bld,,,,Seattle,,US,,,1,0", // line 3: not an IPv4 address
        "10.4.0.0,Net,7,Bld,,,,Seattle,,US,,,1,0",  // line 4: prefix below 8
        "10.5.0.0,Net,29,Bld,,,,Seattle,,US,,,1,0", // line 5: 29 is not allowed
        "10.6.0.1,Net,24,Bld,,,,Seattle,,US,,,1,0", // line 6: host bits set
        "10.7.0.0,,24,,,,,Seattle,,US,,,1,0",       // line 7: name and building missing
        "10.8.0.0,Net,24,Bld,,,,Seattle,,US,,,1,yes", // line 8: ExpressRoute not 0/1
        "10.9.0.0,Net,24,Bld,,,,Seattle,,US,,,1,0,true", // line 9: VPN not 0/1
    ]
    .join("\n");
    assert_eq!(where_(&file), [(2, 13), (3, 1), (4, 3), (5, 3), (6, 1), (7, 2), (7, 4), (8, 14), (9, 15)]);
    let messages = errors(&file);
    assert!(messages[4].2.contains("network address is 10.6.0.0"), "{}", messages[4].2);
}

#[test]
fn prefix_edges_and_single_addresses() {
    for (prefix, ok) in
        [("8", true), ("28", true), ("32", true), ("29", false), ("31", false), ("7", false), ("", false)]
    {
        let row = format!("10.0.0.0,Net,{prefix},Bld,,,,Seattle,,US,,,1,0");
        assert_eq!(parse_buildings(row.as_bytes(), Delimiter::Comma).is_ok(), ok, "prefix {prefix:?}");
    }
}

#[test]
fn a_header_row_is_refused_helpfully() {
    let file = format!(
        "NetworkIP,NetworkName,NetworkRange,BuildingName,OwnershipType,BuildingType,BuildingOfficeType,City,ZipCode,Country,State,Region,InsideCorp,ExpressRoute,VPN\n{GOOD}"
    );
    let found = errors(&file);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].0, found[0].1), (1, 1));
    assert!(found[0].2.contains("header row"), "{}", found[0].2);
}

#[test]
fn overlapping_networks_name_both_lines() {
    let file =
        [GOOD, "10.2.0.0,Net,24,Bld,,,,Seattle,,US,,,1,0", "10.1.0.128,Inner,26,Bld2,,,,Seattle,,US,,,1,0"].join("\n");
    let found = errors(&file);
    assert_eq!((found[0].0, found[0].1), (3, 1));
    assert!(found[0].2.contains("10.1.0.0/24") && found[0].2.contains("line 1"), "{}", found[0].2);
    let adjacent = [GOOD, "10.1.1.0,Next,24,Bld,,,,Seattle,,US,,,1,0"].join("\n");
    assert!(parse_buildings(adjacent.as_bytes(), Delimiter::Comma).is_ok(), "adjacent networks do not overlap");
}

#[test]
fn csv_and_tsv_give_the_same_map_and_are_sniffed() {
    let csv = building_file(500, ',');
    let tsv = building_file(500, '\t');
    assert_eq!(Delimiter::detect(None, tsv.as_bytes()), Delimiter::Tab);
    assert_eq!(Delimiter::detect(None, csv.as_bytes()), Delimiter::Comma);
    assert_eq!(Delimiter::detect(Some("text/tab-separated-values; charset=utf-8"), csv.as_bytes()), Delimiter::Tab);
    let from_csv = parse_buildings(csv.as_bytes(), Delimiter::Comma).unwrap();
    let from_tsv = parse_buildings(tsv.as_bytes(), Delimiter::Tab).unwrap();
    assert_eq!(from_csv.rows, from_tsv.rows);
    assert_eq!(from_csv.rows.len(), 500);
}

#[test]
fn fifty_thousand_rows_load_under_the_five_mib_cap() {
    let file = building_file(50_000, ',');
    assert!(file.len() < 5 * 1024 * 1024, "{} bytes", file.len());
    let parsed = parse_buildings(file.as_bytes(), Delimiter::Comma).unwrap();
    assert_eq!(parsed.rows.len(), 50_000);
    let map = BuildingMap::new(parsed.rows);
    assert_eq!(map.lookup(Ipv4Addr::new(10, 48, 200, 70)).unwrap().building_name, "BLD-048-200");
}

#[test]
fn matching_at_network_edges() {
    let file =
        [GOOD, "10.1.1.7,Kiosk,32,Lobby,,,,Seattle,,US,,,1,0", "10.1.2.0,Lab,28,Lab,,,,Seattle,,US,,,1,0"].join("\n");
    let map = BuildingMap::new(parse_buildings(file.as_bytes(), Delimiter::Comma).unwrap().rows);
    let at = |ip: &str| map.lookup(ip.parse().unwrap()).map(|b| b.building_name.as_str());
    assert_eq!(at("10.1.0.0"), Some("HQ-1"), "first address");
    assert_eq!(at("10.1.0.255"), Some("HQ-1"), "last address");
    assert_eq!(at("10.0.255.255"), None, "just below");
    assert_eq!(at("10.1.1.6"), None, "just below a /32");
    assert_eq!(at("10.1.1.7"), Some("Lobby"), "a /32 row");
    assert_eq!(at("10.1.1.8"), None, "just above a /32");
    assert_eq!(at("10.1.2.15"), Some("Lab"));
    assert_eq!(at("10.1.2.16"), None, "just past a /28");
    assert_eq!(
        map.locate(Some("10.1.2.0"), Some("192.0.2.1")).map(|b| b.building_name.as_str()),
        Some("Lab"),
        "the subnet first"
    );
    assert_eq!(map.locate(None, Some("10.1.0.9")).map(|b| b.building_name.as_str()), Some("HQ-1"), "else the IP");
    assert_eq!(map.locate(Some("not an ip"), None), None);
}

#[test]
fn endpoint_files_map_machines_and_refuse_duplicates() {
    let good = "ADA-LAPTOP-01,Lenovo,ThinkPad X1,Laptop,Floor 3,Finance,\nROOM-101,Logitech,Rally Bar,MTR,Room 101,,";
    let rows = parse_endpoints(good.as_bytes(), Delimiter::Comma).unwrap();
    let map = EndpointMap::new(rows);
    let ada = map.lookup("ada-laptop-01").unwrap();
    assert_eq!(
        (ada.make.as_str(), ada.model.as_str(), ada.labels.clone()),
        ("Lenovo", "ThinkPad X1", vec!["Floor 3".to_owned(), "Finance".to_owned()])
    );

    let duplicate = format!("{good}\nAda-Laptop-01,Dell,XPS,Laptop,,,");
    let problems = parse_endpoints(duplicate.as_bytes(), Delimiter::Comma).unwrap_err();
    assert_eq!((problems[0].line, problems[0].column), (Some(3), Some(1)));
    assert!(problems[0].message.contains("line 1"), "names both lines: {}", problems[0].message);

    let long = format!("PC,{},M,T,,,", "x".repeat(65));
    assert_eq!(parse_endpoints(long.as_bytes(), Delimiter::Comma).unwrap_err()[0].column, Some(2));
    assert_eq!(parse_endpoints(b"PC,Make,Model", Delimiter::Comma).unwrap_err()[0].column, Some(4));
    assert!(
        parse_endpoints(format!("PC,{},M,T,,,", "x".repeat(64)).as_bytes(), Delimiter::Comma).is_ok(),
        "64 is allowed"
    );
}

#[test]
fn invalid_utf8_is_a_located_problem_not_a_panic() {
    let mut body = format!("{GOOD}\n").into_bytes();
    body.extend_from_slice(b"10.2.0.0,Net\xff,24,Bld,,,,Seattle,,US,,,1,0\n");
    let problems = parse_buildings(&body, Delimiter::Comma).unwrap_err();
    assert_eq!(problems[0].line, Some(2));
}
