//! Every key format of the single table, written once.
//!
//! | item              | PK                 | SK                     | GSI1PK        | GSI1SK              |
//! |-------------------|--------------------|------------------------|---------------|---------------------|
//! | call header       | `CALL#<callId>`    | `#HEADER`              |               |                     |
//! | session page      | `CALL#<callId>`    | `SESSIONS#<version>#<page:04>` |               |                     |
//! | result page       | `CALL#<callId>`    | `RESULTS#<page:04>`    |               |                     |
//! | history entry     | `USER#<userId>`    | `CALL#<callId>`        | `HIST#<userId>` | `<start>#<callId>` |
//! | name token        | `NAME#<c>`         | `<token>#<userId>`     |               |                     |
//! | user listing      | `USERS`            | `<name>#<userId>`      |               |                     |
//! | audit entry       | `AUDIT#<day>#<shard>` | `<time>#<requestId>` |              |                     |
//! | refused attempts  | `AUDIT#<day>#refused` | `<minute>#<caller>` |               |                     |
//! | audit day         | `AUDITDAYS`        | `<day>`                |               |                     |
//! | active data set   | `DATASETS`         | `buildings`/`endpoints`|               |                     |
//! | data set chunk    | `DATASET#<kind>#<version>` | `CHUNK#<nnnn>` |               |                     |
//! | subnet usage      | `SUBNETS#<day>`    | `<subnet>`             |               |                     |
//! | erasure marker    | `ERASED#<userId>`  | `#MARKER`              |               |                     |
//! | erasure sweep due | `ERASURESWEEPS`    | `<sweepAt>#<userId>`   |               |                     |
//! | party index entry | `PARTY#<partyId>`  | `CALL#<callId>`        |               |                     |
//! | queued Graph fetch| `GRAPHFETCH#<callId>` | `#FETCH`            |               |                     |
//! | queued Graph job  | `GRAPHJOB#<kind>`  | `#JOB`                 |               |                     |
//! | Graph dead letter | `GRAPHDEAD#<callId>` | `#DEAD`              | `GRAPHDEAD`   | `<at>#<callId>`     |
//! | Graph fetch progress | `GRAPHPAGES#<callId>` | `#PROGRESS`      |               |                     |
//! | Graph fetched pages | `GRAPHPAGES#<callId>` | `CHUNK#<run>#<nnnn>` |            |                     |
//! | subscription state| `GRAPHSUBSCRIPTION`| `#STATE`               |               |                     |
//! | Graph fleet budget| `GRAPHBUDGET#<window start, unix ms>` | `#COUNT` |        |                     |
//! | escalation        | `ESC#<id>`         | `#ESCALATION`          | `ESCQ#<state>` | `<openedAt>#<id>`  |
//! | opened by a person| `ESCBY#<personId>` | `OPENED#<openedAt>#<id>` |             |                     |
//! | touched by a person| `ESCBY#<personId>`| `TOUCHED#<id>`         |               |                     |
//! | about a user      | `ESCFOR#<userId>`  | `<id>`                 |               |                     |
//! | idempotency key   | `IDEMPOTENCY#<hash of caller and key>` | `#KEY` |             |                     |
//!
//! Ids are validated (no control characters, bounded length) before they reach a key. Every
//! partition key starts with a distinct literal prefix, so no id can reach another kind of item;
//! tokens and listing names have `#` removed, so the first `#` of a directory sort key always
//! ends the token.

use super::datasets::DatasetKind;
use crate::domain::search::normalize;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// Partition and sort key attribute names.
pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// The one global secondary index (history by time).
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// The TTL attribute every item carries (epoch seconds).
pub const EXPIRES_AT: &str = "expiresAt";

/// Sort key of a call's header item.
pub const CALL_HEADER_SK: &str = "#HEADER";
/// The sort key of a phone-call row, in the partition of its id (`CALL#<id>`) in place of a
/// call's header and pages: `GET /calls/{id}` reads either with the same Query.
pub const PHONE_SK: &str = "#PHONE";
/// Sort key prefix of a call's session pages.
pub const SESSION_PAGE_PREFIX: &str = "SESSIONS#";
/// Sort key prefix of a call's party pages.
pub const PARTY_PAGE_PREFIX: &str = "PARTIES#";
/// How every partition key of the audit trail begins (entries, refusals and the day index), and
/// no other: the stream filter that watches the trail matches it.
pub const AUDIT_PREFIX: &str = "AUDIT";
/// Partition of the index of days that have audit entries.
pub const AUDIT_DAYS_PK: &str = "AUDITDAYS";
/// The shard name of a day's refused attempts, in place of a number.
const REFUSED_SHARD: &str = "refused";
/// How many partitions one day's audit entries are spread over: no one partition takes every
/// entry, so a flood cannot throttle the audit writes that reads depend on.
pub const AUDIT_SHARDS: u32 = 8;

