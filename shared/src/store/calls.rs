//! Writing and reading one call.
//!
//! Write protocol for one call version (see `docs/data-model.md`):
//! 1. read the stored version (consistent `GetItem`): equal → `unchanged` (only step 5 again),
//!    higher → `stale` (nothing is written);
//! 2. put the version's session pages, under keys of their own version (`BatchWriteItem`: no
//!    other writer puts anything else there), so the committed version's pages stay untouched;
//! 3. read which users' directory entries and which subnets of the day are known already
//!    (`BatchGetItem`), and write only the rest: new or renamed users, entries that would expire
//!    before the call, subnets not yet sampled enough that day;
//! 4. commit: put the header, guarded by [`WriteGuard::NewerVersion`]. Readers follow the header
//!    to its version's pages, so the record is seen whole or not at all, and a lower version can
//!    never overwrite a higher one however requests race. A retry after an interruption before
//!    the commit finds no header of this version and does everything again;
//! 5. put the history entries (pending), guarded by the version: so they appear only for
//!    committed versions. They are idempotent, so a retry of the same request (`unchanged`)
//!    repeats them and repairs an interrupted fan-out.
//!
//! Publishing a classification writes result pages, then the header's rating (the commit
//! point, guarded by the version), then the rated history entries.

use super::StoreError;
use super::client::{DynamoStore, Item, WriteGuard, key_item, read_items, to_value};
use super::items::{CallHeader, PartyPage, ResultPage, SessionPage};
use super::keys::{self, SK};
use super::prepare::{PartyWrites, PreparedCall, PreparedClassification};
use super::subnets::SUBNET_SAMPLE_CAP;
use crate::domain::calls::StoredCall;
use crate::domain::classify::Rating;
use crate::domain::graph::Party;
use crate::domain::retention;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use time::OffsetDateTime;

/// What storing one call record did (the API says it as `app::ingest::RecordStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
/// How often a commit is tried when concurrent writers of the same call keep committing first.
const COMMIT_ATTEMPTS: u32 = 5;

#[derive(Deserialize)]
struct StoredVersion {
    version: i64,
}

/// What the store holds already of a call's directory entries and subnets.
struct Known {
    /// Listing sort key → expiry.
    listings: std::collections::HashMap<String, i64>,
    /// (day partition, subnet) → calls sampled.
    subnets: std::collections::HashMap<(String, String), usize>,
}

impl Known {
    fn read(items: Vec<Item>) -> Self {
        let text = |item: &Item, name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let mut known = Self { listings: Default::default(), subnets: Default::default() };
        for item in items {
            let (pk, sk) = (text(&item, keys::PK), text(&item, SK));
            if pk == keys::USERS_PK {
                let expiry = item.get(keys::EXPIRES_AT).and_then(|v| v.as_n().ok()?.parse().ok());
                known.listings.insert(sk, expiry.unwrap_or(0));
            } else {
                let seen = item.get("seen").and_then(|v| v.as_ss().ok()).map_or(0, Vec::len);
                known.subnets.insert((pk, sk), seen);
            }
        }
        known
    }

    /// Whether the listing entry `sk` is stored and lives at least until `expires_at`: then so
    /// do the user's token entries, written with it.
    fn lists_until(&self, sk: &str, expires_at: i64) -> bool {
        self.listings.get(sk).is_some_and(|at| *at >= expires_at)
    }

    /// Whether the subnet has as many calls sampled that day as the report keeps.
    fn sampled(&self, pk: &str, subnet: &str) -> bool {
        self.subnets.get(&(pk.to_owned(), subnet.to_owned())).is_some_and(|n| *n >= SUBNET_SAMPLE_CAP)
    }
}

impl DynamoStore {
    /// Stores one call version if it is newer than what is stored.
    pub async fn upsert(&self, call: &PreparedCall) -> Result<UpsertStatus, StoreError> {
        for _ in 0..COMMIT_ATTEMPTS {
            let stored: Option<StoredVersion> = self.header_fields(&call.writes.call_id, "version").await?;
            let status = match &stored {
                Some(s) if s.version > call.writes.version => return Ok(UpsertStatus::Stale),
                Some(s) if s.version == call.writes.version => UpsertStatus::Unchanged,
                Some(_) => UpsertStatus::Updated,
                None => UpsertStatus::Created,
            };
            if status != UpsertStatus::Unchanged {
                self.batch_put(&call.writes.pages).await?;
                self.remember_parties(&call.parties, call.expires_at).await?;
                if !self.put_guarded(call.header.clone(), WriteGuard::NewerVersion(call.writes.version)).await? {
                    // Another writer committed this version or a newer one first: read which.
                    continue;
                }
            }
            let history = call.writes.history.iter().map(|item| (item, WriteGuard::NewerVersion(call.writes.version)));
            self.put_all(history).await?;
            return Ok(status);
        }
        Err(StoreError::Contention { what: "a call" })
    }

