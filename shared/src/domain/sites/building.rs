//! The CQD building file (format in `docs/data-model.md`, tenant data): parsing, validation, and the network → building map.

use super::file::{Delimiter, Row, problem, rows};
use crate::domain::problem::Problem;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// One building row: a network and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Building {
    pub network: Ipv4Net,
    pub network_name: String,
    pub building_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ownership_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub building_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub building_office_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub zip_code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub country: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    pub inside_corp: bool,
    pub express_route: bool,
    pub vpn: bool,
}

/// The column names, in file order.
pub const COLUMNS: [&str; 15] = [
    "NetworkIP",
    "NetworkName",
    "NetworkRange",
    "BuildingName",
    "OwnershipType",
    "BuildingType",
    "BuildingOfficeType",
    "City",
    "ZipCode",
    "Country",
    "State",
    "Region",
    "InsideCorp",
    "ExpressRoute",
    "VPN",
];

/// Subnets that home routers use: a row for one of them maps every home worker to a building.
pub const HOME_SUBNETS: [&str; 6] =
    ["10.0.0.0/24", "192.168.0.0/24", "192.168.1.0/24", "192.168.2.0/24", "172.20.10.0/24", "192.168.43.0/24"];

/// A parsed, valid building file, and the warnings it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingFile {
    pub rows: Vec<Building>,
    pub warnings: Vec<Problem>,
}