/// Partition of `day`'s audit entries in `shard`.
pub fn audit_pk(day: time::Date, shard: u32) -> String {
    format!("AUDIT#{day}#{shard}")
}

/// Partition of `day`'s refused attempts, one entry per caller per minute: apart from the
/// entries of served requests, so a flood of refusals throttles only itself.
pub fn refused_pk(day: time::Date) -> String {
    format!("AUDIT#{day}#{REFUSED_SHARD}")
}

/// The part of the audit trail a partition key names, read back from the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditPartition<'a> {
    /// `AUDIT#<day>#<shard>`: entries of served requests.
    Entries { day: &'a str, shard: &'a str },
    /// `AUDIT#<day>#refused`: refused attempts, counted per caller and minute.
    Refusals { day: &'a str },
    /// `AUDITDAYS`: the index of days with entries.
    Days,
}

/// Which part of the audit trail `pk` is, if it is one.
pub fn audit_partition(pk: &str) -> Option<AuditPartition<'_>> {
    if pk == AUDIT_DAYS_PK {
        return Some(AuditPartition::Days);
    }
    let (day, shard) = pk.strip_prefix("AUDIT#")?.rsplit_once('#')?;
    Some(if shard == REFUSED_SHARD { AuditPartition::Refusals { day } } else { AuditPartition::Entries { day, shard } })
}

/// Partition of the pointers to the active tenant data sets (one item per kind).
pub const DATASETS_PK: &str = "DATASETS";

/// Partition of one uploaded version of a tenant data set.
pub fn dataset_pk(kind: DatasetKind, version: i64) -> String {
    format!("DATASET#{}#{version:020}", kind.name())
}

/// Sort key of the `n`-th chunk of a data set version.
pub fn dataset_chunk_sk(n: u32) -> String {
    format!("CHUNK#{n:04}")
}

/// Partition of the subnets seen on one day (UTC), for the unmapped-subnets report.
pub fn subnets_pk(day: time::Date) -> String {
    format!("SUBNETS#{day}")
}

/// Partition of escalation `id` (one item).
pub fn escalation_pk(id: &str) -> String {
    format!("ESC#{id}")
}

/// Sort key of an escalation.
pub const ESCALATION_SK: &str = "#ESCALATION";

/// GSI1 partition of the escalations in `state`: the queue, moved between by a state change.
pub fn escalation_queue_pk(state: crate::domain::escalation::EscalationState) -> String {
    format!("ESCQ#{}", state.name())
}

/// Partition of the pointers to the escalations a person opened or acted on: their own list,
/// and what an erasure of them reaches.
pub fn escalations_by_pk(person_id: &str) -> String {
    format!("ESCBY#{person_id}")
}

/// Sort key prefix of the escalations a person opened, newest last.
pub const OPENED_PREFIX: &str = "OPENED#";

/// Sort key of the pointer to escalation `id`, opened at `at`.
pub fn opened_sk(at: OffsetDateTime, id: &str) -> String {
    format!("{OPENED_PREFIX}{}", time_id(at, id))
}

/// Sort key of the pointer to escalation `id`, which a person wrote a note on or changed.
pub fn touched_sk(id: &str) -> String {
    format!("TOUCHED#{id}")
}

/// Partition of the pointers to the escalations about one user's calls (sort key: the id).
pub fn escalations_about_pk(user_id: &str) -> String {
    format!("ESCFOR#{user_id}")
}

/// Partition of what a keyed request did (`Idempotency-Key`), under `scope`: a hash of the
/// caller's id and their key, so the key names neither in clear and no two callers' keys meet.
pub fn idempotency_pk(scope: &str) -> String {
    format!("IDEMPOTENCY#{scope}")
}

/// Sort key of an idempotency record.
pub const IDEMPOTENCY_SK: &str = "#KEY";

/// Sort key of an erasure marker.
pub const ERASED_SK: &str = "#MARKER";

