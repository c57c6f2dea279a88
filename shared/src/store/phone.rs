//! Writing phone-call rows (`docs/data-model.md`, pattern y), and reading a call's partition
//! that may hold one (pattern c).
//!
//! A row is one item, `CALL#<id>` / `#PHONE`, and its user's history entry; it has no versions:
//! Graph may send the same row again (the worker's overlap), unchanged or completed. Write
//! protocol for a body of rows, every row's items prepared and checked before the first write:
//! 1. read the stored rows (consistent `BatchGetItem`): a row stored with the same content and
//!    user is `unchanged`, and nothing of it is written again;
//! 2. for the others, before their commit: the party index entries of both numbers (what an
//!    erasure of a number reads) and the user's history entry (`BatchWriteItem`, 25 at a time:
//!    both are the row's alone, written from its content), then the users' directory entries
//!    that are missing or would expire earlier (one read for all, as for calls);
//! 3. commit: put each row item, guarded on what step 1 read (absent, or ingested at the time
//!    read), so of two writers of one row neither overwrites what it did not read. A retry after
//!    an interruption finds the row not committed and does it all again.

use super::StoreError;
use super::client::{DynamoStore, Item, WriteGuard, from_item, key_item};
use super::items::{HistoryItem, IndexedKeys, PartyIndexItem, PhoneItem};
use super::keys;
use super::prepare::{DIRECTORY_SLACK, PartyWrites, UserDirectory, to_item, within_limits};
use crate::domain::calls::StoredCall;
use crate::domain::graph::Party;
use crate::domain::phone::PhoneCall;
use crate::domain::problem::Problem;
use crate::domain::retention;
use futures::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// How many rows are committed concurrently.
const COMMIT_CONCURRENCY: usize = 16;
/// How often one row's commit is tried when another writer changes it meanwhile.
const COMMIT_ATTEMPTS: u32 = 5;

/// What storing one row did (the API says it as `app::phone::RowStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneStatus {
    /// The row was not stored.
    Created,
    /// The row was stored with other content (or another user); it is replaced.
    Updated,
    /// The row was stored as it is: nothing was written.
    Unchanged,
}

/// The items of one row of a user, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedPhone {
    /// The row item.
    pub row: PhoneItem,
    item: Item,
    history: Item,
    /// The party index entries of the row's numbers.
    index: Vec<Item>,
    directory: UserDirectory,
}

