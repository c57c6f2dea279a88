//! The DynamoDB adapter: every request the product makes to its table lives here.
//!
//! Write protocol for one call version (see `docs/data-model.md`):
//! 1. read the stored version (consistent `GetItem`): equal → `unchanged`, higher → `stale`;
//! 2. commit header and session pages in one `TransactWriteItems`, the header conditional on
//!    `version < new` — so the record is stored whole or not at all, and a lower version can
//!    never overwrite a higher one however requests race;
//! 3. fan out history and directory entries with conditional puts. They are idempotent, so a
//!    retry of the same request (`unchanged`) repeats them and repairs an interrupted fan-out.

use super::StoreError;
use super::items::{AuditEntry, CallHeader, DirectoryEntry, HistoryEntry, ResultPage, SessionPage};
use super::keys::{self, EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};
use super::prepare::{Item, PreparedCall, PreparedClassification};
use crate::classify::SessionResult;
use crate::model::Session;
use crate::rating::Rating;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What storing one call record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UpsertStatus {
    /// No version of this call was stored.
    Created,
    /// A lower version was replaced.
    Updated,
    /// This very version was already stored.
    Unchanged,
    /// A higher version is stored; nothing was written.
    Stale,
}

/// One page of a Query: the items read, and where the next page starts (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub entries: Vec<T>,
    pub last_key: Option<Item>,
}

/// A call's committed version: its header, its sessions in order, and once rated the
/// classification of each session.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub header: CallHeader,
    pub sessions: Vec<Session>,
    /// One result per session, in order; `None` while the version is pending.
    pub results: Option<Vec<SessionResult>>,
}

/// What publishing a classification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The version's rating, results and history entries are stored.
    Published,
    /// A newer version is stored (or already rated); its own stream event rates it.
    Superseded,
}

/// How many concurrent requests one fan-out may have in flight.
const FAN_OUT_CONCURRENCY: usize = 16;
/// How often a commit is retried when concurrent transactions cancel each other.
const COMMIT_ATTEMPTS: u32 = 5;

/// The table, through the AWS SDK client built once per cold start.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredVersion {
    version: i64,
    session_pages: u32,
}

#[derive(Serialize)]
struct Key<'a> {
    #[serde(rename = "PK")]
    pk: &'a str,
    #[serde(rename = "SK")]
    sk: &'a str,
}

enum Commit {
    Done,
    /// The header's condition failed: another writer stored an equal or higher version first.
    Lost,
    /// Cancelled by a concurrent transaction on the same items, or throttled inside the
    /// transaction: worth another attempt after a pause.
    Conflict,
}

