//! From a [`ValidCall`] (or a classification) to the exact items the store will write, sized
//! and checked up front, so what cannot be stored is refused before anything is written.

use super::StoreError;
use super::client::Item;
use super::items::{CallHeader, DirectoryItem, HistoryItem, PageHead, SubnetUsage};
use super::keys;
use super::size::{MAX_ITEM_BYTES, item_size, value_size};
use crate::domain::calls::CallSummary;
use crate::domain::classify::{CallResult, IssueCode, Rating};
use crate::domain::graph::{CallRecord, NetworkSource, Side, ValidCall};
use crate::domain::problem::Problem;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use time::OffsetDateTime;

/// Budget for one page, leaving room under the 400 KB item limit for keys and framing.
pub const PAGE_BUDGET: usize = 350 * 1024;
/// Budget for one call's commit transaction (DynamoDB allows 4 MB and 100 actions).
pub const COMMIT_BUDGET: usize = 3_900_000;
/// Most session pages one call may have, leaving transaction actions for deleting old pages.
pub const MAX_SESSION_PAGES: usize = 45;

/// The items of one call version, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedCall {
    pub call_id: String,
    pub version: i64,
    pub expires_at: i64,
    /// Written last, in the same transaction as the pages: the commit point.
    pub header: Item,
    pub pages: Vec<Item>,
    /// History entries of every party that has a history, written after the commit.
    pub history: Vec<Item>,
    /// Directory entries (search tokens and listing) of those parties.
    pub directory: Vec<Item>,
    /// The subnets the call's sessions were seen on, for the unmapped-subnets report.
    pub subnets: Vec<SubnetUsage>,
}

impl PreparedCall {
    /// Builds every item of `call`, ingested at `now`, with history and directory entries for
    /// the users of `home_tenant`. Fails, naming the path, when the call cannot be stored within
    /// DynamoDB's limits.
    pub fn new(call: &ValidCall, now: OffsetDateTime, home_tenant: &str) -> Result<Self, Problem> {
        let record = call.record();
        let packed = pack(&record.sessions).map_err(|(i, size)| {
            Problem::unacceptable(
                format!("sessions[{i}]"),
                format!("the session is {size} bytes once stored; at most {PAGE_BUDGET}"),
            )
        })?;
        if packed.pages.len() > MAX_SESSION_PAGES || packed.total > COMMIT_BUDGET {
            let message = format!("the sessions are {} bytes once stored; at most {COMMIT_BUDGET}", packed.total);
            return Err(Problem::unacceptable("sessions", message));
        }
        let header = CallHeader::new(CallSummary::of(call, now), packed.pages.len() as u32);
        let expires_at = header.expires_at;
        let header_item = to_item(&header)?;
        if item_size(&header_item) > MAX_ITEM_BYTES {
            return Err(Problem::unacceptable(
                "participants_v2",
                "the participants' ids and names do not fit in one call header (400 KB)",
            ));
        }
        let summary = &header.summary;
        let pages = page_items(summary, keys::session_page_sk, "sessions", packed.pages);
        let users: Vec<_> = summary.history_parties(home_tenant).collect();
        let history = users.iter().map(|user| to_item(&HistoryItem::new(summary, user))).collect::<Result<_, _>>()?;
        let directory = users
            .iter()
            .flat_map(|user| DirectoryItem::all(user, record.end_date_time, expires_at))
            .map(|item| to_item(&item))
            .collect::<Result<_, _>>()?;
        let prepared = Self {
            call_id: record.id.clone(),
            version: record.version,
            expires_at,
            header: header_item,
            pages,
            history,
            directory,
            subnets: subnet_usage(record, expires_at),
        };
        prepared.check_limits()?;
        Ok(prepared)
    }

    /// Every item within DynamoDB's key and size limits, so no write fails after the commit
    /// for a reason that retrying cannot cure.
    fn check_limits(&self) -> Result<(), Problem> {
        let items = [&self.header].into_iter().chain(&self.pages).chain(&self.history).chain(&self.directory);
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
}

/// The writes that publish a classification of one call version.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedClassification {
    pub call_id: String,
    pub version: i64,
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
    /// Written first, each conditional on no newer version's results being there.
    pub pages: Vec<Item>,
    /// Every participant's history entry, rated; written after the header update.
    pub history: Vec<Item>,
}

