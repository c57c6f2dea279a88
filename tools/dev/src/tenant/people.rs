//! The sample tenant's people and places: sixteen home users spread over three sites (some on
//! Wi-Fi), three users of a partner tenant, and a guest, each with the network and machine they
//! use; and the building file that maps the sites' subnets.
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

/// One person who takes part in calls.
#[derive(Clone)]
pub(super) struct Person {
    pub id: String,
    name: String,
    upn: Option<String>,
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
            let (_, _, prefix) = SITES[n % SITES.len()];
            let floor = 1 + n % 2;
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

/// The building file that maps the sites' subnets, two floors each.
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
    building_file
}
