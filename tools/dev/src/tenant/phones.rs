//! The sample tenant's phone calls, as Graph's two phone-call logs give them
//! (`getPstnCalls`, `getDirectRoutingCalls`): the featured user's failed Direct Routing call
//! (SIP 404 from the SBC) an hour ago and her Calling Plan call this morning, a failure of
//! every common SIP code among the other home users, and connected calls both ways.

use super::people::{NAMES, Person};
use callscope_core::support::clock::rfc3339;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// The common final SIP codes and their phrases: one failed call of each.
const FAILURES: [(i64, &str); 10] = [
    (403, "Forbidden"),
    (404, "Not Found"),
    (408, "Request Timeout"),
    (480, "Temporarily Unavailable"),
    (486, "Busy Here"),
    (487, "Request Terminated"),
    (488, "Not Acceptable Here"),
    (500, "Server Internal Error"),
    (503, "Service Unavailable"),
    (603, "Decline"),
];

/// Graph's answer to each of the two functions, one page each: `(pstn, direct_routing)`.
pub struct PhoneLogs {
    pub pstn: Value,
    pub direct_routing: Value,
}

/// The id of phone row `n` of `log` (`0` PSTN, `1` Direct Routing): a GUID.
fn row_id(seed: u64, log: u8, n: usize) -> String {
    format!("9a0e{log:02x}00-{:04x}-4000-8000-{n:012x}", seed & 0xffff)
}

/// An outside number, `+1425555` and four digits.
fn number(rng: &mut StdRng) -> String {
    format!("+1425555{:04}", rng.random_range(0..10_000))
}

/// A user's own (direct) number.
fn own_number(n: usize) -> String {
    format!("+1206555{:04}", 1000 + n)
}

fn who(person: &Person) -> Value {
    json!({ "userId": person.id, "userDisplayName": person.name, "userPrincipalName": person.upn })
}

/// A Direct Routing row of `person` starting at `start`, `outbound` or not; connected for
/// `seconds`, or failed with `failure` (the SBC's code: Microsoft's `560xxx`).
fn direct_routing(
    id: String,
    person: (&Person, usize),
    other: String,
    start: OffsetDateTime,
    outbound: bool,
    outcome: Result<i64, (i64, &str)>,
) -> Value {
    let (caller, callee) = if outbound { (own_number(person.1), other) } else { (other, own_number(person.1)) };
    let (success, code, sub, phrase, end, failure, seconds) = match outcome {
        Ok(seconds) => (
            true,
            0,
            540000,
            "BYE",
            rfc3339(start + Duration::seconds(seconds)),
            "0001-01-01T00:00:00Z".to_owned(),
            seconds,
        ),
        Err((code, phrase)) => (
            false,
            code,
            560_000 + code,
            phrase,
            "0001-01-01T00:00:00Z".to_owned(),
            rfc3339(start + Duration::seconds(4)),
            0,
        ),
    };
    let mut row = json!({
        "id": id, "correlationId": format!("c0{}", &who(person.0)["userId"].as_str().unwrap_or("")[2..]),
        "startDateTime": rfc3339(start), "inviteDateTime": rfc3339(start - Duration::seconds(2)),
        "failureDateTime": failure, "endDateTime": end, "duration": seconds,
        "callType": if outbound { "ByotOut" } else { "ByotIn" }, "successfulCall": success,
        "callerNumber": caller, "calleeNumber": callee, "mediaPathLocation": "USWE", "signalingLocation": "USWE",
        "finalSipCode": code, "callEndSubReason": sub, "finalSipCodePhrase": phrase,
        "trunkFullyQualifiedDomainName": "sbc1.contoso.com", "mediaBypassEnabled": false
    });
    row.as_object_mut().unwrap().extend(who(person.0).as_object().unwrap().clone());
    row
}