impl DynamoStore {
    /// A store over `table`, using `client` (whose endpoint may point at a local server).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// A store over `table` with a client configured from the environment (region,
    /// credentials, and `AWS_ENDPOINT_URL_DYNAMODB` for a local server): what every function's
    /// `main` needs.
    pub async fn connect(table: impl Into<String>) -> Self {
        Self::new(Client::new(&aws_config::load_from_env().await), table)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// Stores one call version if it is newer than what is stored, and fans it out.
    pub async fn upsert(&self, call: &PreparedCall) -> Result<UpsertStatus, StoreError> {
        for attempt in 0..COMMIT_ATTEMPTS {
            let stored = self.stored_version(&call.call_id).await?;
            let status = match &stored {
                Some(s) if s.version > call.version => return Ok(UpsertStatus::Stale),
                Some(s) if s.version == call.version => UpsertStatus::Unchanged,
                Some(_) => UpsertStatus::Updated,
                None => UpsertStatus::Created,
            };
            if status != UpsertStatus::Unchanged {
                match self.commit(call, stored.as_ref().map_or(0, |s| s.session_pages)).await? {
                    Commit::Done => {}
                    Commit::Lost => continue,
                    Commit::Conflict => {
                        backoff(attempt).await;
                        continue;
                    }
                }
            }
            self.fan_out(call).await?;
            return Ok(status);
        }
        Err(StoreError::Contention(call.call_id.clone()))
    }

    async fn stored_version(&self, call_id: &str) -> Result<Option<StoredVersion>, StoreError> {
        self.header_fields(call_id, "version, sessionPages").await
    }

    /// A few attributes of a call's header (one small consistent `GetItem`); `None` if unknown.
    async fn header_fields<T: serde::de::DeserializeOwned>(
        &self,
        call_id: &str,
        projection: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::call_pk(call_id), keys::CALL_HEADER_SK)))
            .projection_expression(projection)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::request("GetItem", e))?;
        output
            .item
            .map(|item| {
                serde_dynamo::from_item(item)
                    .map_err(|source| StoreError::Corrupt { key: keys::call_pk(call_id), source })
            })
            .transpose()
    }

    async fn commit(&self, call: &PreparedCall, old_pages: u32) -> Result<Commit, StoreError> {
        let header = Put::builder()
            .table_name(&self.table)
            .set_item(Some(call.header.clone()))
            .condition_expression("attribute_not_exists(#pk) OR #version < :version")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", AttributeValue::N(call.version.to_string()))
            .build()
            .expect("table and item are set");
        let pages = call.pages.iter().map(|page| {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(page.clone()))
                .build()
                .expect("table and item are set");
            TransactWriteItem::builder().put(put).build()
        });
        let call_pk = keys::call_pk(&call.call_id);
        let stale_pages = (call.pages.len() as u32..old_pages).map(|n| {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(&call_pk, &keys::session_page_sk(n))))
                .build()
                .expect("table and key are set");
            TransactWriteItem::builder().delete(delete).build()
        });
        let actions: Vec<_> =
            std::iter::once(TransactWriteItem::builder().put(header).build()).chain(pages).chain(stale_pages).collect();
        match self.client.transact_write_items().set_transact_items(Some(actions)).send().await {
            Ok(_) => Ok(Commit::Done),
            Err(error) if cancelled_by_condition(&error) => Ok(Commit::Lost),
            Err(error)
                if cancellation_reasons(&error)
                    .iter()
                    .any(|c| c == "TransactionConflict" || super::is_throttling(c)) =>
            {
                Ok(Commit::Conflict)
            }
            Err(error) => Err(StoreError::request("TransactWriteItems", error)),
        }
    }

    async fn fan_out(&self, call: &PreparedCall) -> Result<(), StoreError> {
        let version = AttributeValue::N(call.version.to_string());
        let expires = AttributeValue::N(call.expires_at.to_string());
        let mut puts = Vec::with_capacity(call.history.len() + call.directory.len());
        let mut uses = Vec::with_capacity(call.subnets.len());
        for usage in &call.subnets {
            uses.push(self.record_subnet_use(usage));
        }
        for item in &call.history {
            puts.push(self.put_if_newer(item, "attribute_not_exists(#pk) OR #v < :v", "version", &version));
        }
        for item in &call.directory {
            puts.push(self.put_if_newer(item, "attribute_not_exists(#pk) OR #v <= :v", EXPIRES_AT, &expires));
        }
        futures::stream::iter(puts).buffer_unordered(FAN_OUT_CONCURRENCY).try_collect::<Vec<_>>().await?;
        futures::stream::iter(uses).buffer_unordered(FAN_OUT_CONCURRENCY).try_collect::<Vec<_>>().await?;
        Ok(())
    }

    /// Puts `item` unless the stored one is as new (`condition` over `#pk` and `#v`, the latter
    /// naming `attribute`); `false` if skipped.
    pub(super) async fn put_if_newer(
        &self,
        item: &Item,
        condition: &str,
        attribute: &str,
        value: &AttributeValue,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression(condition)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#v", attribute)
            .expression_attribute_values(":v", value.clone())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if StoreError::condition_failed(&e) => Ok(false),
            Err(e) => Err(StoreError::request("PutItem", e)),
        }
    }

    /// Publishes the classification of one call version: result pages first (each refusing to
    /// overwrite a newer version's), then the header's rating (only if the header is still at
    /// this version: the commit point), then every participant's history entry. Repeating it
    /// rewrites the same values, so redelivered stream records are harmless.
    pub async fn publish(&self, rated: &PreparedClassification) -> Result<Published, StoreError> {
        let version = AttributeValue::N(rated.version.to_string());
        let mut puts = Vec::with_capacity(rated.pages.len());
        for page in &rated.pages {
            puts.push(self.put_if_newer(page, "attribute_not_exists(#pk) OR #v <= :v", "version", &version));
        }
        let written: Vec<bool> =
            futures::stream::iter(puts).buffer_unordered(FAN_OUT_CONCURRENCY).try_collect().await?;
        if written.contains(&false) {
            return Ok(Published::Superseded);
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(&keys::call_pk(&rated.call_id), keys::CALL_HEADER_SK)))
            .update_expression("SET #rating = :rating, #codes = :codes, #pages = :pages")
            .condition_expression("#version = :version")
            .expression_attribute_names("#rating", "rating")
            .expression_attribute_names("#codes", "issueCodes")
            .expression_attribute_names("#pages", "resultPages")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":rating", to_value(&rated.rating))
            .expression_attribute_values(":codes", to_value(&rated.issue_codes))
            .expression_attribute_values(":pages", AttributeValue::N(rated.pages.len().to_string()))
            .expression_attribute_values(":version", version.clone())
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if StoreError::condition_failed(&e) => {
                return Ok(Published::Superseded);
            }
            Err(e) => return Err(StoreError::request("UpdateItem", e)),
        }
        let mut puts = Vec::with_capacity(rated.history.len());
        for entry in &rated.history {
            puts.push(self.put_if_newer(entry, "attribute_not_exists(#pk) OR #v <= :v", "version", &version));
        }
        futures::stream::iter(puts).buffer_unordered(FAN_OUT_CONCURRENCY).try_collect::<Vec<_>>().await?;
        Ok(Published::Published)
    }

    /// The stored rating of call `call_id` (one small consistent `GetItem`); `None` if unknown.
    pub async fn rating(&self, call_id: &str) -> Result<Option<Rating>, StoreError> {
        #[derive(Deserialize)]
        struct Rated {
            rating: Rating,
        }
        let rated: Option<Rated> = self.header_fields(call_id, "rating").await?;
        Ok(rated.map(|r| r.rating))
    }

    /// One page (one Query) of `user_id`'s calls that started between `from` and `to`, newest
    /// first. Expired entries are dropped, so a page may hold fewer than `limit`.
    pub async fn user_history(
        &self,
        user_id: &str,
        (from, to): (OffsetDateTime, OffsetDateTime),
        limit: i32,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Page<HistoryEntry>, StoreError> {
        let partition = (GSI1PK, keys::history_gsi_pk(user_id));
        self.newest_first(Some(GSI1), partition, GSI1SK, keys::time_range(from, to), limit, start, now).await
    }

    /// One page (one Query) of users whose search token starts with `token_prefix` (already
    /// normalized, non-empty), or of all users alphabetically when `None`.
    pub async fn directory(
        &self,
        token_prefix: Option<&str>,
        limit: i32,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Page<DirectoryEntry>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .filter_expression("#expires > :now")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .limit(limit)
            .set_exclusive_start_key(start);
        let request = match token_prefix {
            Some(prefix) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::name_pk(prefix)))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            None => request
                .key_condition_expression("#pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(keys::USERS_PK.to_owned())),
        };
        let output = request.send().await.map_err(|e| StoreError::request("Query", e))?;
        let entries = read_items(output.items.unwrap_or_default(), "directory")?;
        Ok(Page { entries, last_key: output.last_evaluated_key })
    }

    /// Records one audit entry. A retried request (same time and request id) finds its entry
    /// already there, which is success; no entry is ever overwritten.
    pub async fn write_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let item: Item =
            serde_dynamo::to_item(entry).map_err(|source| StoreError::Corrupt { key: entry.sk.clone(), source })?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if StoreError::condition_failed(&e) => Ok(()),
            Err(e) => Err(StoreError::request("PutItem", e)),
        }
    }

    /// One page (one Query) of audit entries between `from` and `to`, newest first.
    pub async fn audit(
        &self,
        (from, to): (OffsetDateTime, OffsetDateTime),
        limit: i32,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let partition = (PK, keys::AUDIT_PK.to_owned());
        self.newest_first(None, partition, SK, keys::time_range(from, to), limit, start, now).await
    }

    /// The committed version of a call with all its sessions (one Query, paged only if the
    /// call is over 1 MB); `None` if unknown or expired.
    pub async fn call(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<StoredCall>, StoreError> {
        let pk = keys::call_pk(call_id);
        let items = self.partition(&pk, true).await?;
        StoredCall::assemble(&pk, items, now)
    }
}

