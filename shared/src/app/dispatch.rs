//! Queuing the Graph connector's work: its marker in the table first (a fetch's names the
//! latest queuing, the only one the worker takes, so duplicates in flight cost one fetch; a job
//! of one kind's keeps a thousand asks to one job), then its message. A message that could not
//! be sent has its marker taken back, so whoever asked (Graph redelivering a notification, the
//! queue redelivering the message that asked) queues it again; a sender stopped between the two
//! leaves a marker that stops blocking after ten minutes (`STALE_FETCH`), and the hourly
//! reconciliation finds the call. A fetch the worker sends back (paused, failed) keeps its
//! queuing: no marker is written, so nothing can come between.

use super::AppError;
use crate::domain::connector::{Job, Lane, Work};
use crate::queue::WorkQueue;
use crate::store::DynamoStore;
use crate::store::connector::{fetch_message, retry_message};
use futures::{StreamExt, TryStreamExt};
use std::time::Duration;
use time::OffsetDateTime;

/// Batches of fetches marked and sent at once: a delivery of 1,000 ids in well under Graph's
/// three seconds.
const BATCHES_AT_ONCE: usize = 8;

/// Where work is queued: the markers' table and the queues.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub store: DynamoStore,
    pub queue: WorkQueue,
}

impl Dispatch {
    /// Queues a fetch of each of `call_ids` on `lane` that is not pending already: their
    /// markers, then their messages, ten at a time (one SQS batch), several batches at once, so
    /// that a sender cut off halfway leaves few markers without a message; how many. A send that
    /// fails takes its markers back (and fails), so that the caller's retry queues them again.
    pub async fn fetches(&self, call_ids: &[String], lane: Lane, now: OffsetDateTime) -> Result<usize, AppError> {
        let work: Vec<Work> = call_ids.iter().map(|id| fetch_message(id, 0, None, lane, now)).collect();
        let batches: Vec<Vec<Work>> = work.chunks(crate::queue::BATCH).map(<[Work]>::to_vec).collect();
        let queued: Vec<usize> = futures::stream::iter(batches)
            .map(|batch| {
                let dispatch = self.clone();
                async move {
                    let marked = dispatch.store.mark_fetches(batch, now).await?;
                    dispatch.send(&marked, now).await?;
                    Ok::<_, AppError>(marked.len())
                }
            })
            .buffer_unordered(BATCHES_AT_ONCE)
            .try_collect()
            .await?;
        Ok(queued.into_iter().sum())
    }

    /// Queues an admin's retry of dead-lettered `call_id` (on the backfill lane), unless a
    /// fetch of it is pending already; whether it was queued. Safe to repeat: a retry pending
    /// is not queued twice.
    pub async fn retry(&self, call_id: &str, now: OffsetDateTime) -> Result<bool, AppError> {
        let marked = self.store.mark_fetches(vec![retry_message(call_id, now)], now).await?;
        self.send(&marked, now).await?;
        Ok(!marked.is_empty())
    }

    /// Sends on, after `delay`, work that needs no marker: a fetch the worker holds, sent back
    /// under the same queuing (its nonce), so nothing can come between; a listing handed over.
    pub async fn later(&self, work: Work, delay: Duration) -> Result<(), AppError> {
        Ok(self.queue.send(std::slice::from_ref(&work), delay).await?)
    }

    /// Queues `job` unless one of its kind is waiting; whether it was queued.
    pub async fn job(&self, job: Job, now: OffsetDateTime) -> Result<bool, AppError> {
        if !self.store.mark_job(&job, now).await? {
            return Ok(false);
        }
        self.send(&[Work::Job(job)], now).await?;
        Ok(true)
    }

    /// Sends `work` (marked already), taking its markers back if it cannot.
    async fn send(&self, work: &[Work], now: OffsetDateTime) -> Result<(), AppError> {
        if work.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.queue.send(work, Duration::ZERO).await {
            if let Err(undo) = self.store.unmark(work, now).await {
                // Left pending, they stop blocking after `STALE_FETCH` (`STALE_JOB`), and the
                // hourly reconciliation finds what was not stored.
                tracing::error!(error = %undo, "queue markers of unsent messages left in place");
            }
            return Err(error.into());
        }
        Ok(())
    }
}
