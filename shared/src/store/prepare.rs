//! From a [`ValidCall`] (or a classification) to the exact items the store will write, sized
//! and checked up front, so what cannot be stored is refused before anything is written.

use super::StoreError;
use super::client::Item;
use super::compact;
use super::items::{CallHeader, DirectoryItem, HistoryItem, PageHead, PartyIndexItem, StoredParty, SubnetUsage};
use super::keys;
use super::size::{MAX_ITEM_BYTES, item_size};
use crate::domain::calls::CallSummary;
use crate::domain::classify::{CallResult, IssueCode, Rating, SessionRatings};
use crate::domain::connector::MAX_RECORD_JSON;
use crate::domain::graph::parties::named_ids;
use crate::domain::graph::{CallRecord, NetworkSource, Party, Session, Side, ValidCall};
use crate::domain::problem::Problem;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use time::OffsetDateTime;

/// Budget for one page's stored (deflated) bytes, leaving room under the 400 KB item limit for
/// keys and framing.
pub const PAGE_BUDGET: usize = 350 * 1024;
/// Most JSON bytes one page holds before deflating: bounds what reading one page back costs in
/// memory, whatever the compression.
pub const PAGE_JSON_BUDGET: usize = 2 * 1024 * 1024;
/// Most stored bytes of one call version's pages (sessions and parties), a backstop derived
/// from the largest record ([`MAX_RECORD_JSON`]): pages hold the typed sessions as compact
/// JSON, deflated, so never more than the JSON taken, and deflate keeps a fraction of it (15 %
/// for realistic distinct sessions, 2 % for the repetitive fixture; `BENCHMARKS.md`, a
/// 25,000-session meeting). Half the record cap is a stored call no record at the cap comes
/// near; it bounds a version's writes (~95 pages) and what classify and query read back whole
/// (at the cap, ~300 MiB at most of their 1,024 MB).
pub const COMMIT_BUDGET: usize = MAX_RECORD_JSON / 2;
/// Most parties a call header keeps itself; a larger call's parties go in party pages beside
/// it (a town hall's would not fit one item, and an update of the header is billed by its size).
pub const INLINE_PARTIES: usize = 100;
/// How long a directory entry outlives the call that wrote it: a user's entries are rewritten
/// only when a call would outlive them, so at most once a day, however many calls they make.
pub const DIRECTORY_SLACK: time::Duration = time::Duration::days(1);

/// The items of one call version, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedCall {
    /// The session pages, and the history entries (pending until rated).
    pub writes: VersionWrites,
    pub expires_at: i64,
    /// Written last, by a put guarded on the version: the commit point.
    pub header: Item,
    /// The directory entries and subnets of the call's parties.
    pub parties: PartyWrites,
}

/// What a call tells the store about its parties beyond the call itself, each written only
/// where the store does not know it already.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyWrites {
    /// The directory entries of every party that has a history, per user.
    pub directory: Vec<UserDirectory>,
    /// The subnets the call's sessions were seen on, one per subnet, for the unmapped-subnets
    /// report.
    pub subnets: Vec<SubnetUsage>,
    /// The index entries of the parties without a history, which an erasure reads: written
    /// before the commit.
    pub index: Vec<Item>,
}

/// One user's directory entries (search tokens and listing). Written only when the listing
/// entry is missing (a new user, or a new name) or would expire before the call.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDirectory {
    /// Whose entries these are.
    pub user_id: String,
    /// The sort key of the user's listing entry, which the store reads first.
    pub listing_sk: String,
    /// Every entry.
    pub items: Vec<Item>,
    /// When they expire: [`DIRECTORY_SLACK`] after the call.
    pub expires_at: i64,
}