/// A PSTN (Calling Plan) row of `person`, connected for `seconds`.
fn pstn(
    id: String,
    person: (&Person, usize),
    other: String,
    start: OffsetDateTime,
    outbound: bool,
    seconds: i64,
) -> Value {
    let (caller, callee) = if outbound { (own_number(person.1), other) } else { (other, own_number(person.1)) };
    let mut row = json!({
        "id": id, "callId": format!("{}_{}@10.0.0.1", 1_835_317_186 + seconds, 112_562_680 + seconds),
        "startDateTime": rfc3339(start), "endDateTime": rfc3339(start + Duration::seconds(seconds)),
        "duration": seconds, "charge": if outbound { 0.02 * (seconds as f64 / 60.0).ceil() } else { 0.0 },
        "callType": if outbound { "user_out" } else { "user_in" }, "currency": "USD",
        "calleeNumber": callee, "callerNumber": caller, "usageCountryCode": "US", "tenantCountryCode": "US",
        "connectionCharge": 0.0, "destinationContext": null,
        "destinationName": "United States", "conferenceId": null, "licenseCapability": "MCOPSTNU",
        "inventoryType": "Subscriber", "operator": "Microsoft", "callDurationSource": "microsoft"
    });
    row.as_object_mut().unwrap().extend(who(person.0).as_object().unwrap().clone());
    row
}

/// Graph's page of `rows` of the log whose rows are `kind`.
fn page(kind: &str, rows: Vec<Value>) -> Value {
    json!({
        "@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.callRecords.{kind})"),
        "@odata.count": rows.len(),
        "value": rows,
    })
}

/// The phone calls of the home users among `people` over the 30 days before `now`.
pub(super) fn phone_logs(seed: u64, people: &[Person], now: OffsetDateTime) -> PhoneLogs {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0505);
    let home = NAMES.len();
    let ada = (&people[0], 0);
    let mut routed = vec![direct_routing(
        row_id(seed, 1, 0),
        ada,
        "+14255550404".to_owned(),
        now - Duration::minutes(50),
        true,
        Err((404, "Not Found")),
    )];
    let mut plan = vec![pstn(row_id(seed, 0, 0), ada, number(&mut rng), now - Duration::hours(5), false, 219)];
    for (n, failure) in FAILURES.iter().enumerate() {
        let user = rng.random_range(1..home);
        let start = now - Duration::minutes(rng.random_range(90..30 * 24 * 60 - 60));
        let outbound = rng.random_bool(0.6);
        routed.push(direct_routing(
            row_id(seed, 1, n + 1),
            (&people[user], user),
            number(&mut rng),
            start,
            outbound,
            Err(*failure),
        ));
    }
    for n in 0..20 {
        let user = if n < 2 { 0 } else { rng.random_range(1..home) };
        let start = now - Duration::minutes(rng.random_range(90..30 * 24 * 60 - 60));
        let (outbound, seconds) = (rng.random_bool(0.5), rng.random_range(20..1800));
        let other = number(&mut rng);
        if n % 2 == 0 {
            routed.push(direct_routing(
                row_id(seed, 1, 100 + n),
                (&people[user], user),
                other,
                start,
                outbound,
                Ok(seconds),
            ));
        } else {
            plan.push(pstn(row_id(seed, 0, 100 + n), (&people[user], user), other, start, outbound, seconds));
        }
    }
    PhoneLogs { pstn: page("pstnCallLogRow", plan), direct_routing: page("directRoutingLogRow", routed) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callscope_core::domain::phone::{Outcome, parse_phone_rows};
    use time::macros::datetime;

    #[test]
    fn both_logs_are_pages_callscope_accepts_with_the_featured_users_failed_call_and_every_common_code() {
        let now = datetime!(2026-11-25 12:00 UTC);
        let mut rng = StdRng::seed_from_u64(7);
        let logs = phone_logs(7, &super::super::people::people(&mut rng), now);
        let pstn = parse_phone_rows(logs.pstn.to_string().as_bytes(), now).unwrap();
        let routed = parse_phone_rows(logs.direct_routing.to_string().as_bytes(), now).unwrap();
        assert!(pstn.iter().all(|c| c.outcome() == Outcome::Connected));
        let ada = super::super::people::user_id(0);
        let first = &routed[0];
        assert_eq!((first.outcome(), first.user("home").unwrap().id), (Outcome::Failed, ada.clone()));
        assert!(pstn.iter().any(|c| c.user("home").unwrap().id == ada), "and a PSTN call of hers");
        let failed = routed.iter().filter(|c| c.outcome() == Outcome::Failed).count();
        assert_eq!(failed, 1 + FAILURES.len());
    }
}
