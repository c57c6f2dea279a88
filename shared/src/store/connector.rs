//! The Graph connector's queue markers and kept pages, in the table. The work itself travels on
//! the SQS work queues (`crate::queue`); here is what a queue cannot do alone:
//!
//! - a marker per queued fetch (`GRAPHFETCH#<callId>`), written before its message is sent:
//!   while it is pending (queued, not taken), another notification for the same call queues
//!   nothing, so duplicates in flight cost one fetch. It carries a nonce that its message
//!   repeats: the worker takes only the latest queuing. A marker pending longer than
//!   [`STALE_FETCH`] no longer blocks (its message was most likely never sent);
//! - a marker per job of one kind (`GRAPHJOB#<kind>`, [`Job::once_key`]): a thousand `missed`
//!   events queue one reconciliation;
//! - dead letters: fetches Graph or ingest refused, kept 30 days with their reason;
//! - the keeper's subscription state.
//!
//! A fetch that has to stop before its record is whole (Graph's per-record limits, a throttle,
//! the invocation's deadline) keeps what it fetched under `GRAPHPAGES#<callId>`: each page's
//! items as a deflated chunk, and the [`Progress`] (where to go on, which chunks are its own)
//! written last, on the condition that no other run saved meanwhile. Its message is sent again
//! (`crate::app::dispatch`) with a time before which it should not go on, which the queue holds
//! it back for.

use super::client::{Page, Partition, WriteGuard, key_item, read_items, to_item};
use super::keys::{self, EXPIRES_AT};
use super::{DynamoStore, StoreError};
use crate::domain::access::cursor::PageKey;
use crate::domain::connector::{FetchState, Items, Job, Lane, Part, PhoneLog, Reading, Work};
use crate::domain::problem::json_value_free;
use crate::domain::retention;
use crate::support::clock::rfc3339;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use time::{Duration, OffsetDateTime};

/// How long a queue marker lives: as long as the queues keep a message (14 days), so a message
/// that waited that long still finds its marker.
pub const QUEUE_ITEM_LIFETIME: Duration = Duration::days(14);
/// How long a pending fetch keeps the same id from being queued again. A fetch is taken within
/// minutes, so one still pending after ten was most likely lost (its sender stopped between
/// marking it and sending its message) and must not block the call: the next notification or
/// reconciliation queues it again. Queuing one that was only slow costs a second message, no
/// second fetch: the worker takes only the latest queuing (its nonce).
pub const STALE_FETCH: Duration = Duration::minutes(10);
/// Queue writes in flight at once for one delivery.
const QUEUE_CONCURRENCY: usize = 16;
/// The most deflated bytes one kept chunk holds (a DynamoDB item holds 400 KB): a larger page
/// is split.
pub const CHUNK_BYTES: usize = 350 * 1024;
/// Kept chunks deleted at once when a fetch is done.
const DELETE_CONCURRENCY: usize = 8;

/// A queued fetch of one call record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    /// Names this queuing; its message carries it, and the worker takes only the latest.
    pub nonce: String,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    /// When the worker took it: a taken fetch is no longer pending, so the next notification
    /// for the id queues it again, while duplicates before that cost no second fetch.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<OffsetDateTime>,
    pub expires_at: i64,
}

/// The marker of a queued job of one kind ([`Job::once_key`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub job: Job,
    /// When it was queued (unix seconds): a job of one kind ([`Job::once_key`]) queued longer
    /// ago than [`STALE_JOB`] no longer stands in the way of a new one.
    #[serde(default)]
    pub queued_at: i64,
    pub expires_at: i64,
}

/// How long a queued job of one kind keeps another from being queued: a job is taken within
/// minutes, so one still there after this was lost (its message gone to the dead-letter queue).
pub const STALE_JOB: Duration = Duration::minutes(15);

/// A fetch that kept failing: the id and why, for an operator (and the dead-letter alarm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// Every dead letter in one GSI1 partition, newest first: the admin's list of them.
    #[serde(rename = "GSI1PK", default)]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK", default)]
    pub gsi1sk: String,
    pub call_id: String,
    pub reason: String,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub expires_at: i64,
}

/// How often a warm function records that notifications arrive.
const NOTE_NOTIFICATION_EVERY: Duration = Duration::MINUTE;

