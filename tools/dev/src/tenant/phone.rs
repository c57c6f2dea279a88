//! The sample tenant's PSTN and Direct Routing call-log rows over the 30 days, as Graph's
//! `getPstnCalls` and `getDirectRoutingCalls` give them: inbound and outbound, numbers like
//! `+1425555xxxx`, some of users who also have Teams calls; for the featured user a failed
//! Direct Routing call an hour ago (SIP 404, sub-reason 560404, "Not Found") and a connected
//! PSTN call, and failures across the common SIP codes among the others.

use super::people::Person;
use callscope_core::support::clock::rfc3339;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// How every Direct Routing row's id starts (the seed and the row's number after it); the
/// featured user's failed call is row 0.
pub const DIRECT_ROUTING_ID_PREFIX: &str = "9e8bba57-";

/// Failed Direct Routing calls' (final SIP code, Microsoft's sub-reason, phrase): the common ones.
const FAILURES: [(u16, u32, &str); 6] = [
    (404, 560404, "Not Found"),
    (486, 560486, "Busy Here"),
    (480, 560480, "Temporarily Unavailable"),
    (487, 540487, "Request Terminated"),
    (503, 560503, "Service Unavailable"),
    (408, 560408, "Request Timeout"),
];

/// How many rows of each log, besides the featured user's.
const ROWS: usize = 40;

/// The tenant's rows: (PSTN, Direct Routing).
pub(super) fn rows(
    rng: &mut StdRng,
    seed: u64,
    people: &[Person],
    home: usize,
    now: OffsetDateTime,
) -> (Vec<Value>, Vec<Value>) {
    let featured = &people[0];
    let mut pstn = vec![pstn_row(seed, 0, featured, now - Duration::hours(2), 219, true)];
    let mut direct = vec![direct_row(seed, 0, featured, now - Duration::hours(1), None, FAILURES[0])];
    for n in 1..=ROWS {
        let person = &people[rng.random_range(0..home)];
        let start = now - Duration::minutes(rng.random_range(90..30 * 24 * 60 - 60));
        pstn.push(pstn_row(seed, n, person, start, rng.random_range(20..1800), rng.random_bool(0.5)));
        let start = now - Duration::minutes(rng.random_range(90..30 * 24 * 60 - 60));
        // One in three fails, cycling through the common codes.
        let failure = (n % 3 == 0).then(|| FAILURES[(n / 3) % FAILURES.len()]);
        let connected = failure.is_none().then(|| rng.random_range(20..1800));
        direct.push(direct_row(
            seed,
            n,
            &people[rng.random_range(0..home)],
            start,
            connected,
            failure.unwrap_or((0, 540000, "BYE")),
        ));
    }
    (pstn, direct)
}

/// A number of the sample tenant's area, `n` naming it.
fn number(n: u64) -> String {
    format!("+1425555{:04}", n % 10_000)
}

fn pstn_row(seed: u64, n: usize, person: &Person, start: OffsetDateTime, seconds: i64, inbound: bool) -> Value {
    let (own, other) = (number(100 + n as u64), number(2000 + (seed + n as u64 * 37) % 8000));
    let (caller, callee) = if inbound { (other, own) } else { (own, other) };
    json!({
        "id": format!("9c4984c7-{:04x}-4000-8000-{n:012x}", seed & 0xffff),
        "callId": format!("1835317{:03}_{n}@61.221.3.176", seed % 1000),
        "userId": person.id,
        "userPrincipalName": upn(person),
        "userDisplayName": person.name,
        "startDateTime": rfc3339(start),
        "endDateTime": rfc3339(start + Duration::seconds(seconds)),
        "duration": seconds,
        "charge": 0.0,
        "currency": "USD",
        "callType": if inbound { "user_in" } else { "user_out" },
        "callerNumber": caller,
        "calleeNumber": callee,
        "usageCountryCode": "US",
        "tenantCountryCode": "US",
        "connectionCharge": 0.0,
        "destinationName": "United States",
        "licenseCapability": "MCOPSTNU",
        "inventoryType": "Subscriber",
        "operator": "Microsoft",
        "callDurationSource": "microsoft"
    })
}