impl PreparedPhone {
    /// Every item of `call`, the row of `user` (a user of the home tenant), ingested at `now`.
    /// Fails, naming the path, when the row cannot be stored within DynamoDB's limits.
    pub fn new(call: PhoneCall, user: &Party, now: OffsetDateTime) -> Result<Self, Problem> {
        let expires_at = retention::call_expires_at(call.end()).unix_timestamp();
        let row = PhoneItem {
            pk: keys::call_pk(call.id()),
            sk: keys::PHONE_SK.to_owned(),
            phone: call,
            user_id: user.id.clone(),
            ingested_at: now,
            expires_at,
        };
        let (caller, callee) = row.phone.numbers();
        let numbers = caller.into_iter().chain(callee.filter(|n| Some(*n) != caller));
        let index = numbers
            .map(|number| {
                to_item(&PartyIndexItem {
                    pk: keys::party_pk(number),
                    sk: keys::history_sk(row.phone.id()),
                    call_id: row.phone.id().to_owned(),
                    organizer: false,
                    expires_at,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let prepared = Self {
            item: to_item(&row)?,
            history: to_item(&history_item(&row))?,
            index,
            directory: UserDirectory::of(user, expires_at + DIRECTORY_SLACK.whole_seconds())?,
            row,
        };
        within_limits(
            [&prepared.item, &prepared.history].into_iter().chain(&prepared.index).chain(&prepared.directory.items),
        )?;
        Ok(prepared)
    }

    /// Whether `stored` holds this very row: the same content, of the same user.
    fn same_as(&self, stored: &PhoneItem) -> bool {
        stored.phone == self.row.phone && stored.user_id == self.row.user_id
    }
}

/// The history entry of `row` in its user's history, kept as long as the row.
pub(super) fn history_item(row: &PhoneItem) -> HistoryItem {
    let (id, start) = (row.phone.id(), row.phone.start());
    HistoryItem {
        keys: IndexedKeys {
            pk: keys::user_pk(&row.user_id),
            sk: keys::history_sk(id),
            gsi1pk: keys::history_gsi_pk(&row.user_id),
            gsi1sk: keys::history_gsi_sk(start, id),
        },
        user_id: row.user_id.clone(),
        // Rows have no versions: every write of one is of its whole content.
        version: 0,
        entry: row.phone.history_entry(),
        expires_at: row.expires_at,
    }
}

/// A stored row, and its `ingestedAt` as stored (what a rewrite is guarded on).
pub(super) struct StoredRow {
    pub row: PhoneItem,
    pub ingested_at: String,
}

impl StoredRow {
    /// The row item among `items` of partition `pk`, if there is one.
    pub(super) fn find(pk: &str, items: &[Item]) -> Result<Option<Self>, StoreError> {
        let phone = items
            .iter()
            .find(|item| item.get(keys::SK).and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk == keys::PHONE_SK));
        phone.map(|item| Self::read(pk, item.clone())).transpose()
    }

    fn read(pk: &str, item: Item) -> Result<Self, StoreError> {
        let ingested_at = item.get("ingestedAt").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        Ok(Self { row: from_item(item, pk)?, ingested_at })
    }
}

/// What a call's partition holds: a Teams call, or a phone-call row in its place.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    Call(Box<StoredCall>),
    Phone(Box<PhoneItem>),
}

impl Stored {
    /// Whether `user_id` took part as a user of `home_tenant`: a call's party, or a row's user.
    pub fn involves(&self, user_id: &str, home_tenant: &str) -> bool {
        match self {
            Self::Call(call) => call.summary.involves(user_id, home_tenant),
            Self::Phone(row) => row.user_id == user_id,
        }
    }

    /// When the call started.
    pub fn start(&self) -> OffsetDateTime {
        match self {
            Self::Call(call) => call.summary.start_date_time,
            Self::Phone(row) => row.phone.start(),
        }
    }

    /// When every item about it expires (epoch seconds).
    pub fn expires_at(&self) -> i64 {
        match self {
            Self::Call(call) => super::items::call_expiry(&call.summary),
            Self::Phone(row) => row.expires_at,
        }
    }
}

impl DynamoStore {
    /// The call or phone-call row stored under `call_id` (one Query, as [`Self::call`]); `None`
    /// if unknown or expired.
    pub async fn stored_call(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<Stored>, StoreError> {
        let pk = keys::call_pk(call_id);
        let items = self.partition(&pk, true).await?;
        let row = StoredRow::find(&pk, &items)?.filter(|stored| !retention::is_expired(stored.row.expires_at, now));
        // A Teams call that came to share a row's id keeps its detail (ingest refuses the reverse).
        Ok(match super::calls::assemble(&pk, items, now)? {
            Some(call) => Some(Stored::Call(Box::new(call))),
            None => row.map(|stored| Stored::Phone(Box::new(stored.row))),
        })
    }

    /// Stores every row of `rows` (distinct ids), in order: what each came to.
    pub async fn store_phone_rows(&self, rows: &[PreparedPhone]) -> Result<Vec<PhoneStatus>, StoreError> {
        let pks: Vec<&str> = rows.iter().map(|r| r.row.pk.as_str()).collect();
        let mut stored = self.stored_rows(&pks).await?;
        let changed: Vec<&PreparedPhone> =
            rows.iter().filter(|r| !stored.get(&r.row.pk).is_some_and(|s| r.same_as(&s.row))).collect();
        let index: Vec<Item> = changed.iter().flat_map(|r| r.index.iter().cloned()).collect();
        self.batch_put(&index).await?;
        let history: Vec<Item> = changed.iter().map(|r| r.history.clone()).collect();
        self.batch_put(&history).await?;
        // Each user once, by their latest row.
        let mut users: HashMap<&str, &UserDirectory> = HashMap::new();
        for directory in changed.iter().map(|r| &r.directory) {
            let user = users.entry(directory.user_id.as_str()).or_insert(directory);
            if directory.expires_at > user.expires_at {
                *user = directory;
            }
        }
        let directory = users.into_values().cloned().collect();
        self.remember_parties(&PartyWrites { directory, subnets: Vec::new(), index: Vec::new() }).await?;
        let commits: Vec<_> = changed.iter().map(|row| self.commit_row(row, stored.remove(&row.row.pk))).collect();
        let mut committed: HashMap<String, PhoneStatus> =
            futures::stream::iter(commits).buffer_unordered(COMMIT_CONCURRENCY).try_collect().await?;
        Ok(rows.iter().map(|r| committed.remove(&r.row.pk).unwrap_or(PhoneStatus::Unchanged)).collect())
    }

    /// Puts the row item of `row`, guarded on `stored` (what was read of it); if another writer
    /// changed it meanwhile, reads it again. A previous user's history entry of the row goes.
    async fn commit_row(
        &self,
        row: &PreparedPhone,
        mut stored: Option<StoredRow>,
    ) -> Result<(String, PhoneStatus), StoreError> {
        for _ in 0..COMMIT_ATTEMPTS {
            let status = match &stored {
                Some(s) if row.same_as(&s.row) => return Ok((row.row.pk.clone(), PhoneStatus::Unchanged)),
                Some(_) => PhoneStatus::Updated,
                None => PhoneStatus::Created,
            };
            let guard = stored.as_ref().map_or(WriteGuard::Absent, |s| WriteGuard::IngestedAt(&s.ingested_at));
            if self.put_guarded(row.item.clone(), guard).await? {
                if let Some(before) = stored.filter(|s| s.row.user_id != row.row.user_id) {
                    self.delete(&keys::user_pk(&before.row.user_id), &keys::history_sk(row.row.phone.id())).await?;
                }
                return Ok((row.row.pk.clone(), status));
            }
            stored = self.stored_rows(&[row.row.pk.as_str()]).await?.remove(&row.row.pk);
        }
        Err(StoreError::Contention { what: "a phone-call row" })
    }

    /// The stored rows of partitions `pks`, by partition (consistent reads, 100 keys a request).
    /// The phone-call row `call_id` (one `GetItem`); `None` if unknown or expired.
    pub async fn phone_row(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<PhoneItem>, StoreError> {
        let row: Option<PhoneItem> = self.get(&keys::call_pk(call_id), keys::PHONE_SK).await?;
        Ok(row.filter(|row| !retention::is_expired(row.expires_at, now)))
    }

    /// Which of the ids `call_ids` are those of stored Teams calls (their header's partition):
    /// a phone row may not take a call's id, or the row would shadow the call.
    pub async fn teams_calls_among(&self, call_ids: &[&str]) -> Result<HashSet<String>, StoreError> {
        let headers = call_ids.iter().map(|id| key_item(&keys::call_pk(id), keys::CALL_HEADER_SK));
        let found: HashSet<String> = self
            .batch_get(headers, &[keys::PK], true)
            .await?
            .into_iter()
            .filter_map(|item| item.get(keys::PK).and_then(|v| v.as_s().ok()).cloned())
            .collect();
        Ok(call_ids.iter().filter(|id| found.contains(&keys::call_pk(id))).map(|id| (*id).to_owned()).collect())
    }

    async fn stored_rows(&self, pks: &[&str]) -> Result<HashMap<String, StoredRow>, StoreError> {
        let keys: Vec<Item> = pks.iter().map(|pk| key_item(pk, keys::PHONE_SK)).collect();
        let mut rows = HashMap::new();
        for item in self.batch_get(keys, &[], true).await? {
            let pk = item.get(keys::PK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let row = StoredRow::read(&pk, item)?;
            rows.insert(pk, row);
        }
        Ok(rows)
    }
}