impl UserDirectory {
    /// Every directory entry of `user`, expiring at `expires_at`.
    pub(super) fn of(user: &Party, expires_at: i64) -> Result<Self, Problem> {
        let entries = DirectoryItem::all(user, expires_at);
        let listing_sk = entries.iter().find(|e| e.pk == keys::USERS_PK).map(|e| e.sk.clone());
        let items = entries.iter().map(to_item).collect::<Result<_, _>>()?;
        let listing_sk = listing_sk.expect("every user has a listing entry");
        Ok(Self { user_id: user.id.clone(), listing_sk, items, expires_at })
    }
}

impl PreparedCall {
    /// Builds every item of `call`, ingested at `now`, with directory entries for the users of
    /// `home_tenant`. Fails, naming the path, when the call cannot be stored within DynamoDB's
    /// limits.
    pub fn new(call: &ValidCall, now: OffsetDateTime, home_tenant: &str) -> Result<Self, Problem> {
        let record = call.record();
        let too_large = |path: String, what: &str, size: usize| {
            Problem::unacceptable(path, format!("the {what} is {size} bytes once stored; at most {PAGE_BUDGET}"))
        };
        let sessions =
            pack(&record.sessions).map_err(|(i, size)| too_large(format!("sessions[{i}]"), "session", size))?;
        let summary = CallSummary::of(call, now);
        let parties: Vec<StoredParty> = summary
            .parties
            .iter()
            .map(|party| StoredParty { party: party.clone(), subnet: summary.subnets.get(&party.id).cloned() })
            .collect();
        let parties = if parties.len() > INLINE_PARTIES {
            pack(&parties).map_err(|(_, size)| too_large("participants_v2".into(), "participant", size))?
        } else {
            Packed::default()
        };
        let stored = sessions.stored + parties.stored;
        if stored > COMMIT_BUDGET {
            let message = format!("the call is {stored} bytes once stored (deflated); at most {COMMIT_BUDGET}");
            return Err(Problem::unacceptable("sessions", message));
        }
        let header = CallHeader::new(summary.clone(), sessions.counts.clone(), parties.pages.len() as u32);
        let expires_at = header.expires_at;
        let header_item = to_item(&header)?;
        if item_size(&header_item) > MAX_ITEM_BYTES {
            return Err(Problem::unacceptable(
                "participants_v2",
                "the participants' ids and names do not fit in one call header (400 KB)",
            ));
        }
        let summary = &summary;
        let version = record.version;
        let mut pages = page_items(summary, |n| keys::session_page_sk(version, n), "sessions", sessions.pages);
        pages.extend(page_items(summary, |n| keys::party_page_sk(version, n), "parties", parties.pages));
        let users: Vec<_> = summary.history_parties(home_tenant).collect();
        let history =
            users.iter().map(|user| to_item(&HistoryItem::new(summary, user, None))).collect::<Result<_, _>>()?;
        let directory_expiry = expires_at + DIRECTORY_SLACK.whole_seconds();
        let directory =
            users.iter().map(|user| UserDirectory::of(user, directory_expiry)).collect::<Result<_, Problem>>()?;
        let prepared = Self {
            writes: VersionWrites { call_id: record.id.clone(), version: record.version, pages, history },
            expires_at,
            header: header_item,
            parties: PartyWrites {
                directory,
                subnets: subnet_usage(record, expires_at),
                index: PartyIndexItem::all(summary, &named_ids(record), home_tenant)
                    .iter()
                    .map(to_item)
                    .collect::<Result<_, _>>()?,
            },
        };
        prepared.check_limits()?;
        Ok(prepared)
    }

    /// Every item within DynamoDB's key and size limits, so no write fails after the first for
    /// a reason that retrying cannot cure.
    fn check_limits(&self) -> Result<(), Problem> {
        let directory = self.parties.directory.iter().flat_map(|d| &d.items);
        let items = [&self.header]
            .into_iter()
            .chain(&self.writes.pages)
            .chain(&self.writes.history)
            .chain(directory)
            .chain(&self.parties.index);
        within_limits(items)
    }
}