/// Sort key of a queued Graph fetch (the Graph worker's stream filter matches it).
pub const FETCH_SK: &str = "#FETCH";
/// Sort key of a queued Graph job: keep the subscription, or backfill a window.
pub const JOB_SK: &str = "#JOB";
/// Sort key of a fetch that kept failing, kept with its reason.
pub const DEAD_SK: &str = "#DEAD";
/// Sort key of a resumable fetch's progress (beside its kept pages).
pub const PROGRESS_SK: &str = "#PROGRESS";
/// The connector's subscription state: one item.
pub const SUBSCRIPTION_PK: &str = "GRAPHSUBSCRIPTION";
pub const SUBSCRIPTION_SK: &str = "#STATE";
/// When a notification of our subscription last arrived (written at most once a minute).
pub const NOTIFIED_PK: &str = "GRAPHNOTIFIED";
/// The one sort key of [`NOTIFIED_PK`].
pub const NOTIFIED_SK: &str = "#LAST";

/// Sort key of a window's count of the fleet's Graph requests.
pub const BUDGET_SK: &str = "#COUNT";

/// Partition of the count of the fleet's Graph requests in the window that started at
/// `window_start` (one item per window: every worker counts its requests on it).
pub fn budget_pk(window_start: OffsetDateTime) -> String {
    format!("GRAPHBUDGET#{}", window_start.unix_timestamp_nanos() / 1_000_000)
}

/// Partition of the queued fetch of call `call_id`.
pub fn fetch_pk(call_id: &str) -> String {
    format!("GRAPHFETCH#{call_id}")
}

/// Partition of the marker of a queued job of one kind ([`crate::domain::connector::Job::once_key`]).
/// The watermark of one of Graph's phone-call logs (`GRAPHPHONE#getPstnCalls`).
pub fn phone_watermark_pk(function: &str) -> String {
    format!("GRAPHPHONE#{function}")
}
/// Sort key of a phone-call log's watermark.
pub const PHONE_WATERMARK_SK: &str = "#WATERMARK";

pub fn job_pk(kind: &str) -> String {
    format!("GRAPHJOB#{kind}")
}

/// Partition of call `call_id`'s dead letter.
pub fn dead_pk(call_id: &str) -> String {
    format!("GRAPHDEAD#{call_id}")
}

/// GSI1 partition of every dead letter: few (a record that keeps failing), listed by an admin.
pub const DEAD_LETTERS_GSI_PK: &str = "GRAPHDEAD";

/// GSI1 sort key of a dead letter: when it was set aside, then the call id.
pub fn dead_letter_gsi_sk(at: OffsetDateTime, call_id: &str) -> String {
    time_id(at, call_id)
}

/// Partition of the pages a resumable fetch of call `call_id` kept, and its progress.
pub fn pages_pk(call_id: &str) -> String {
    format!("GRAPHPAGES#{call_id}")
}

/// Sort key of kept page `n` of the fetch run `run` (the queuing's nonce: two runs never
/// write the same chunk).
pub fn chunk_sk(run: &str, n: usize) -> String {
    format!("CHUNK#{run}#{n:04}")
}

/// Partition of the marker an erasure of `user_id` leaves.
pub fn erased_pk(user_id: &str) -> String {
    format!("ERASED#{user_id}")
}

/// Partition of the pointers to the erasures whose last sweep is pending: few (the erasures of
/// the last quarter hour), read by the schedule that starts the sweeps that are due.
pub const ERASURE_SWEEPS_PK: &str = "ERASURESWEEPS";

/// Sort key of the pointer to the erasure of `user_id`, whose sweep is due at `at`.
pub fn erasure_sweep_sk(at: OffsetDateTime, user_id: &str) -> String {
    time_id(at, user_id)
}

/// Partition of the index of every call that names party `party_id` (of any kind: a user, a
/// guest, a phone number, an application): where an erasure of them finds their calls.
pub fn party_pk(party_id: &str) -> String {
    format!("PARTY#{party_id}")
}

/// The user an erasure marker's partition key names.
pub fn erased_user(pk: &str) -> Option<&str> {
    pk.strip_prefix("ERASED#")
}

/// Sort key prefix of a call's classification result pages.
pub const RESULT_PAGE_PREFIX: &str = "RESULTS#";
/// Partition key of the alphabetical user listing.
pub const USERS_PK: &str = "USERS";