/// When a notification of our subscription last arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LastNotification {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    expires_at: i64,
}

/// Where the poll of one of Graph's phone-call logs is (`GRAPHPHONE#<function>`,
/// `#WATERMARK`): written on the condition that its `version` is still the one read, so two
/// workers never both advance it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneWatermark {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// The end (`toDateTime`) of the last window read whole.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub through: Option<OffsetDateTime>,
    /// The window being read, and where its reading stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
    /// One more at each write.
    pub version: i64,
    /// 30 days after the last poll: a connector idle that long starts over with a full backfill.
    pub expires_at: i64,
}

/// What the keeper remembers between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionState {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub subscription_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub subscription_expires_at: OffsetDateTime,
    /// The last run that saw the subscription live: where a gap's backfill starts.
    #[serde(with = "time::serde::rfc3339")]
    pub last_live: OffsetDateTime,
    /// 30 days after `last_live`: a connector idle that long starts over with a full backfill.
    pub expires_at: i64,
}

/// One kept chunk of a resumable fetch: a page's items (or part of a page's), deflated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chunk {
    pub part: Part,
    /// Items in it.
    pub count: u32,
    /// The items' JSON array, deflated.
    #[serde(with = "serde_bytes")]
    pub items: Vec<u8>,
}

impl Chunk {
    /// `items` as chunks of at most [`CHUNK_BYTES`] each (a page too large is split).
    pub fn deflate(items: Items) -> Result<Vec<Chunk>, StoreError> {
        let deflated = deflate(&items.json)?;
        if deflated.len() <= CHUNK_BYTES || items.count <= 1 {
            return Ok(vec![Chunk { part: items.part, count: items.count, items: deflated }]);
        }
        let unreadable = |e: serde_json::Error| StoreError::KeptPages(e.to_string());
        let all: Vec<&serde_json::value::RawValue> = serde_json::from_slice(&items.json).map_err(unreadable)?;
        let (left, right) = all.split_at(all.len() / 2);
        let mut chunks = Vec::new();
        for half in [left, right] {
            let json = serde_json::to_vec(half).map_err(unreadable)?;
            let count = u32::try_from(half.len()).unwrap_or(u32::MAX);
            chunks.extend(Self::deflate(Items { part: items.part, json, count })?);
        }
        Ok(chunks)
    }

    /// The items' JSON array.
    pub fn inflate(&self) -> Result<Vec<u8>, StoreError> {
        let mut json = Vec::new();
        DeflateDecoder::new(self.items.as_slice())
            .read_to_end(&mut json)
            .map_err(|e| StoreError::KeptPages(format!("a kept chunk: {e}")))?;
        Ok(json)
    }
}

/// A kept chunk as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChunkItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(flatten)]
    chunk: Chunk,
    expires_at: i64,
}

/// Where a resumable fetch stands: its state, and the chunks it kept so far, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub state: FetchState,
    /// Sort keys of the kept chunks, in the order they were fetched.
    #[serde(default)]
    pub chunks: Vec<String>,
    /// Saves so far (the item's `version`): a save is conditional on the count it read.
    #[serde(skip)]
    pub saves: i64,
}

/// The progress as stored: deflated JSON, and the save count a save is conditional on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    version: i64,
    #[serde(with = "serde_bytes")]
    progress: Vec<u8>,
    expires_at: i64,
}

fn deflate(json: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(json).and_then(|()| encoder.finish()).map_err(|e| StoreError::KeptPages(e.to_string()))
}