    /// A few attributes of a call's header (one small consistent `GetItem`); `None` if unknown.
    async fn header_fields<T: serde::de::DeserializeOwned>(
        &self,
        call_id: &str,
        projection: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_projected(&keys::call_pk(call_id), keys::CALL_HEADER_SK, Some(projection)).await
    }

    /// Writes the directory entries and subnet samples of `parties` that are not stored already
    /// (a listing entry counts only if it lives until `expires_at`, the call's expiry), after one
    /// eventually consistent read of the users' listing entries and the day's subnets.
    async fn remember_parties(&self, parties: &PartyWrites, expires_at: i64) -> Result<(), StoreError> {
        let listings = parties.directory.iter().map(|d| key_item(keys::USERS_PK, &d.listing_sk));
        let subnets = parties.subnets.iter().map(|u| key_item(&u.pk, &u.subnet));
        let known = Known::read(
            self.batch_get(listings.chain(subnets), &[keys::PK, SK, keys::EXPIRES_AT, "seen"], false).await?,
        );
        let mut directory: Vec<(&Item, WriteGuard)> = Vec::new();
        for user in parties.directory.iter().filter(|d| !known.lists_until(&d.listing_sk, expires_at)) {
            directory.extend(user.items.iter().map(|item| (item, WriteGuard::NotEarlierExpiry(user.expires_at))));
        }
        self.put_all(directory.into_iter()).await?;
        let uses: Vec<_> = parties
            .subnets
            .iter()
            .filter(|u| !known.sampled(&u.pk, &u.subnet))
            .map(|usage| self.record_subnet_use(usage))
            .collect();
        futures::stream::iter(uses).buffer_unordered(FAN_OUT_CONCURRENCY).try_collect::<Vec<_>>().await?;
        Ok(())
    }