/// What kind of item `key` names, without the id, name or address in it: `CALL#…` for a call's
/// partition, a constant partition (`DATASETS`) or a description ("call headers") as it is,
/// else `an item`. How an error names an item in a log line; the key itself is for debug lines.
pub fn kind(key: &str) -> String {
    let is_prefix = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_uppercase());
    let is_description = |text: &str| text.bytes().all(|b| b.is_ascii_lowercase() || b == b' ');
    match key.split_once('#') {
        Some((prefix, _)) if is_prefix(prefix) => format!("{prefix}#…"),
        None if is_prefix(key) || is_description(key) => key.to_owned(),
        _ => "an item".to_owned(),
    }
}

/// The partition holding everything about one call.
pub fn call_pk(call_id: &str) -> String {
    format!("CALL#{call_id}")
}

/// The call id of a call partition key.
pub fn call_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("CALL#")
}

/// The `page`-th session page of a call's `version`: each version's pages have keys of their
/// own, so writing a new version's pages never touches the committed version's.
pub fn session_page_sk(version: i64, page: u32) -> String {
    format!("{SESSION_PAGE_PREFIX}{version}#{page:04}")
}

/// The `page`-th party page of a call's `version` (keyed like its session pages).
pub fn party_page_sk(version: i64, page: u32) -> String {
    format!("{PARTY_PAGE_PREFIX}{version}#{page:04}")
}

/// The `page`-th classification result page of a call.
pub fn result_page_sk(page: u32) -> String {
    format!("{RESULT_PAGE_PREFIX}{page:04}")
}

/// The partition of one user's history entries.
pub fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

/// A user's history entry for one call (one per call, whatever its version).
pub fn history_sk(call_id: &str) -> String {
    format!("CALL#{call_id}")
}

/// GSI1 partition of one user's history, ordered by start time.
pub fn history_gsi_pk(user_id: &str) -> String {
    format!("HIST#{user_id}")
}

/// GSI1 sort key: fixed-width UTC start time, then the call id.
pub fn history_gsi_sk(start: OffsetDateTime, call_id: &str) -> String {
    time_id(start, call_id)
}

/// GSI1 sort key of an escalation in its state's queue: when it was opened, then its id.
pub fn escalation_queue_sk(opened_at: OffsetDateTime, id: &str) -> String {
    time_id(opened_at, id)
}

/// `<time>#<id>`: the sort key of everything listed newest first (history, audit, escalations).
fn time_id(at: OffsetDateTime, id: &str) -> String {
    format!("{}#{id}", time_key(at))
}

/// Sort-key bounds for `<time>#<id>` keys between `from` and `to`, both inclusive (history
/// entries on GSI1, audit entries): a bare time key sorts before every `<time>#<id>` at that
/// instant, and `~` after them.
pub fn time_range(from: OffsetDateTime, to: OffsetDateTime) -> (String, String) {
    (time_key(from), format!("{}~", time_key(to)))
}

/// Audit sort key: when, then the request id (unique per request).
pub fn audit_sk(at: OffsetDateTime, request_id: &str) -> String {
    time_id(at, request_id)
}

/// Search-token partition: tokens are sharded by their first character.
pub fn name_pk(token: &str) -> String {
    let first: String = token.chars().take(1).collect();
    format!("NAME#{first}")
}

/// Search-token sort key.
pub fn name_sk(token: &str, user_id: &str) -> String {
    format!("{token}#{user_id}")
}

/// Sort key in the alphabetical user listing.
pub fn users_sk(display_name: &str, user_id: &str) -> String {
    format!("{}#{user_id}", normalize(display_name))
}

/// DynamoDB's limits on a key attribute's value (table and index keys alike).
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// DynamoDB's limit on a sort key's value.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Why `item`'s keys would be refused by DynamoDB (an empty or over-long key value); `None`
/// when they will not.
pub fn key_problem(item: &super::Item) -> Option<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    [
        ("PK", MAX_PARTITION_KEY_BYTES),
        ("SK", MAX_SORT_KEY_BYTES),
        ("GSI1PK", MAX_PARTITION_KEY_BYTES),
        ("GSI1SK", MAX_SORT_KEY_BYTES),
    ]
    .into_iter()
    .find_map(|(name, limit)| match item.get(name) {
        Some(AttributeValue::S(value)) if value.is_empty() => Some(format!("its {name} would be empty")),
        Some(AttributeValue::S(value)) if value.len() > limit => {
            Some(format!("its {name} would be {} bytes; DynamoDB allows {limit}", value.len()))
        }
        _ => None,
    })
}