/// A call partition's items by kind, of whatever version: what reading a call and rewriting one
/// (erasure) both start from.
pub(super) struct CallItems {
    pub header: Option<CallHeader>,
    pub session_pages: Vec<SessionPage>,
    pub result_pages: Vec<ResultPage>,
}

impl CallItems {
    /// Sorts the items of partition `pk` by their sort key's kind.
    pub(super) fn read(pk: &str, items: Vec<Item>) -> Result<Self, StoreError> {
        let corrupt = |source| StoreError::Corrupt { key: pk.to_owned(), source };
        let mut read = Self { header: None, session_pages: Vec::new(), result_pages: Vec::new() };
        for item in items {
            let sk = match item.get(SK) {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => String::new(),
            };
            if sk == keys::CALL_HEADER_SK {
                read.header = Some(serde_dynamo::from_item(item).map_err(corrupt)?);
            } else if sk.starts_with(keys::SESSION_PAGE_PREFIX) {
                read.session_pages.push(serde_dynamo::from_item(item).map_err(corrupt)?);
            } else if sk.starts_with(keys::RESULT_PAGE_PREFIX) {
                read.result_pages.push(serde_dynamo::from_item(item).map_err(corrupt)?);
            }
        }
        Ok(read)
    }
}

impl StoredCall {
    /// The call in `items`, the whole partition `pk`: its header, the pages of the header's
    /// version in order, and the results once rated; `None` without a live header.
    pub fn assemble(pk: &str, items: Vec<Item>, now: OffsetDateTime) -> Result<Option<Self>, StoreError> {
        let CallItems { header, mut session_pages, mut result_pages } = CallItems::read(pk, items)?;
        let Some(header) = header.filter(|h| !crate::retention::is_expired(h.expires_at, now)) else {
            return Ok(None);
        };
        session_pages.retain(|p| p.version == header.version);
        session_pages.sort_by_key(|p| p.page);
        let sessions = session_pages.into_iter().flat_map(|p| p.sessions).collect();
        result_pages.retain(|p| p.version == header.version && p.page < header.result_pages);
        result_pages.sort_by_key(|p| p.page);
        let rated = header.rating != Rating::Pending && result_pages.len() == header.result_pages as usize;
        let results = rated.then(|| result_pages.into_iter().flat_map(|p| p.results).collect());
        Ok(Some(StoredCall { header, sessions, results }))
    }
}

