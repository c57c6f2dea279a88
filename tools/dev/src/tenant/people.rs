//! The sample tenant's people and places: sixteen home users spread over three sites (some on
//! Wi-Fi) and a lab annex whose building row names no city, three users of a partner tenant, and
//! a guest, each with the network and machine they use; the building file that maps the sites'
//! subnets; and a crowd of 5,000 more home users, 300 of them Johns, for search at scale.
//!
//! Who they are only: what calls they make is `mod.rs`'s, how their sessions go `sessions`'.

use callscope_core::support::fixtures::HOME_TENANT;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// The other tenant some participants come from.
const PARTNER_TENANT: &str = "0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d";

pub(super) const NAMES: [&str; 16] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
    "Radia Perlman",
    "Ken Thompson",
    "Frances Allen",
    "John Backus",
    "Hedy Lamarr",
    "Dennis Ritchie",
    "Annie Easley",
    "Claude Shannon",
];

/// (building, city, subnet prefix) of the home tenant's sites.
pub(super) const SITES: [(&str, &str, &str); 3] = [
    ("SEATTLE-SEA-1", "Seattle", "10.10"),
    ("BERLIN-BER-2", "Berlin", "10.20"),
    ("NEWYORK-NYC-3", "New York", "10.30"),
];

/// The lab annex: a building row with no city (the building file leaves it empty), where the
/// last home user sits.
const ANNEX: (&str, &str) = ("LAB-ANNEX", "10.50.1");

/// One person who takes part in calls.
#[derive(Clone)]
pub(super) struct Person {
    pub id: String,
    pub name: String,
    pub upn: Option<String>,
    tenant: &'static str,
    kind: &'static str,
    /// (subnet, ip) where they usually sit, and whether on Wi-Fi.
    pub subnet: String,
    pub ip: String,
    pub wifi: bool,
    pub machine: String,
}

/// The id of home user `n`.
pub(super) fn user_id(n: usize) -> String {
    format!("5a3e0000-0000-4000-8000-{n:012}")
}

/// Everyone, home users first (home user `n` is `people[n]`).
pub(super) fn people(rng: &mut StdRng) -> Vec<Person> {
    let mut people: Vec<Person> = NAMES
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let (_, _, prefix) = if n == NAMES.len() - 1 { ("", "", ANNEX.1) } else { SITES[n % SITES.len()] };
            let floor = if n == NAMES.len() - 1 { 1 } else { 1 + n % 2 };
            let wifi = n % 3 == 0;
            Person {
                id: user_id(n),
                name: (*name).to_owned(),
                upn: Some(format!("{}@contoso.com", name.to_lowercase().replace(' ', "."))),
                tenant: HOME_TENANT,
                kind: "user",
                subnet: format!("{prefix}.{floor}.0"),
                ip: format!("{prefix}.{floor}.{}", 10 + n),
                wifi,
                machine: format!("CONTOSO-PC-{n:03}"),
            }
        })
        .collect();
    for (n, name) in ["Pat Partner", "Sam Supplier", "Lee Lawyer"].iter().enumerate() {
        people.push(Person {
            id: format!("9f8e0000-0000-4000-8000-{n:012}"),
            name: (*name).to_owned(),
            upn: Some(format!("{}@fabrikam.com", name.split(' ').next().unwrap_or("x").to_lowercase())),
            tenant: PARTNER_TENANT,
            kind: "user",
            subnet: format!("192.168.{}.0", rng.random_range(0..3)),
            ip: format!("192.168.{}.{}", n, 20 + n),
            wifi: true,
            machine: format!("FAB-{n}"),
        });
    }
    people.push(Person {
        id: "c0ffee00-0000-4000-8000-000000000001".into(),
        name: "Gina Guest (Guest)".into(),
        upn: None,
        tenant: HOME_TENANT,
        kind: "guest",
        subnet: "172.16.5.0".into(),
        ip: "172.16.5.9".into(),
        wifi: true,
        machine: "GUEST-LAPTOP".into(),
    });
    people
}

/// `p` as a Graph identity set.
pub(super) fn identity(p: &Person) -> Value {
    json!({ p.kind: { "id": p.id, "displayName": p.name, "tenantId": p.tenant, "userPrincipalName": p.upn } })
}

/// How many people the crowd has, and how many of them are called John (one John Smith).
pub(super) const CROWD: usize = 5000;
pub(super) const JOHNS: usize = 300;

const FIRST_NAMES: [&str; 12] =
    ["Maria", "Wei", "Fatima", "Olga", "Carlos", "Aiko", "Noah", "Priya", "Liam", "Zanele", "Tomasz", "Ingrid"];
const LAST_NAMES: [&str; 12] =
    ["Garcia", "Chen", "Okafor", "Novak", "Silva", "Tanaka", "Brown", "Patel", "Murphy", "Dlamini", "Smith", "Larsen"];

/// The crowd: [`CROWD`] home users with their own ids, the first [`JOHNS`] called John — only
/// one of them John Smith, while many others are Smiths — so "john smith" must match every word.
pub(super) fn crowd() -> Vec<Person> {
    (0..CROWD)
        .map(|n| {
            let first = if n < JOHNS { "John" } else { FIRST_NAMES[n % FIRST_NAMES.len()] };
            // Johns take every last name but Smith, but for one.
            let last = match (n < JOHNS, n) {
                (true, 150) => "Smith",
                (true, _) => LAST_NAMES[n % (LAST_NAMES.len() - 2)],
                _ => LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()],
            };
            Person {
                id: format!("5a3e0001-0000-4000-8000-{n:012}"),
                name: format!("{first} {last}"),
                upn: Some(format!("{}.{}.{n}@contoso.com", first.to_lowercase(), last.to_lowercase())),
                tenant: HOME_TENANT,
                kind: "user",
                subnet: "10.30.2.0".into(),
                ip: format!("10.30.2.{}", 10 + n % 200),
                wifi: n % 2 == 0,
                machine: format!("CONTOSO-LT-{n:04}"),
            }
        })
        .collect()
}

/// The building file that maps the sites' subnets, two floors each, and the annex (no city).
pub(super) fn building_file() -> String {
    let mut building_file = String::new();
    for (building, city, prefix) in SITES {
        for floor in 1..=2 {
            building_file.push_str(&format!(
                "{prefix}.{floor}.0,Contoso/{building}/Floor{floor},24,{building},Contoso,Office,Engineering,{city},00000,{},,{},1,0,0\n",
                if city == "Berlin" { "DE" } else { "US" },
                if city == "Berlin" { "EMEA" } else { "AMER" },
            ));
        }
    }
    let (annex, prefix) = ANNEX;
    building_file
        .push_str(&format!("{prefix}.0,Contoso/{annex},24,{annex},Contoso,Lab,Engineering,,,US,,AMER,1,0,0\n"));
    building_file
}
