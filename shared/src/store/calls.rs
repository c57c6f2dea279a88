//! Writing and reading one call.
//!
//! Write protocol for one call version (see `docs/data-model.md`):
//! 1. read the stored version (consistent `GetItem`): equal → `unchanged` (only step 5 again),
//!    higher → `stale` (nothing is written);
//! 2. put the party index entries of the parties without a history (guests, other tenants'
//!    users, phones, applications: what an erasure of them reads), then the version's session
//!    pages, under keys of their own version (`BatchWriteItem`: no
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
use super::prepare::{DIRECTORY_SLACK, PartyWrites, PreparedCall, PreparedClassification, UserDirectory};
use super::subnets::SUBNET_SAMPLE_CAP;
use crate::domain::calls::{IndexedSession, StoredCall};
use crate::domain::classify::Rating;
use crate::domain::classify::SessionResult;
use crate::domain::graph::Session;
use crate::domain::retention;
use crate::domain::views::detail::SessionFilter;
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
                // Everyone named but the home users is indexed before the version that names
                // them commits, so an erasure always finds the call (a replay finds it committed,
                // so indexed: it writes none).
                let index = call.parties.index.iter().map(|item| (item, WriteGuard::NotEarlierExpiry(call.expires_at)));
                self.put_all(index).await?;
                self.batch_put(&call.writes.pages).await?;
                self.remember_parties(&call.parties).await?;
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
    /// (a listing entry counts only if it lives until the call it is written for expires), after
    /// one eventually consistent read of the users' listing entries and the day's subnets.
    pub(super) async fn remember_parties(&self, parties: &PartyWrites) -> Result<(), StoreError> {
        let listings = parties.directory.iter().map(|d| key_item(keys::USERS_PK, &d.listing_sk));
        let subnets = parties.subnets.iter().map(|u| key_item(&u.pk, &u.subnet));
        let known = Known::read(
            self.batch_get(listings.chain(subnets), &[keys::PK, SK, keys::EXPIRES_AT, "seen"], false).await?,
        );
        let mut directory: Vec<(&Item, WriteGuard)> = Vec::new();
        let call_expiry = |d: &UserDirectory| d.expires_at - DIRECTORY_SLACK.whole_seconds();
        for user in parties.directory.iter().filter(|d| !known.lists_until(&d.listing_sk, call_expiry(d))) {
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
            .update_expression(
                "SET #rating = :rating, #codes = :codes, #pages = :pages, #pageCounts = :pageCounts, #counts = :counts",
            )
            .expression_attribute_names("#rating", "rating")
            .expression_attribute_names("#codes", "issueCodes")
            .expression_attribute_names("#pages", "resultPages")
            .expression_attribute_names("#pageCounts", "resultPageCounts")
            .expression_attribute_names("#counts", "sessionRatings")
            .expression_attribute_values(":rating", to_value(&rated.rating))
            .expression_attribute_values(":codes", to_value(&rated.issue_codes))
            .expression_attribute_values(":pages", AttributeValue::N(rated.writes.pages.len().to_string()))
            .expression_attribute_values(":pageCounts", to_value(&rated.result_page_counts))
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

    /// `header` with the parties of the call version it commits: read from its party pages (one
    /// consistent `BatchGetItem`), or its own for a header written before party pages.
    pub async fn with_parties(&self, mut header: CallHeader) -> Result<CallHeader, StoreError> {
        if header.party_pages > 0 {
            let version = header.summary.version;
            let keys = (0..header.party_pages).map(|n| key_item(&header.pk, &keys::party_page_sk(version, n)));
            let pages: Vec<PartyPage> = read_items(self.batch_get(keys, &[], true).await?, &header.pk)?;
            header.restore_parties(pages);
        }
        Ok(header)
    }

    /// The live header of call `call_id` with its parties, without its sessions or results (a
    /// consistent `GetItem`, and its party pages as [`Self::with_parties`] reads them); `None`
    /// if unknown or expired.
    pub async fn call_head(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<CallHeader>, StoreError> {
        let header: Option<CallHeader> = self.get(&keys::call_pk(call_id), keys::CALL_HEADER_SK).await?;
        match header.filter(|h| !retention::is_expired(h.expires_at, now)) {
            Some(header) => Ok(Some(self.with_parties(header).await?)),
            None => Ok(None),
        }
    }

    /// The sessions of the call version `header` commits that `filter` selects (at most
    /// [`SessionFilter::wanted`]), each with its result once rated: read from the pages that
    /// hold them, a few session pages (and the result pages beside them) per
    /// consistent `BatchGetItem`, until enough are found or the call ends. A header written
    /// before page counts has its call read whole.
    pub async fn selected_sessions(
        &self,
        header: &CallHeader,
        filter: &SessionFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<IndexedSession>, StoreError> {
        if !header.counts_pages() {
            let stored = self.call(&header.summary.call_id, now).await?;
            return Ok(stored.map(|s| filter.select(&s)).unwrap_or_default());
        }
        let total: usize = header.session_page_counts.iter().map(|&c| c as usize).sum();
        let mut selected = Vec::new();
        let mut at = filter.start;
        while at < total && selected.len() < filter.wanted() {
            let (pages, read) =
                covering(&header.session_page_counts, at..at + filter.wanted() - selected.len(), PAGES_PER_READ);
            let run = self.session_run(header, pages, read.clone()).await?;
            let results = run.results.map(|r| r.into_iter().map(Some)).into_iter().flatten();
            let sessions = run.sessions.into_iter().zip(results.chain(std::iter::repeat_with(|| None)));
            for (index, (session, result)) in (read.start..).zip(sessions).skip(at - read.start) {
                if selected.len() < filter.wanted() && filter.selects(result.as_ref()) {
                    selected.push(IndexedSession { index, session, result });
                }
            }
            at = read.end;
        }
        Ok(selected)
    }

    /// Session pages `pages` of the version `header` commits, which hold sessions `read`, and
    /// once rated their results (from the result pages that cover them), in one `BatchGetItem`.
    async fn session_run(
        &self,
        header: &CallHeader,
        pages: std::ops::Range<u32>,
        read: std::ops::Range<usize>,
    ) -> Result<StoredRun, StoreError> {
        let (pk, version) = (&header.pk, header.summary.version);
        let rated = header.summary.rating != Rating::Pending;
        let (result_pages, results_read) = covering(&header.result_page_counts, read.clone(), usize::MAX);
        let result_pages = if rated { result_pages } else { 0..0 };
        let keys = pages
            .clone()
            .map(|n| key_item(pk, &keys::session_page_sk(version, n)))
            .chain(result_pages.clone().map(|n| key_item(pk, &keys::result_page_sk(n))));
        let CallItems { mut session_pages, result_pages: mut results, .. } =
            CallItems::read(pk, self.batch_get(keys, &[], true).await?)?;
        session_pages.retain(|p| p.head.version == version);
        session_pages.sort_by_key(|p| p.head.page);
        let sessions: Vec<Session> = session_pages.into_iter().flat_map(|p| p.sessions).collect();
        if sessions.len() != read.len() {
            let detail = format!("pages {pages:?} hold {} sessions, the header counts {}", sessions.len(), read.len());
            return Err(StoreError::PagesOutOfStep { key: pk.clone(), detail });
        }
        // Result pages are keyed without a version: a newer version's classification may have
        // replaced them since the header was read. Then, as a whole read would, none count.
        results.retain(|p| p.head.version == version);
        results.sort_by_key(|p| p.head.page);
        let whole = rated && results.len() == result_pages.len();
        let results = whole.then(|| {
            let skip = read.start - results_read.start;
            results.into_iter().flat_map(|p| p.results).skip(skip).take(read.len()).collect()
        });
        Ok(StoredRun { sessions, results })
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

/// Some consecutive sessions of a call as their pages hold them, with their results once rated.
struct StoredRun {
    sessions: Vec<Session>,
    results: Option<Vec<SessionResult>>,
}

/// Most session pages one read of a page of sessions asks for at once: a rating filter that
/// few sessions match reads on a few pages at a time, never holding the whole call.
const PAGES_PER_READ: usize = 4;

/// The pages, of a list packed in pages of `counts` items, that hold items `wanted` (at most
/// `most` from the first), and the items those pages hold.
fn covering(
    counts: &[u32],
    wanted: std::ops::Range<usize>,
    most: usize,
) -> (std::ops::Range<u32>, std::ops::Range<usize>) {
    let starts: Vec<usize> = counts
        .iter()
        .scan(0, |at, &count| {
            let start = *at;
            *at += count as usize;
            Some(start)
        })
        .collect();
    let total = starts.last().map_or(0, |last| last + *counts.last().unwrap_or(&0) as usize);
    let first = starts.partition_point(|&s| s <= wanted.start).saturating_sub(1);
    let end = starts
        .partition_point(|&s| s < wanted.end)
        .clamp(first + 1, first.saturating_add(most.max(1)))
        .min(counts.len());
    let items = starts.get(first).copied().unwrap_or(total)..starts.get(end).copied().unwrap_or(total);
    (first as u32..end as u32, items)
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
pub(super) fn cancellation_reasons(error: &SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::{PAGES_PER_READ, covering};

    #[test]
    fn the_pages_covering_a_range_are_found_from_the_counts() {
        let counts = [3, 2, 4, 1, 5, 2];
        // Inside one page; across two; ending exactly at a page's end; from a page's start.
        assert_eq!(covering(&counts, 0..2, PAGES_PER_READ), (0..1, 0..3));
        assert_eq!(covering(&counts, 2..4, PAGES_PER_READ), (0..2, 0..5));
        assert_eq!(covering(&counts, 3..5, PAGES_PER_READ), (1..2, 3..5));
        assert_eq!(covering(&counts, 5..6, PAGES_PER_READ), (2..3, 5..9));
        // Past the end: to the last page; more pages than one read takes: the first few.
        assert_eq!(covering(&counts, 14..40, PAGES_PER_READ), (4..6, 10..17));
        assert_eq!(covering(&counts, 0..17, PAGES_PER_READ), (0..4, 0..10));
        assert_eq!(covering(&counts, 0..17, usize::MAX), (0..6, 0..17));
        assert_eq!(covering(&[], 0..3, usize::MAX), (0..0, 0..0));
    }
}