/// A Direct Routing row: `connected` for how many seconds, else failed with `(code, sub-reason,
/// phrase)` (a connected call's end is `(0, 540000, "BYE")`).
fn direct_row(
    seed: u64,
    n: usize,
    person: &Person,
    start: OffsetDateTime,
    connected: Option<i64>,
    (code, sub_reason, phrase): (u16, u32, &str),
) -> Value {
    let seconds = connected.unwrap_or(0);
    let end = start + Duration::seconds(seconds.max(2));
    let inbound = n % 2 == 1;
    let (own, other) = (number(100 + n as u64), number(6000 + (seed + n as u64 * 53) % 4000));
    let (caller, callee) = if inbound { (other, own) } else { (own, other) };
    json!({
        "id": format!("{DIRECT_ROUTING_ID_PREFIX}{:04x}-533a-a7dd-{n:012x}", seed & 0xffff),
        "correlationId": format!("c98e1515-{:04x}-4b81-b8a8-{n:012x}", seed & 0xffff),
        "userId": person.id,
        "userPrincipalName": upn(person),
        "userDisplayName": person.name,
        "startDateTime": rfc3339(start),
        "inviteDateTime": rfc3339(start - Duration::seconds(3)),
        "failureDateTime": if connected.is_some() { "0001-01-01T00:00:00Z".to_owned() } else { rfc3339(end) },
        "endDateTime": rfc3339(end),
        "duration": seconds,
        "callType": if inbound { "ByotIn" } else { "ByotOut" },
        "successfulCall": connected.is_some(),
        "callerNumber": caller,
        "calleeNumber": callee,
        "mediaPathLocation": "USWE",
        "signalingLocation": "USWE",
        "finalSipCode": code,
        "callEndSubReason": sub_reason,
        "finalSipCodePhrase": phrase,
        "trunkFullyQualifiedDomainName": "sbc1.contoso.com",
        "mediaBypassEnabled": false
    })
}

fn upn(person: &Person) -> Value {
    person.upn.clone().map_or(Value::Null, Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::generate;
    use callscope_core::domain::phone::{Direction, Outcome, parse_phone_rows};
    use std::collections::BTreeSet;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-11-25 12:00 UTC);

    #[test]
    fn the_rows_are_graphs_valid_varied_and_the_featured_user_has_a_failed_and_a_connected_call() {
        let tenant = generate(7, 150, NOW);
        assert_eq!(generate(7, 150, NOW).pstn_rows, tenant.pstn_rows, "same seed, same rows");
        let parse = |rows: &[Value]| parse_phone_rows(json!({ "value": rows }).to_string().as_bytes(), NOW).unwrap();
        let (pstn, direct) = (parse(&tenant.pstn_rows), parse(&tenant.direct_routing_rows));
        assert_eq!((pstn.len(), direct.len()), (ROWS + 1, ROWS + 1));

        let failed = &tenant.direct_routing_rows[0];
        assert_eq!(failed["userId"], tenant.featured_user.as_str());
        assert_eq!((failed["finalSipCode"].as_u64(), failed["callEndSubReason"].as_u64()), (Some(404), Some(560404)));
        assert_eq!(failed["finalSipCodePhrase"], "Not Found");
        assert_eq!(direct[0].start(), NOW - Duration::hours(1));
        assert_eq!(direct[0].outcome(), Outcome::Failed);
        assert_eq!(tenant.pstn_rows[0]["userId"], tenant.featured_user.as_str());
        assert_eq!(pstn[0].outcome(), Outcome::Connected);

        let codes: BTreeSet<u64> =
            tenant.direct_routing_rows.iter().filter_map(|r| r["finalSipCode"].as_u64()).filter(|c| *c != 0).collect();
        assert_eq!(codes, BTreeSet::from([404, 408, 480, 486, 487, 503]), "the common SIP failures");
        let directions: BTreeSet<String> = pstn.iter().chain(&direct).map(|c| format!("{:?}", c.direction())).collect();
        assert!(
            directions.contains(&format!("{:?}", Direction::Inbound))
                && directions.contains(&format!("{:?}", Direction::Outbound))
        );
        let numbers = tenant
            .pstn_rows
            .iter()
            .chain(&tenant.direct_routing_rows)
            .flat_map(|r| [&r["callerNumber"], &r["calleeNumber"]]);
        assert!(numbers.clone().all(|n| n.as_str().is_some_and(|n| n.starts_with("+1425555") && n.len() == 12)));
        // Some rows are of users who also have Teams calls (the featured user, at least).
        let teams_users: BTreeSet<&str> =
            tenant.calls.iter().filter_map(|c| c["organizer_v2"]["id"].as_str()).collect();
        let phone_users: BTreeSet<&str> = tenant.pstn_rows.iter().filter_map(|r| r["userId"].as_str()).collect();
        assert!(phone_users.intersection(&teams_users).count() > 1);
        let ids: BTreeSet<&str> =
            tenant.pstn_rows.iter().chain(&tenant.direct_routing_rows).filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(ids.len(), 2 * (ROWS + 1), "one id per row");
    }
}