impl DynamoStore {
    /// One page (one Query) of a partition whose sort keys are `<time>#<id>`, newest first,
    /// between `(low, high)`, live items only: a page may hold fewer than `limit`.
    #[allow(clippy::too_many_arguments)]
    async fn newest_first<T: serde::de::DeserializeOwned>(
        &self,
        index: Option<&str>,
        (pk_name, pk): (&str, String),
        sk_name: &str,
        (low, high): (String, String),
        limit: i32,
        start: Option<Item>,
        now: OffsetDateTime,
    ) -> Result<Page<T>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .filter_expression("#expires > :now")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(":low", AttributeValue::S(low))
            .expression_attribute_values(":high", AttributeValue::S(high))
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        let entries = read_items(output.items.unwrap_or_default(), &pk)?;
        Ok(Page { entries, last_key: output.last_evaluated_key })
    }

    /// Every item of partition `pk`: one Query, paged by the SDK past 1 MB.
    pub(super) async fn partition(&self, pk: &str, consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .consistent_read(consistent)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| StoreError::request("Query", e))
    }
}

/// Reads query results as `T`, naming `what` if one is unreadable.
pub(super) fn read_items<T: serde::de::DeserializeOwned>(items: Vec<Item>, what: &str) -> Result<Vec<T>, StoreError> {
    items
        .into_iter()
        .map(|item| {
            serde_dynamo::from_item(item).map_err(|source| StoreError::Corrupt { key: what.to_owned(), source })
        })
        .collect()
}

/// Why each action of a cancelled transaction was cancelled (`None` for those that were not);
/// empty if the error is not a cancellation.
fn cancellation_reasons(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<String> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            cancelled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_owned()).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a transaction was cancelled because its first action's condition failed: the
/// product puts the conditional item (a call's header) first in every transaction.
pub(super) fn cancelled_by_condition(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    cancellation_reasons(error).first().is_some_and(|c| c == "ConditionalCheckFailed")
}

fn to_value<T: Serialize>(value: &T) -> AttributeValue {
    serde_dynamo::to_attribute_value(value).expect("ratings and issue codes always serialize")
}

/// The key of item `pk`/`sk`.
pub(super) fn key_item(pk: &str, sk: &str) -> Item {
    serde_dynamo::to_item(Key { pk, sk }).expect("two strings always serialize")
}

/// Waits a little before retrying a conflicted transaction (5, 10, 20, ... ms).
async fn backoff(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt.min(6))).await;
}