/// Parses and validates a building file; every problem, with line and column, or the rows.
pub fn parse_buildings(body: &[u8], delimiter: Delimiter) -> Result<BuildingFile, Vec<Problem>> {
    let rows = rows(body, delimiter)?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut parsed: Vec<(usize, Building)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if i == 0 && row.fields.first().is_some_and(|f| f.eq_ignore_ascii_case("NetworkIP")) {
            problems.push(problem(
                row.line,
                1,
                COLUMNS[0],
                "this looks like a header row; CQD building files have none: remove this line",
            ));
            continue;
        }
        match building(row) {
            Ok(b) => {
                if let Some(home) = home_subnet_overlap(&b.network) {
                    warnings.push(problem(
                        row.line,
                        1,
                        COLUMNS[0],
                        format!(
                            "{} overlaps the common home subnet {home}: home workers would map to {}",
                            b.network, b.building_name
                        ),
                    ));
                }
                if b.city.is_empty() || b.country.is_empty() {
                    warnings.push(problem(
                        row.line,
                        8,
                        "City",
                        "City or Country is empty: sessions from this network show no location",
                    ));
                }
                parsed.push((row.line, b));
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    parsed.sort_by_key(|(_, b)| (u32::from(b.network.network()), b.network.prefix_len()));
    let mut widest: Option<&(usize, Building)> = None;
    for current in &parsed {
        if let Some(previous) = widest.filter(|p| p.1.network.broadcast() >= current.1.network.network()) {
            problems.push(problem(
                current.0,
                1,
                COLUMNS[0],
                format!(
                    "{} overlaps {} on line {}: every address must map to one building",
                    current.1.network, previous.1.network, previous.0
                ),
            ));
        }
        if widest.is_none_or(|w| current.1.network.broadcast() > w.1.network.broadcast()) {
            widest = Some(current);
        }
    }
    if problems.is_empty() {
        Ok(BuildingFile { rows: parsed.into_iter().map(|(_, b)| b).collect(), warnings })
    } else {
        problems.sort_by_key(|p| (p.line, p.column));
        Err(problems)
    }
}

/// The common home subnet `network` overlaps, if any.
fn home_subnet_overlap(network: &Ipv4Net) -> Option<Ipv4Net> {
    HOME_SUBNETS
        .iter()
        .map(|h| h.parse::<Ipv4Net>().expect("constants are valid"))
        .find(|home| home.contains(&network.network()) || network.contains(&home.network()))
}

fn building(row: &Row) -> Result<Building, Vec<Problem>> {
    let line = row.line;
    let f = &row.fields;
    if !(14..=15).contains(&f.len()) {
        let column = f.len().min(15) + 1;
        return Err(vec![problem(
            line,
            column,
            "",
            format!("the row has {} columns; a building row has 14 or 15", f.len()),
        )]);
    }
    let mut problems = Vec::new();
    let mut required = |i: usize| {
        if f[i].is_empty() {
            problems.push(problem(line, i + 1, COLUMNS[i], format!("{} is required", COLUMNS[i])));
        }
        f[i].clone()
    };
    let (network_name, building_name) = (required(1), required(3));
    let address = f[0]
        .parse::<Ipv4Addr>()
        .map_err(|_| problem(line, 1, COLUMNS[0], format!("`{}` is not an IPv4 address", f[0])));
    let prefix = f[2].parse::<u8>().ok().filter(|p| (8..=28).contains(p) || *p == 32).ok_or_else(|| {
        problem(
            line,
            3,
            COLUMNS[2],
            format!("`{}` is not a prefix length from 8 to 28, or 32 for a single address", f[2]),
        )
    });
    let flag = |i: usize, default: Option<bool>| match (f.get(i).map(String::as_str), default) {
        (Some("0"), _) => Ok(false),
        (Some("1"), _) => Ok(true),
        (None, Some(default)) => Ok(default),
        (value, _) => Err(problem(line, i + 1, COLUMNS[i], format!("`{}` must be 0 or 1", value.unwrap_or("")))),
    };
    let (inside_corp, express_route, vpn) = (flag(12, None), flag(13, None), flag(14, Some(false)));
    let network = match (address, prefix) {
        (Ok(address), Ok(prefix)) => {
            let network = Ipv4Net::new(address, prefix).expect("prefix checked above");
            if network.network() != address {
                problems.push(problem(
                    line,
                    1,
                    COLUMNS[0],
                    format!("{address}/{prefix} has host bits set; the network address is {}", network.network()),
                ));
            }
            Some(network)
        }
        (address, prefix) => {
            problems.extend(address.err());
            problems.extend(prefix.err());
            None
        }
    };
    for result in [&inside_corp, &express_route, &vpn] {
        if let Err(p) = result {
            problems.push(p.clone());
        }
    }
    match (network, inside_corp, express_route, vpn) {
        (Some(network), Ok(inside_corp), Ok(express_route), Ok(vpn)) if problems.is_empty() => Ok(Building {
            network,
            network_name,
            building_name,
            ownership_type: f[4].clone(),
            building_type: f[5].clone(),
            building_office_type: f[6].clone(),
            city: f[7].clone(),
            zip_code: f[8].clone(),
            country: f[9].clone(),
            state: f[10].clone(),
            region: f[11].clone(),
            inside_corp,
            express_route,
            vpn,
        }),
        _ => Err(problems),
    }
}

/// Maps addresses to buildings: sorted, non-overlapping ranges, binary search over a dense
/// array of network starts (probing the rows themselves misses the cache at every step).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildingMap {
    starts: Vec<u32>,
    rows: Vec<Building>,
}

impl BuildingMap {
    /// A map of `rows` (a validated file's rows: sorted and non-overlapping).
    pub fn new(mut rows: Vec<Building>) -> Self {
        rows.sort_by_key(|b| u32::from(b.network.network()));
        Self { starts: rows.iter().map(|b| u32::from(b.network.network())).collect(), rows }
    }

    /// The building whose network contains `address`.
    pub fn lookup(&self, address: Ipv4Addr) -> Option<&Building> {
        let at = self.starts.partition_point(|start| *start <= u32::from(address));
        let candidate = self.rows.get(at.checked_sub(1)?)?;
        candidate.network.contains(&address).then_some(candidate)
    }

    /// The building of a session endpoint: its reported subnet, else its IP address.
    pub fn locate(&self, subnet: Option<&str>, ip_address: Option<&str>) -> Option<&Building> {
        let parse = |text: Option<&str>| text.and_then(|t| t.trim().parse::<Ipv4Addr>().ok());
        parse(subnet).or_else(|| parse(ip_address)).and_then(|address| self.lookup(address))
    }

    /// The rows, in network order.
    pub fn rows(&self) -> &[Building] {
        &self.rows
    }
}