const TIME_KEY: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A fixed-width UTC timestamp that sorts as the instant does (RFC 3339 with variable
/// fractions does not: `24.5Z` sorts before `24Z`).
pub fn time_key(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(TIME_KEY).expect("a UTC instant always formats")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_items_kind_names_no_id_name_or_address() {
        assert_eq!(kind(&call_pk("e523d2ed-2966-4b6b-925b-754a88034cc5")), "CALL#…");
        assert_eq!(kind(&erased_pk("3a1d6b5e")), "ERASED#…");
        assert_eq!(kind(DATASETS_PK), "DATASETS");
        assert_eq!(kind("call headers"), "call headers");
        for personal in ["ada lovelace#3a1d6b5e", "10.20.30.0", "Ada Lovelace", "3a1d6b5e"] {
            assert_eq!(kind(personal), "an item", "{personal}");
        }
    }

    #[test]
    fn empty_and_over_long_keys_are_named() {
        use aws_sdk_dynamodb::types::AttributeValue;
        let item = |pk: &str, sk: &str| {
            super::super::Item::from([
                ("PK".into(), AttributeValue::S(pk.into())),
                ("SK".into(), AttributeValue::S(sk.into())),
            ])
        };
        assert_eq!(key_problem(&item("P", "S")), None);
        assert_eq!(key_problem(&item(&"p".repeat(2048), &"s".repeat(1024))), None);
        assert!(key_problem(&item("", "S")).unwrap().contains("PK would be empty"));
        assert!(key_problem(&item("P", &"s".repeat(1025))).unwrap().contains("SK would be 1025 bytes"));
        assert!(key_problem(&item(&"p".repeat(2049), "S")).unwrap().contains("PK"));
    }

    #[test]
    fn audit_partitions_read_back_from_their_keys() {
        let day = time::macros::date!(2026 - 11 - 25);
        assert_eq!(audit_partition(&audit_pk(day, 7)), Some(AuditPartition::Entries { day: "2026-11-25", shard: "7" }));
        assert_eq!(audit_partition(&refused_pk(day)), Some(AuditPartition::Refusals { day: "2026-11-25" }));
        assert_eq!(audit_partition(AUDIT_DAYS_PK), Some(AuditPartition::Days));
        for pk in [audit_pk(day, 0), refused_pk(day), AUDIT_DAYS_PK.to_owned()] {
            assert!(pk.starts_with(AUDIT_PREFIX), "{pk}");
        }
        for other in ["AUDIT", "AUDIT#2026-11-25", "USER#AUDIT#a#b", "ESC#x"] {
            assert_eq!(audit_partition(other), None, "{other}");
        }
    }

    #[test]
    fn time_keys_sort_like_instants() {
        let a = datetime!(2026-11-01 10:00:24 UTC);
        let b = datetime!(2026-11-01 10:00:24.5 UTC);
        let c = datetime!(2026-11-01 12:00:24 +02:00);
        assert!(time_key(a) < time_key(b));
        assert_eq!(time_key(a), "2026-11-01T10:00:24.000000Z");
        assert_eq!(time_key(c), time_key(a));
        let (low, high) = time_range(a, a);
        assert!(low < history_gsi_sk(a, "!") && history_gsi_sk(a, "\u{10FFFF}") < high);
    }

    #[test]
    fn keys_round_trip_and_prefixes_are_distinct() {
        assert_eq!(call_pk("abc"), "CALL#abc");
        assert_eq!(call_pk("abc").strip_prefix("CALL#"), Some("abc"));
        assert_eq!(user_pk("u1").strip_prefix("USER#"), Some("u1"));
        assert_eq!(session_page_sk(7, 3), "SESSIONS#7#0003");
        assert_eq!(name_sk("ada", "u#1").split_once('#'), Some(("ada", "u#1")));
        assert_ne!(call_pk("USER#x"), user_pk("x"));
    }

    #[test]
    fn name_keys_are_normalized() {
        assert_eq!(name_pk("ada"), "NAME#a");
        assert_eq!(users_sk("Ada #Lovelace", "u1"), "ada lovelace#u1");
    }
}