/// Every item of `items` within DynamoDB's key and size limits, or the problem that refuses
/// the record or row they are written from.
pub(super) fn within_limits<'a>(items: impl IntoIterator<Item = &'a Item>) -> Result<(), Problem> {
    for item in items {
        if let Some(message) = keys::key_problem(item) {
            return Err(Problem::unacceptable("$", format!("the call cannot be stored: {message}")));
        }
        if item_size(item) > MAX_ITEM_BYTES {
            let message = format!("the call cannot be stored: an item would be {} bytes", item_size(item));
            return Err(Problem::unacceptable("$", message));
        }
    }
    Ok(())
}

/// The writes that publish a classification of one call version.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedClassification {
    /// The result pages, written first, each conditional on no newer version's results being
    /// there; every participant's history entry, rated, written after the header update.
    pub writes: VersionWrites,
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
    /// How many results each result page holds.
    pub result_page_counts: Vec<u32>,
    /// How many sessions got each rating.
    pub session_ratings: SessionRatings,
}

impl PreparedClassification {
    /// The writes for `result`, computed from the sessions of `summary`'s version; the rated
    /// history entries of the users of `home_tenant`.
    pub fn new(summary: &CallSummary, result: CallResult, home_tenant: &str) -> Result<Self, StoreError> {
        let packed = pack(&result.sessions).map_err(|(i, size)| StoreError::TooLarge {
            key: keys::call_pk(&summary.call_id),
            detail: format!("the result of session {i} is {size} bytes"),
        })?;
        let session_ratings = SessionRatings::of(result.sessions.iter());
        let rated = CallSummary { rating: result.rating, issue_codes: result.issue_codes.clone(), ..summary.clone() };
        let result_page_counts = packed.counts;
        let pages = page_items(summary, keys::result_page_sk, "results", packed.pages);
        let history = rated
            .history_parties(home_tenant)
            .map(|user| super::client::to_item(&HistoryItem::new(&rated, user, result.parties.get(&user.id))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            writes: VersionWrites { call_id: summary.call_id.clone(), version: summary.version, pages, history },
            rating: result.rating,
            issue_codes: result.issue_codes,
            result_page_counts,
            session_ratings,
        })
    }
}

/// What both an ingest and a classification write of one call version, around its commit
/// point (the header): pages before it, history entries after.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionWrites {
    pub call_id: String,
    pub version: i64,
    /// This version's pages (sessions, or results), under keys of their own: written before the
    /// header.
    pub pages: Vec<Item>,
    /// History entries of every party that has a history, written after the header.
    pub history: Vec<Item>,
}

/// The subnets the call's session sides reported on their audio, each with the call's audio
/// streams seen there: one element per call and subnet, so a replay adds nothing. Kept as long
/// as the call.
fn subnet_usage(record: &CallRecord, expires_at: i64) -> Vec<SubnetUsage> {
    audio_subnets(&record.sessions)
        .into_iter()
        .map(|(subnet, count)| SubnetUsage {
            pk: keys::subnets_pk(usage_day(record.end_date_time)),
            subnet,
            element: format!("{}|{count}", record.id),
            expires_at,
        })
        .collect()
}

/// The day (UTC) whose subnet use a call that ended at `end` counts in.
pub(super) fn usage_day(end: OffsetDateTime) -> time::Date {
    end.to_offset(time::UtcOffset::UTC).date()
}

/// The IPv4 subnets `sessions`' sides reported on their audio, each with the audio streams
/// seen there: what a call adds to the unmapped-subnets report, and what its erasure takes out.
pub(super) fn audio_subnets<'a>(
    sessions: impl IntoIterator<Item = &'a Session>,
) -> std::collections::BTreeMap<String, usize> {
    let mut streams = std::collections::BTreeMap::new();
    for session in sessions {
        let count = session.audio_stream_count();
        if count == 0 {
            continue;
        }
        for side in Side::BOTH {
            let subnet = session.first_network(side, NetworkSource::Audio).and_then(|n| n.subnet.as_deref());
            // Only an IPv4 subnet can be mapped to a building, and only it is a well-formed key.
            if let Some(subnet) = subnet.map(str::trim).filter(|s| s.parse::<std::net::Ipv4Addr>().is_ok()) {
                *streams.entry(subnet.to_owned()).or_default() += count;
            }
        }
    }
    streams
}

