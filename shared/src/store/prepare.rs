//! From a [`ValidCall`] (or a classification) to the exact items the store will write, sized
//! and checked up front, so what cannot be stored is refused before anything is written.

use super::items::{CallHeader, directory_entries, history_entry};
use super::keys;
use super::size::{MAX_ITEM_BYTES, item_size, value_size};
use crate::classify::CallResult;
use crate::model::{Problem, ValidCall, parties::organizer_id};
use crate::rating::Rating;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A DynamoDB item as the SDK takes it.
pub type Item = HashMap<String, AttributeValue>;

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
    pub subnets: Vec<super::items::SubnetUsage>,
}

/// The subnet each session side reported on its audio, with the session's audio stream count.
fn subnet_usage(record: &crate::model::CallRecord) -> Vec<super::items::SubnetUsage> {
    let day = record.end_date_time.to_offset(time::UtcOffset::UTC).date();
    let expires_at = (record.end_date_time + crate::retention::HISTORY + time::Duration::days(1)).unix_timestamp();
    let mut usage = Vec::new();
    for (i, session) in record.sessions.iter().enumerate() {
        let streams = session.audio_stream_count();
        if streams == 0 {
            continue;
        }
        for (side, caller) in [('c', true), ('e', false)] {
            if let Some(subnet) = session.first_network(caller, true).and_then(|n| n.subnet.clone()) {
                usage.push(super::items::SubnetUsage {
                    pk: keys::subnets_pk(day),
                    subnet,
                    element: format!("{}#{i}{side}|{streams}", record.id),
                    expires_at,
                });
            }
        }
    }
    usage
}

/// The keys and version every page item carries; the list goes in beside them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageHead {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    call_id: String,
    version: i64,
    page: u32,
    expires_at: i64,
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

/// One item per page: `head` keys plus the page's values under `field`.
fn page_items(head: impl Fn(u32) -> PageHead, field: &str, pages: Vec<Vec<AttributeValue>>) -> Vec<Item> {
    pages
        .into_iter()
        .enumerate()
        .map(|(n, values)| {
            let mut item: Item = serde_dynamo::to_item(head(n as u32)).expect("keys and numbers always serialize");
            item.insert(field.to_owned(), AttributeValue::L(values));
            item
        })
        .collect()
}

impl PreparedCall {
    /// Builds every item of `call`, ingested at `now`. Fails, naming the path, when the call
    /// cannot be stored within DynamoDB's limits.
    pub fn new(call: &ValidCall, now: OffsetDateTime) -> Result<Self, Problem> {
        let record = call.record();
        let expires_at = call.expires_at().unix_timestamp();
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
        let header = CallHeader {
            pk: keys::call_pk(&record.id),
            sk: keys::CALL_HEADER_SK.to_owned(),
            call_id: record.id.clone(),
            version: record.version,
            call_type: record.call_type,
            modalities: record.modalities.clone(),
            start_date_time: record.start_date_time,
            end_date_time: record.end_date_time,
            organizer_id: organizer_id(record).map(str::to_owned),
            parties: call.parties().to_vec(),
            session_count: record.sessions.len() as u32,
            session_pages: packed.pages.len() as u32,
            rating: Rating::Pending,
            issue_codes: Vec::new(),
            result_pages: 0,
            ingested_at: now,
            expires_at,
        };
        let header_item: Item = serde_dynamo::to_item(&header).map_err(|e| internal(&e))?;
        if item_size(&header_item) > MAX_ITEM_BYTES {
            return Err(Problem::unacceptable(
                "participants_v2",
                "the participants' ids and names do not fit in one call header (400 KB)",
            ));
        }
        let pages = page_items(head_for(&header, keys::session_page_sk), "sessions", packed.pages);
        let users: Vec<_> = call.parties().iter().filter(|p| p.has_history()).collect();
        let history = users.iter().map(|user| to_item(history_entry(&header, user))).collect::<Result<_, _>>()?;
        let directory = users
            .iter()
            .flat_map(|user| directory_entries(user, record.end_date_time, expires_at))
            .map(to_item)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            call_id: record.id.clone(),
            version: record.version,
            expires_at,
            header: header_item,
            pages,
            history,
            directory,
            subnets: subnet_usage(record),
        })
    }
}

/// The writes that publish a classification of one call version.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedClassification {
    pub call_id: String,
    pub version: i64,
    pub rating: Rating,
    pub issue_codes: Vec<crate::classify::IssueCode>,
    /// Written first, each conditional on no newer version's results being there.
    pub pages: Vec<Item>,
    /// Every participant's history entry, rated; written after the header update.
    pub history: Vec<Item>,
}

impl PreparedClassification {
    /// The writes for `result`, computed from the sessions of `header`'s version.
    pub fn new(header: &CallHeader, result: CallResult) -> Result<Self, super::StoreError> {
        let packed = pack(&result.sessions).map_err(|(i, size)| super::StoreError::TooLarge {
            key: header.pk.clone(),
            detail: format!("the result of session {i} is {size} bytes"),
        })?;
        let rated = CallHeader { rating: result.rating, issue_codes: result.issue_codes.clone(), ..header.clone() };
        let pages = page_items(head_for(header, keys::result_page_sk), "results", packed.pages);
        let history = header
            .parties
            .iter()
            .filter(|p| p.has_history())
            .map(|user| {
                serde_dynamo::to_item(history_entry(&rated, user))
                    .map_err(|source| super::StoreError::Corrupt { key: header.pk.clone(), source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            call_id: header.call_id.clone(),
            version: header.version,
            rating: result.rating,
            issue_codes: result.issue_codes,
            pages,
            history,
        })
    }
}

/// Page heads of `header`'s call and version, with sort keys from `sk`.
fn head_for(header: &CallHeader, sk: fn(u32) -> String) -> impl Fn(u32) -> PageHead + '_ {
    move |page| PageHead {
        pk: header.pk.clone(),
        sk: sk(page),
        call_id: header.call_id.clone(),
        version: header.version,
        page,
        expires_at: header.expires_at,
    }
}

fn to_item<T: Serialize>(value: T) -> Result<Item, Problem> {
    serde_dynamo::to_item(value).map_err(|e| internal(&e))
}

/// serde_dynamo cannot fail on these types (no non-string map keys, no unsupported values);
/// should that ever change, the record is refused rather than half-written.
fn internal(error: &serde_dynamo::Error) -> Problem {
    Problem::unacceptable("", format!("the record could not be converted for storage: {error}"))
}