impl PreparedClassification {
    /// The writes for `result`, computed from the sessions of `summary`'s version; the rated
    /// history entries of the users of `home_tenant`.
    pub fn new(summary: &CallSummary, result: CallResult, home_tenant: &str) -> Result<Self, StoreError> {
        let packed = pack(&result.sessions).map_err(|(i, size)| StoreError::TooLarge {
            key: keys::call_pk(&summary.call_id),
            detail: format!("the result of session {i} is {size} bytes"),
        })?;
        let rated = CallSummary { rating: result.rating, issue_codes: result.issue_codes.clone(), ..summary.clone() };
        let pages = page_items(summary, keys::result_page_sk, "results", packed.pages);
        let history = rated
            .history_parties(home_tenant)
            .map(|user| super::client::to_item(&HistoryItem::new(&rated, user)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            call_id: summary.call_id.clone(),
            version: summary.version,
            rating: result.rating,
            issue_codes: result.issue_codes,
            pages,
            history,
        })
    }
}

/// The subnet each session side reported on its audio, with the session's audio stream count;
/// kept as long as the call.
fn subnet_usage(record: &CallRecord, expires_at: i64) -> Vec<SubnetUsage> {
    let day = record.end_date_time.to_offset(time::UtcOffset::UTC).date();
    let mut usage = Vec::new();
    for (i, session) in record.sessions.iter().enumerate() {
        let streams = session.audio_stream_count();
        if streams == 0 {
            continue;
        }
        for side in Side::BOTH {
            let subnet = session.first_network(side, NetworkSource::Audio).and_then(|n| n.subnet.as_deref());
            // Only an IPv4 subnet can be mapped to a building, and only it is a well-formed key.
            if let Some(subnet) = subnet.map(str::trim).filter(|s| s.parse::<std::net::Ipv4Addr>().is_ok()) {
                let subnet = subnet.to_owned();
                let mark = match side {
                    Side::Caller => 'c',
                    Side::Callee => 'e',
                };
                usage.push(SubnetUsage {
                    pk: keys::subnets_pk(day),
                    subnet,
                    element: format!("{}#{i}{mark}|{streams}", record.id),
                    expires_at,
                });
            }
        }
    }
    usage
}

/// Values packed in order into pages of at most [`PAGE_BUDGET`] bytes.
pub(super) struct Packed {
    pub(super) pages: Vec<Vec<AttributeValue>>,
    pub(super) total: usize,
}

/// Packs `values` in order; `Err((index, size))` names a value too large for any page.
pub(super) fn pack<T: Serialize>(values: &[T]) -> Result<Packed, (usize, usize)> {
    let mut packed = Packed { pages: Vec::new(), total: 0 };
    let mut page_bytes = 0;
    for (i, value) in values.iter().enumerate() {
        let value: AttributeValue = serde_dynamo::to_attribute_value(value).map_err(|_| (i, usize::MAX))?;
        let size = value_size(&value);
        if size > PAGE_BUDGET {
            return Err((i, size));
        }
        if packed.pages.is_empty() || page_bytes + size > PAGE_BUDGET {
            packed.pages.push(Vec::new());
            page_bytes = 0;
        }
        page_bytes += size;
        packed.total += size;
        packed.pages.last_mut().expect("a page was just pushed").push(value);
    }
    Ok(packed)
}

/// One item per page of `summary`'s version: the page head (sort key from `sk`) plus the page's
/// values under `field`.
fn page_items(summary: &CallSummary, sk: fn(u32) -> String, field: &str, pages: Vec<Vec<AttributeValue>>) -> Vec<Item> {
    pages
        .into_iter()
        .enumerate()
        .map(|(n, values)| with_list(&PageHead::new(summary, sk, n as u32), field, values))
        .collect()
}

/// `head` as an item, with `values` under `field`: a page item whose list was packed already.
pub(super) fn with_list<H: Serialize>(head: &H, field: &str, values: Vec<AttributeValue>) -> Item {
    let mut item: Item = serde_dynamo::to_item(head).expect("keys and numbers always serialize");
    item.insert(field.to_owned(), AttributeValue::L(values));
    item
}

/// `value` as an item, or the problem that refuses the record (see [`super::client::to_item`]).
fn to_item<T: Serialize>(value: &T) -> Result<Item, Problem> {
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
        let item = super::with_list(&head, "sessions", Vec::new());
        let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["PK", "SK", "callId", "expiresAt", "page", "sessions", "version"]);
    }
}
