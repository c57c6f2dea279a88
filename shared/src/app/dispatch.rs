//! Queuing the Graph connector's work: a fetch's message first, then its marker in the table
//! (the latest queuing, which the worker takes; duplicates in flight cost one fetch); a job of
//! one kind its marker first, then its message. Whatever stops halfway loses nothing: a fetch
//! sent but never marked is taken by its message all the same; one never sent was never marked,
//! and whoever asked (Graph redelivering a notification, the queue redelivering the message
//! that asked) asks again.

use super::AppError;
use crate::domain::connector::{Job, Lane, Work};
use crate::queue::WorkQueue;
use crate::store::DynamoStore;
use crate::store::connector::fetch_message;
use std::time::Duration;
use time::OffsetDateTime;

/// Where work is queued: the markers' table and the queues.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub store: DynamoStore,
    pub queue: WorkQueue,
}

impl Dispatch {
    /// Queues a fetch of each of `call_ids` on `lane`: the messages first, then their markers;
    /// how many were marked (not pending already). A send that fails leaves nothing marked, and
    /// the caller's retry queues the ids again.
    pub async fn fetches(&self, call_ids: &[String], lane: Lane, now: OffsetDateTime) -> Result<usize, AppError> {
        let work: Vec<Work> = call_ids.iter().map(|id| fetch_message(id, 0, None, lane, now)).collect();
        if work.is_empty() {
            return Ok(0);
        }
        self.queue.send(&work, Duration::ZERO).await?;
        Ok(self.store.mark_fetches(&work, now).await?)
    }

    /// Queues a fetch again (the worker, which holds it; `work` from [`fetch_message`]): its
    /// message, delayed by at least a second so that its marker is written first, then the
    /// marker, with the `reason` it failed, if it did.
    pub async fn fetch_again(
        &self,
        work: Work,
        reason: Option<String>,
        delay: Duration,
        now: OffsetDateTime,
    ) -> Result<(), AppError> {
        self.queue.send(std::slice::from_ref(&work), delay.max(MARKER_FIRST)).await?;
        Ok(self.store.mark_fetch_again(&work, reason, now).await?)
    }

    /// Queues `job` unless one of its kind is waiting; whether it was queued. A job of one kind
    /// is marked first and its marker taken back if the send fails.
    pub async fn job(&self, job: Job, now: OffsetDateTime) -> Result<bool, AppError> {
        if !self.store.mark_job(&job, now).await? {
            return Ok(false);
        }
        if let Err(error) = self.queue.send(&[Work::Job(job.clone())], Duration::ZERO).await {
            if let Err(undo) = self.store.take_job(&job).await {
                // Left in place, it stops blocking after `STALE_JOB`.
                tracing::error!(error = %undo, "the marker of an unsent job left in place");
            }
            return Err(error.into());
        }
        Ok(true)
    }

    /// Sends a job on after `delay` (a listing handed over: no marker).
    pub async fn job_later(&self, job: Job, delay: Duration) -> Result<(), AppError> {
        Ok(self.queue.send(&[Work::Job(job)], delay).await?)
    }
}

/// The least delay of a fetch the worker queues again: its marker is written in that time.
const MARKER_FIRST: Duration = Duration::from_secs(1);
