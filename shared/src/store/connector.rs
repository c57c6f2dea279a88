//! The Graph connector's queue, in the table: a notified id becomes a fetch item, whose change
//! on the table's stream delivers it to the Graph worker (the stream is the queue: durable from
//! the moment the write succeeds, ordered per id, retried by Lambda's event source mapping).
//! Jobs (keep the subscription, backfill a window) travel the same way. Every item expires
//! after a day; fetches that keep failing become dead letters, kept 30 days with their reason.

use super::client::{WriteGuard, to_item};
use super::keys::{self, EXPIRES_AT};
use super::stream::{Change, ChangeKind};
use super::{DynamoStore, StoreError};
use crate::domain::connector::Job;
use crate::domain::retention;
use crate::support::clock::rfc3339;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use time::{Duration, OffsetDateTime};

/// How long a queue item lives: the stream keeps records 24 hours, so should a fetch still
/// wait after that, nothing could deliver it anyway.
pub const QUEUE_ITEM_LIFETIME: Duration = Duration::days(1);
/// Queue writes in flight at once for one delivery.
const QUEUE_CONCURRENCY: usize = 16;

/// A queued fetch of one call record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Unique per write: a notification for an id already queued still changes the item, so
    /// the stream delivers it again (an unchanged item would not reach the stream).
    pub nonce: String,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    /// When the worker took it: a taken fetch is no longer pending, so the next notification
    /// for the id queues it again, while duplicates before that cost no second fetch.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<OffsetDateTime>,
    pub expires_at: i64,
}

/// A queued job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub job: Job,
    pub expires_at: i64,
}

/// A fetch that kept failing: the id and why, for an operator (and the dead-letter alarm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    pub reason: String,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
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

/// What a change on the stream asks of the Graph worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Fetch call record `call_id`; `attempts` failed before; `nonce` names this queuing.
    Fetch {
        call_id: String,
        attempts: u32,
        nonce: String,
    },
    Job(Job),
}

/// The Graph worker's reading of a stream record: `None` for anything not queued for it.
pub fn queued_work(change: &Change) -> Result<Option<Work>, StoreError> {
    #[derive(Deserialize)]
    struct Keys {
        #[serde(rename = "SK")]
        sk: String,
    }
    if change.kind == ChangeKind::Remove {
        return Ok(None);
    }
    let unreadable = |e: serde_dynamo::Error| StoreError::UnreadableChange(e.to_string());
    let Keys { sk } = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
    Ok(match sk.as_str() {
        keys::FETCH_SK => {
            let item: FetchItem = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
            // Our own take of a pending fetch changes the item too: nothing to do for that.
            item.taken_at.is_none().then_some(Work::Fetch {
                call_id: item.call_id,
                attempts: item.attempts,
                nonce: item.nonce,
            })
        }
        keys::JOB_SK => {
            let item: JobItem = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
            Some(Work::Job(item.job))
        }
        _ => None,
    })
}

/// A value no other write of this or any other process repeats: the request's time to the
/// nanosecond (the system clock's in a function), the process, and a count within it.
fn nonce(now: OffsetDateTime) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let at = now.unix_timestamp_nanos();
    format!("{}-{at:x}-{:x}-{}", now.unix_timestamp(), std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

fn fetch_item(call_id: &str, attempts: u32, last_error: Option<String>, now: OffsetDateTime) -> FetchItem {
    FetchItem {
        pk: keys::fetch_pk(call_id),
        sk: keys::FETCH_SK.to_owned(),
        call_id: call_id.to_owned(),
        attempts,
        last_error,
        nonce: nonce(now),
        queued_at: now,
        taken_at: None,
        expires_at: (now + QUEUE_ITEM_LIFETIME).unix_timestamp(),
    }
}

impl DynamoStore {
    /// Queues a fetch of each of `call_ids`, unless one is already pending (queued and not yet
    /// taken by the worker): duplicates in flight cost one fetch. Any failure is returned, and
    /// the caller answers 5xx so that Graph delivers the notification again.
    pub async fn queue_fetches(&self, call_ids: &[String], now: OffsetDateTime) -> Result<usize, StoreError> {
        let store = self.clone();
        let queued: Vec<usize> = futures::stream::iter(call_ids.to_vec())
            .map(move |id| {
                let store = store.clone();
                async move { store.queue_fetch(&id, now).await }
            })
            .buffer_unordered(QUEUE_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(queued.into_iter().sum())
    }

    /// Queues one fetch unless it is pending; whether it was queued.
    async fn queue_fetch(&self, id: &str, now: OffsetDateTime) -> Result<usize, StoreError> {
        let item = to_item(&fetch_item(id, 0, None, now))?;
        Ok(usize::from(self.put_guarded(item, WriteGuard::AbsentOrTaken).await?))
    }

    /// Takes the pending fetch of `call_id` queued as `nonce`; `false` if a newer notification
    /// queued it again meanwhile (that queuing's own change delivers it).
    pub async fn take_fetch(&self, call_id: &str, nonce: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let update = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::client::key_item(&keys::fetch_pk(call_id), keys::FETCH_SK)))
            .update_expression("SET #taken = :now")
            .expression_attribute_names("#taken", "takenAt")
            .expression_attribute_values(":now", aws_sdk_dynamodb::types::AttributeValue::S(rfc3339(now)));
        let result = WriteGuard::QueuedAs(nonce).on_update(update).send().await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if StoreError::condition_failed(&e) => Ok(false),
            Err(e) => Err(StoreError::request("UpdateItem", e)),
        }
    }

    /// Queues `call_id` again after a failed attempt (the change redelivers it).
    pub async fn requeue_fetch(
        &self,
        call_id: &str,
        attempts: u32,
        reason: String,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.put_item(to_item(&fetch_item(call_id, attempts, Some(reason), now))?).await
    }

    /// Queues `job`.
    pub async fn queue_job(&self, job: Job, now: OffsetDateTime) -> Result<(), StoreError> {
        let item = JobItem {
            pk: keys::job_pk(&nonce(now)),
            sk: keys::JOB_SK.to_owned(),
            job,
            expires_at: (now + QUEUE_ITEM_LIFETIME).unix_timestamp(),
        };
        self.put_item(to_item(&item)?).await
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
            call_id: call_id.to_owned(),
            reason,
            attempts,
            at: now,
            expires_at: (now + retention::HISTORY).unix_timestamp(),
        };
        self.put_item(to_item(&item)?).await
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