    /// Puts every item under its guard, concurrently; whether each was written, in order.
    pub(super) async fn put_all<'a>(
        &self,
        writes: impl Iterator<Item = (&'a Item, WriteGuard<'a>)>,
    ) -> Result<Vec<bool>, StoreError> {
        let puts: Vec<_> = writes.map(|(item, guard)| self.put_guarded(item.clone(), guard)).collect();
        futures::stream::iter(puts).buffered(FAN_OUT_CONCURRENCY).try_collect().await
    }

    /// Publishes the classification of one call version: result pages first (each refusing to
    /// overwrite a newer version's), then the header's rating (only if the header is still at
    /// this version: the commit point), then every participant's history entry. Repeating it
    /// rewrites the same values, so redelivered stream records are harmless.
    pub async fn publish(&self, rated: &PreparedClassification) -> Result<Published, StoreError> {
        let guard = WriteGuard::NotOlderVersion(rated.writes.version);
        if self.put_all(rated.writes.pages.iter().map(|page| (page, guard))).await?.contains(&false) {
            return Ok(Published::Superseded);
        }
        let update = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_item(&keys::call_pk(&rated.writes.call_id), keys::CALL_HEADER_SK)))
            .update_expression("SET #rating = :rating, #codes = :codes, #pages = :pages, #counts = :counts")
            .expression_attribute_names("#rating", "rating")
            .expression_attribute_names("#codes", "issueCodes")
            .expression_attribute_names("#pages", "resultPages")
            .expression_attribute_names("#counts", "sessionRatings")
            .expression_attribute_values(":rating", to_value(&rated.rating))
            .expression_attribute_values(":codes", to_value(&rated.issue_codes))
            .expression_attribute_values(":pages", AttributeValue::N(rated.writes.pages.len().to_string()))
            .expression_attribute_values(":counts", to_value(&rated.session_ratings));
        let result = WriteGuard::AtVersion(rated.writes.version).on_update(update).send().await;
        match result {
            Ok(_) => {}
            Err(e) if StoreError::condition_failed(&e) => return Ok(Published::Superseded),
            Err(e) => return Err(StoreError::request("UpdateItem", e)),
        }
        self.put_all(rated.writes.history.iter().map(|entry| (entry, guard))).await?;
        Ok(Published::Published)
    }

    /// The parties of the call version `header` commits: read from its party pages (one
    /// consistent `BatchGetItem`), or the header's own for a header written before party pages.
    pub async fn call_parties(&self, mut header: CallHeader) -> Result<Vec<Party>, StoreError> {
        if header.party_pages > 0 {
            let version = header.summary.version;
            let keys = (0..header.party_pages).map(|n| key_item(&header.pk, &keys::party_page_sk(version, n)));
            let pages: Vec<PartyPage> = read_items(self.batch_get(keys, &[], true).await?, &header.pk)?;
            header.restore_parties(pages);
        }
        Ok(header.summary.parties)
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

    /// The committed version of a call with all its sessions (one Query, paged
    /// only if the call is over 1 MB); `None` if unknown or expired.
    pub async fn call(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<StoredCall>, StoreError> {
        let pk = keys::call_pk(call_id);
        let items = self.partition(&pk, true).await?;
        assemble(&pk, items, now)
    }
}

/// The call in `items`, the whole partition `pk`: its header, the pages of the header's version
/// in order, and the results once rated; `None` without a live header.
pub fn assemble(pk: &str, items: Vec<Item>, now: OffsetDateTime) -> Result<Option<StoredCall>, StoreError> {
    let CallItems { header, mut session_pages, party_pages, mut result_pages } = CallItems::read(pk, items)?;
    let Some(mut header) = header.filter(|h| !retention::is_expired(h.expires_at, now)) else {
        return Ok(None);
    };
    let version = header.summary.version;
    header.restore_parties(party_pages);
    session_pages.retain(|p| p.head.version == version);
    session_pages.sort_by_key(|p| p.head.page);
    let sessions = session_pages.into_iter().flat_map(|p| p.sessions).collect();
    result_pages.retain(|p| p.head.version == version && p.head.page < header.result_pages);
    result_pages.sort_by_key(|p| p.head.page);
    let rated = header.summary.rating != Rating::Pending && result_pages.len() == header.result_pages as usize;
    let results = rated.then(|| result_pages.into_iter().flat_map(|p| p.results).collect());
    Ok(Some(StoredCall { summary: header.summary, sessions, results }))
}

/// A call partition's items by kind, of whatever version: what reading a call and rewriting one
/// (erasure) both start from.
pub(super) struct CallItems {
    pub header: Option<CallHeader>,
    pub session_pages: Vec<SessionPage>,
    pub party_pages: Vec<PartyPage>,
    pub result_pages: Vec<ResultPage>,
}

impl CallItems {
    /// Sorts the items of partition `pk` by their sort key's kind.
    pub(super) fn read(pk: &str, items: Vec<Item>) -> Result<Self, StoreError> {
        let mut headers = Vec::new();
        let mut sessions = Vec::new();
        let mut results = Vec::new();
        let mut parties = Vec::new();
        for item in items {
            let sk = item.get(SK).and_then(|sk| sk.as_s().ok()).map(String::as_str).unwrap_or_default();
            if sk == keys::CALL_HEADER_SK {
                headers.push(item);
            } else if sk.starts_with(keys::SESSION_PAGE_PREFIX) {
                sessions.push(item);
            } else if sk.starts_with(keys::RESULT_PAGE_PREFIX) {
                results.push(item);
            } else if sk.starts_with(keys::PARTY_PAGE_PREFIX) {
                parties.push(item);
            }
        }
        Ok(Self {
            header: read_items(headers, pk)?.pop(),
            session_pages: read_items(sessions, pk)?,
            party_pages: read_items(parties, pk)?,
            result_pages: read_items(results, pk)?,
        })
    }
}

/// A transaction's put of `item` under `guard`.
pub(super) fn guarded_put(table: &str, item: Item, guard: WriteGuard<'_>) -> TransactWriteItem {
    let condition = guard.condition();
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition.expression)
        .set_expression_attribute_names(Some(condition.names))
        .set_expression_attribute_values(condition.values)
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(put).build()
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

/// Whether a transaction was cancelled because its first action's guard failed: the product
/// puts the guarded item (a call's header) first in every transaction.
pub(super) fn cancelled_by_condition(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    cancellation_reasons(error).first().is_some_and(|c| c == "ConditionalCheckFailed")
}