/// Values packed in order into pages of at most [`PAGE_BUDGET`] stored (deflated) bytes and
/// [`PAGE_JSON_BUDGET`] bytes of JSON, each page's list in the compact encoding
/// (`store/compact.rs`).
#[derive(Default)]
pub(super) struct Packed {
    pub(super) pages: Vec<AttributeValue>,
    /// How many values each page holds.
    pub(super) counts: Vec<u32>,
    /// The pages' stored bytes.
    pub(super) stored: usize,
}

/// Packs `values` in order; `Err((index, size))` names a value too large for any page. Pages
/// are cut by JSON size first; a page that deflates to more than its budget (rare: JSON of
/// calls deflates several times over) is halved until it fits.
pub(super) fn pack<T: Serialize>(values: &[T]) -> Result<Packed, (usize, usize)> {
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut page_bytes = 0;
    for (i, value) in values.iter().enumerate() {
        let size = compact::json_len(value).map_err(|_| (i, usize::MAX))?;
        if size > PAGE_JSON_BUDGET {
            return Err((i, size));
        }
        match ranges.last_mut() {
            Some(range) if page_bytes + size <= PAGE_JSON_BUDGET => range.end = i + 1,
            _ => {
                ranges.push(i..i + 1);
                page_bytes = 0;
            }
        }
        page_bytes += size;
    }
    let mut packed = Packed { pages: Vec::new(), counts: Vec::new(), stored: 0 };
    let mut todo: Vec<std::ops::Range<usize>> = ranges.into_iter().rev().collect();
    while let Some(range) = todo.pop() {
        let bytes = compact::encode(&values[range.clone()]).map_err(|_| (range.start, usize::MAX))?;
        if bytes.len() > PAGE_BUDGET {
            if range.len() == 1 {
                return Err((range.start, bytes.len()));
            }
            let middle = range.start + range.len() / 2;
            todo.extend([middle..range.end, range.start..middle]);
            continue;
        }
        packed.stored += bytes.len();
        packed.counts.push(range.len() as u32);
        packed.pages.push(AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(bytes)));
    }
    Ok(packed)
}

/// One item per page of `summary`'s version: the page head (sort key from `sk`) plus the page's
/// values under `field`.
fn page_items(summary: &CallSummary, sk: impl Fn(u32) -> String, field: &str, pages: Vec<AttributeValue>) -> Vec<Item> {
    pages
        .into_iter()
        .enumerate()
        .map(|(n, values)| with_list(&PageHead::new(summary, sk(n as u32), n as u32), field, values))
        .collect()
}

/// `head` as an item, with `values` (a packed page's list) under `field`.
pub(super) fn with_list<H: Serialize>(head: &H, field: &str, values: AttributeValue) -> Item {
    let mut item: Item = serde_dynamo::to_item(head).expect("keys and numbers always serialize");
    item.insert(field.to_owned(), values);
    item
}

/// `value` as an item, or the problem that refuses the record (see [`super::client::to_item`]).
pub(super) fn to_item<T: Serialize>(value: &T) -> Result<Item, Problem> {
    super::client::to_item(value).map_err(|e| {
        Problem::unacceptable(
            crate::domain::problem::WHOLE,
            format!("the record could not be converted for storage: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::PageHead;

    #[test]
    fn a_page_head_is_the_keys_and_position_of_a_page() {
        let head = PageHead {
            pk: "CALL#c".into(),
            sk: "SESSIONS#0000".into(),
            call_id: "c".into(),
            version: 1,
            page: 0,
            expires_at: 9,
        };
        let empty = aws_sdk_dynamodb::types::AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(Vec::new()));
        let item = super::with_list(&head, "sessions", empty);
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["PK", "SK", "callId", "expiresAt", "page", "sessions", "version"]);
    }
}