/// A value no other write of this or any other process repeats: the request's time to the
/// nanosecond (the system clock's in a function), the process, and a count within it.
fn nonce(now: OffsetDateTime) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let at = now.unix_timestamp_nanos();
    format!("{}-{at:x}-{:x}-{}", now.unix_timestamp(), std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A new queuing of a fetch of `call_id`: the message to send, with a nonce of its own.
pub fn fetch_message(
    call_id: &str,
    attempts: u32,
    not_before: Option<OffsetDateTime>,
    lane: Lane,
    now: OffsetDateTime,
) -> Work {
    Work::Fetch { call_id: call_id.to_owned(), attempts, nonce: nonce(now), not_before, lane, retried: false }
}

/// The message of an admin's retry of dead-lettered `call_id`: a fresh fetch on the backfill
/// lane, marked as a retry so that storing the record removes the dead letter.
pub fn retry_message(call_id: &str, now: OffsetDateTime) -> Work {
    Work::Fetch {
        call_id: call_id.to_owned(),
        attempts: 0,
        nonce: nonce(now),
        not_before: None,
        lane: Lane::Backfill,
        retried: true,
    }
}

/// The marker of the queuing `work` (a fetch; `None` for a job).
fn marker(work: &Work, now: OffsetDateTime) -> Option<FetchItem> {
    let Work::Fetch { call_id, nonce, .. } = work else { return None };
    Some(FetchItem {
        pk: keys::fetch_pk(call_id),
        sk: keys::FETCH_SK.to_owned(),
        call_id: call_id.clone(),
        nonce: nonce.clone(),
        queued_at: now,
        taken_at: None,
        expires_at: (now + QUEUE_ITEM_LIFETIME).unix_timestamp(),
    })
}

/// The most dead letters the connector's status counts (`GET /graph/status`): past it, "at least".
pub const DEAD_LETTERS_COUNTED: u64 = 1_000;

impl DynamoStore {
    /// Marks each of `work` (new fetches, before their messages are sent) queued, unless a
    /// fetch of its call is already pending (queued and not yet taken by the worker) and was
    /// queued less than [`STALE_FETCH`] ago: duplicates in flight cost one fetch. The ones
    /// marked, whose messages are to be sent.
    pub async fn mark_fetches(&self, work: Vec<Work>, now: OffsetDateTime) -> Result<Vec<Work>, StoreError> {
        let stale = (now - STALE_FETCH + QUEUE_ITEM_LIFETIME).unix_timestamp();
        let store = self.clone();
        let marked: Vec<Option<Work>> = futures::stream::iter(work)
            .map(move |work| {
                let store = store.clone();
                async move {
                    let Some(item) = marker(&work, now) else { return Ok(None) };
                    let guard = WriteGuard::AbsentTakenOrExpiringBefore(stale);
                    Ok::<_, StoreError>(store.put_guarded(to_item(&item)?, guard).await?.then_some(work))
                }
            })
            .buffer_unordered(QUEUE_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(marked.into_iter().flatten().collect())
    }

    /// Takes back the markers of `work` whose messages could not be sent (each only if it is
    /// still that queuing), so that the caller's retry queues them again at once.
    pub async fn unmark(&self, work: &[Work], now: OffsetDateTime) -> Result<(), StoreError> {
        for piece in work {
            match piece {
                Work::Fetch { call_id, nonce, .. } => {
                    self.take_fetch(call_id, nonce, now).await?;
                }
                Work::Job(job) => self.take_job(job).await?,
            }
        }
        Ok(())
    }

    /// Takes the fetch of `call_id` queued as `nonce` (again, if its run sent it back under the
    /// same nonce); `false` if a newer queuing is the latest (its own message delivers it). A
    /// fetch with no marker is taken too: its marker expired (14 days, as long as a message).
    pub async fn take_fetch(&self, call_id: &str, nonce: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let expires_at = (now + QUEUE_ITEM_LIFETIME).unix_timestamp();
        let update = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::client::key_item(&keys::fetch_pk(call_id), keys::FETCH_SK)))
            .update_expression("SET #taken = :now, #expires = if_not_exists(#expires, :expires)")
            .expression_attribute_names("#taken", "takenAt")
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::S(rfc3339(now)))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()));
        let result = WriteGuard::QueuedAs(nonce).on_update(update).send().await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if StoreError::condition_failed(&e) => Ok(false),
            Err(e) => Err(StoreError::request("UpdateItem", e)),
        }
    }

    /// The progress of `call_id`'s resumable fetch, if one was kept and is live.
    pub async fn fetch_progress(&self, call_id: &str, now: OffsetDateTime) -> Result<Option<Progress>, StoreError> {
        let item: Option<ProgressItem> = self.get(&keys::pages_pk(call_id), keys::PROGRESS_SK).await?;
        let Some(item) = item.filter(|item| item.expires_at > now.unix_timestamp()) else { return Ok(None) };
        let mut json = Vec::new();
        DeflateDecoder::new(item.progress.as_slice())
            .read_to_end(&mut json)
            .map_err(|e| StoreError::KeptPages(format!("a fetch's progress: {e}")))?;
        let progress: Progress = serde_json::from_slice(&json)
            .map_err(|e| StoreError::KeptPages(format!("a fetch's progress: {}", json_value_free(&e))))?;
        Ok(Some(Progress { saves: item.version, ..progress }))
    }

    /// Keeps `chunks` (fetched by run `run` since the last save) and then `progress`, which
    /// names them; both expire at `expires_at`. `false` (nothing of the progress written) if
    /// another run saved since `progress` was read: that run goes on, this one stops.
    pub async fn keep_pages(
        &self,
        call_id: &str,
        run: &str,
        progress: &mut Progress,
        chunks: Vec<Chunk>,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let pk = keys::pages_pk(call_id);
        let mut items = Vec::with_capacity(chunks.len());
        let mut names = progress.chunks.clone();
        for chunk in chunks {
            let sk = keys::chunk_sk(run, names.len());
            names.push(sk.clone());
            items.push(to_item(&ChunkItem { pk: pk.clone(), sk, chunk, expires_at })?);
        }
        self.batch_put(&items).await?;
        let saved = Progress { chunks: names, ..progress.clone() };
        let json = serde_json::to_vec(&saved).map_err(|e| StoreError::KeptPages(e.to_string()))?;
        let item = ProgressItem {
            pk,
            sk: keys::PROGRESS_SK.to_owned(),
            version: progress.saves + 1,
            progress: deflate(&json)?,
            expires_at,
        };
        let guard = if progress.saves == 0 { WriteGuard::Absent } else { WriteGuard::AtVersion(progress.saves) };
        if !self.put_guarded(to_item(&item)?, guard).await? {
            return Ok(false);
        }
        *progress = Progress { saves: progress.saves + 1, ..saved };
        Ok(true)
    }

    /// The chunks `progress` names, in its order (read consistently: the last run just wrote
    /// them).
    pub async fn kept_chunks(&self, call_id: &str, progress: &Progress) -> Result<Vec<Chunk>, StoreError> {
        if progress.chunks.is_empty() {
            return Ok(Vec::new());
        }
        let mut kept: std::collections::HashMap<String, Chunk> = std::collections::HashMap::new();
        for item in self.partition(&keys::pages_pk(call_id), true).await? {
            let sk = item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if progress.chunks.contains(&sk) {
                let chunk: ChunkItem = super::client::from_item(item, &sk)?;
                kept.insert(sk, chunk.chunk);
            }
        }
        progress
            .chunks
            .iter()
            .map(|sk| kept.remove(sk).ok_or_else(|| StoreError::KeptPages(format!("kept chunk {sk} is missing"))))
            .collect()
    }

    /// Deletes everything a fetch of `call_id` kept (its progress first, then every chunk,
    /// those of runs that lost a race included).
    pub async fn drop_pages(&self, call_id: &str) -> Result<(), StoreError> {
        let pk = keys::pages_pk(call_id);
        self.delete(&pk, keys::PROGRESS_SK).await?;
        let keys: Vec<String> =
            self.partition_keys(&pk).await?.into_iter().filter(|sk| sk.as_str() != keys::PROGRESS_SK).collect();
        futures::stream::iter(keys)
            .map(|sk| {
                let pk = pk.clone();
                async move { self.delete(&pk, &sk).await }
            })
            .buffer_unordered(DELETE_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The sort keys of partition `pk` (a keys-only Query).
    async fn partition_keys(&self, pk: &str) -> Result<Vec<String>, StoreError> {
        let items: Vec<super::Item> = self
            .query()
            .key_condition_expression("#pk = :pk")
            .projection_expression("#sk")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        Ok(items.into_iter().filter_map(|item| item.get(keys::SK)?.as_s().ok().cloned()).collect())
    }

    /// Marks `job` queued; `false` if a job of its kind ([`Job::once_key`]) is queued and not
    /// taken yet (a thousand `missed` events queue one reconciliation). A job that is not one of
    /// a kind needs no marker: always `true`.
    pub async fn mark_job(&self, job: &Job, now: OffsetDateTime) -> Result<bool, StoreError> {
        let Some(once) = job.once_key() else { return Ok(true) };
        let item = JobItem {
            pk: keys::job_pk(once),
            sk: keys::JOB_SK.to_owned(),
            job: job.clone(),
            queued_at: now.unix_timestamp(),
            expires_at: (now + QUEUE_ITEM_LIFETIME).unix_timestamp(),
        };
        let stale = (now - STALE_JOB).unix_timestamp();
        self.put_guarded(to_item(&item)?, WriteGuard::AbsentOrQueuedBefore(stale)).await
    }

    /// Takes `job` off the queue as it starts, if it is one of a kind: whatever asks for it from
    /// now on queues it again (what happened before this run, it covers).
    pub async fn take_job(&self, job: &Job) -> Result<(), StoreError> {
        match job.once_key() {
            Some(key) => self.delete(&keys::job_pk(key), keys::JOB_SK).await,
            None => Ok(()),
        }
    }

    /// Sets `call_id` aside with `reason` after `attempts` failed attempts.
    pub async fn dead_letter(
        &self,
        call_id: &str,
        reason: String,
        attempts: u32,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let item = DeadLetter {
            pk: keys::dead_pk(call_id),
            sk: keys::DEAD_SK.to_owned(),
            gsi1pk: keys::DEAD_LETTERS_GSI_PK.to_owned(),
            gsi1sk: keys::dead_letter_gsi_sk(now, call_id),
            call_id: call_id.to_owned(),
            reason,
            attempts,
            at: now,
            expires_at: (now + retention::HISTORY).unix_timestamp(),
        };
        self.put_item(to_item(&item)?).await
    }

    /// Which of `call_ids` are stored (live at `now`), at which version: one eventually
    /// consistent `BatchGetItem` of their headers' versions per 100 (a reconciliation's listing
    /// queues only what is missing or older).
    pub async fn stored_versions(
        &self,
        call_ids: &[String],
        now: OffsetDateTime,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Stored {
            #[serde(rename = "PK")]
            pk: String,
            version: i64,
            expires_at: i64,
        }
        let headers = call_ids.iter().map(|id| key_item(&keys::call_pk(id), keys::CALL_HEADER_SK));
        let items = self.batch_get(headers, &[keys::PK, "version", EXPIRES_AT], false).await?;
        let stored: Vec<Stored> = read_items(items, "call headers")?;
        Ok(stored
            .into_iter()
            .filter(|s| s.expires_at > now.unix_timestamp())
            .filter_map(|s| Some((keys::call_of(&s.pk)?.to_owned(), s.version)))
            .collect())
    }

    /// One page of the dead letters, newest first (one Query of GSI1), live ones only.
    pub async fn dead_letters(
        &self,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<DeadLetter>, StoreError> {
        let partition = Partition::gsi1(keys::DEAD_LETTERS_GSI_PK.to_owned());
        self.newest_first(partition, ("0".to_owned(), "~".to_owned()), limit, start, now).await
    }

    /// Removes the dead letter of `call_id` (its retried fetch stored the record).
    pub async fn forget_dead_letter(&self, call_id: &str) -> Result<(), StoreError> {
        self.delete(&keys::dead_pk(call_id), keys::DEAD_SK).await
    }

    /// How many dead letters the last 30 days hold, counted up to [`DEAD_LETTERS_COUNTED`]: one
    /// `Select COUNT` Query of GSI1, live ones only, so a Graph outage's thousands of dead
    /// letters cost the status page no more than that. Whether there are more (expired entries
    /// not yet deleted count against the read, so a short count is a lower bound).
    pub async fn count_dead_letters(&self, now: OffsetDateTime) -> Result<(u64, bool), StoreError> {
        let page = self
            .query()
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk")
            .filter_expression("#expires > :now")
            .expression_attribute_names("#pk", keys::GSI1PK)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":pk", AttributeValue::S(keys::DEAD_LETTERS_GSI_PK.to_owned()))
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .select(Select::Count)
            // One past the cap: a Query stopped at its limit names a last key even when nothing
            // is left, so only a count past the cap says there are more.
            .limit(DEAD_LETTERS_COUNTED as i32 + 1)
            .send()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        let counted = page.count() as u64;
        Ok((counted.min(DEAD_LETTERS_COUNTED), counted > DEAD_LETTERS_COUNTED))
    }

    /// Records that a notification of our subscription arrived at `now`: at most once a minute
    /// per warm function (remembered in memory), and never moving the time back (the item's
    /// expiry guards it). Not a write per delivery.
    pub async fn note_notification(&self, now: OffsetDateTime) -> Result<(), StoreError> {
        {
            let mut last = self.notified_at.lock().expect("not poisoned");
            if last.is_some_and(|at| now - at < NOTE_NOTIFICATION_EVERY) {
                return Ok(());
            }
            *last = Some(now);
        }
        let expires_at = (now + retention::HISTORY).unix_timestamp();
        let item = LastNotification {
            pk: keys::NOTIFIED_PK.to_owned(),
            sk: keys::NOTIFIED_SK.to_owned(),
            at: now,
            expires_at,
        };
        self.put_guarded(to_item(&item)?, WriteGuard::NotEarlierExpiry(expires_at)).await?;
        Ok(())
    }

    /// When a notification of our subscription last arrived, as recorded (to the minute).
    pub async fn last_notification(&self, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, StoreError> {
        let last: Option<LastNotification> = self.get(keys::NOTIFIED_PK, keys::NOTIFIED_SK).await?;
        Ok(last.filter(|l| l.expires_at > now.unix_timestamp()).map(|l| l.at))
    }

    /// The dead letter of `call_id`, if it has one.
    pub async fn dead_letter_of(&self, call_id: &str) -> Result<Option<DeadLetter>, StoreError> {
        self.get(&keys::dead_pk(call_id), keys::DEAD_SK).await
    }

    /// What the keeper remembered, unless it expired.
    pub async fn subscription_state(&self, now: OffsetDateTime) -> Result<Option<SubscriptionState>, StoreError> {
        let state: Option<SubscriptionState> = self.get(keys::SUBSCRIPTION_PK, keys::SUBSCRIPTION_SK).await?;
        Ok(state.filter(|s| s.expires_at > now.unix_timestamp()))
    }

    /// Remembers that subscription `id` (until `expires_at`) was live at `now`.
    pub async fn save_subscription_state(
        &self,
        id: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let state = SubscriptionState {
            pk: keys::SUBSCRIPTION_PK.to_owned(),
            sk: keys::SUBSCRIPTION_SK.to_owned(),
            subscription_id: id.to_owned(),
            subscription_expires_at: expires_at,
            last_live: now,
            expires_at: (now + retention::HISTORY).unix_timestamp(),
        };
        self.put_item(to_item(&state)?).await
    }

    /// The watermark of `log`'s poll, unless it expired.
    pub async fn phone_watermark(
        &self,
        log: PhoneLog,
        now: OffsetDateTime,
    ) -> Result<Option<PhoneWatermark>, StoreError> {
        let state: Option<PhoneWatermark> =
            self.get(&keys::phone_watermark_pk(log.function()), keys::PHONE_WATERMARK_SK).await?;
        Ok(state.filter(|s| s.expires_at > now.unix_timestamp()))
    }

    /// Writes `log`'s watermark as `version` (the one read, plus one): `false` if another
    /// worker wrote it since (that one goes on; this one stops).
    pub async fn save_phone_watermark(
        &self,
        log: PhoneLog,
        through: Option<OffsetDateTime>,
        reading: Option<Reading>,
        version: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let state = PhoneWatermark {
            pk: keys::phone_watermark_pk(log.function()),
            sk: keys::PHONE_WATERMARK_SK.to_owned(),
            through,
            reading,
            version,
            expires_at: (now + retention::HISTORY).unix_timestamp(),
        };
        self.put_guarded(to_item(&state)?, WriteGuard::NewerVersion(version)).await
    }

    /// An unconditional put: queue items and state are last-writer-wins by design.
    async fn put_item(&self, item: super::Item) -> Result<(), StoreError> {
        debug_assert!(item.contains_key(EXPIRES_AT));
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::request("PutItem", e))?;
        Ok(())
    }
}
