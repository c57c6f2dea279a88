//! From a [`ValidCall`] to the exact items the store will write, sized and checked up front,
//! so a record that cannot be stored is refused before anything is written.

use super::items::{CallHeader, SessionPage, directory_entries, history_entry};
use super::keys;
use super::size::{MAX_ITEM_BYTES, item_size, value_size};
use crate::model::{Problem, ValidCall, parties::organizer_id};
use crate::rating::Rating;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use time::OffsetDateTime;

/// A DynamoDB item as the SDK takes it.
pub type Item = HashMap<String, AttributeValue>;

/// Budget for one session page, leaving room under the 400 KB item limit for keys and framing.
pub const SESSION_PAGE_BUDGET: usize = 350 * 1024;
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
}

impl PreparedCall {
    /// Builds every item of `call`, ingested at `now`. Fails, naming the path, when the call
    /// cannot be stored within DynamoDB's limits.
    pub fn new(call: &ValidCall, now: OffsetDateTime) -> Result<Self, Problem> {
        let record = call.record();
        let expires_at = call.expires_at().unix_timestamp();
        let pk = keys::call_pk(&record.id);

        let mut pages: Vec<Vec<AttributeValue>> = Vec::new();
        let mut page_bytes = 0;
        let mut total = 0;
        for (i, session) in record.sessions.iter().enumerate() {
            let value: AttributeValue =
                serde_dynamo::to_attribute_value(session).map_err(|e| internal(&e))?;
            let size = value_size(&value);
            if size > SESSION_PAGE_BUDGET {
                return Err(Problem::unacceptable(
                    format!("sessions[{i}]"),
                    format!(
                        "the session is {size} bytes once stored; at most {SESSION_PAGE_BUDGET}"
                    ),
                ));
            }
            if pages.is_empty() || page_bytes + size > SESSION_PAGE_BUDGET {
                pages.push(Vec::new());
                page_bytes = 0;
            }
            page_bytes += size;
            total += size;
            pages
                .last_mut()
                .expect("a page was just pushed")
                .push(value);
        }
        if pages.len() > MAX_SESSION_PAGES || total > COMMIT_BUDGET {
            return Err(Problem::unacceptable(
                "sessions",
                format!("the sessions are {total} bytes once stored; at most {COMMIT_BUDGET}"),
            ));
        }

        let header = CallHeader {
            pk: pk.clone(),
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
            session_pages: pages.len() as u32,
            rating: Rating::Pending,
            ingested_at: now,
            expires_at,
        };
        let header_item: Item = serde_dynamo::to_item(&header).map_err(|e| internal(&e))?;
        if item_size(&header_item) > MAX_ITEM_BYTES {
            return Err(Problem::unacceptable(
                "participants_v2",
                "too many participants to store in one call header",
            ));
        }

        let page_items = pages
            .into_iter()
            .enumerate()
            .map(|(n, sessions)| {
                let head = SessionPage {
                    pk: pk.clone(),
                    sk: keys::session_page_sk(n as u32),
                    call_id: record.id.clone(),
                    version: record.version,
                    page: n as u32,
                    sessions: Vec::new(),
                    expires_at,
                };
                let mut item: Item = serde_dynamo::to_item(&head).map_err(|e| internal(&e))?;
                item.insert("sessions".to_owned(), AttributeValue::L(sessions));
                Ok(item)
            })
            .collect::<Result<Vec<_>, Problem>>()?;

        let users: Vec<_> = call.parties().iter().filter(|p| p.has_history()).collect();
        let history = users
            .iter()
            .map(|user| {
                serde_dynamo::to_item(history_entry(&header, record, user))
                    .map_err(|e| internal(&e))
            })
            .collect::<Result<Vec<Item>, Problem>>()?;
        let directory = users
            .iter()
            .flat_map(|user| directory_entries(user, record.end_date_time, expires_at))
            .map(|entry| serde_dynamo::to_item(entry).map_err(|e| internal(&e)))
            .collect::<Result<Vec<Item>, Problem>>()?;

        Ok(Self {
            call_id: record.id.clone(),
            version: record.version,
            expires_at,
            header: header_item,
            pages: page_items,
            history,
            directory,
        })
    }
}

/// serde_dynamo cannot fail on these types (no non-string map keys, no unsupported values);
/// should that ever change, the record is refused rather than half-written.
fn internal(error: &serde_dynamo::Error) -> Problem {
    Problem::unacceptable(
        "",
        format!("the record could not be converted for storage: {error}"),
    )
}
