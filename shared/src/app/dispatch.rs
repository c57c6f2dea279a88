//! Queuing the Graph connector's work: its marker in the table first (duplicates in flight
//! cost one fetch, one job of a kind), then its message on the work queue. A message that
//! could not be sent has its marker taken back, so whoever asked (Graph redelivering a
//! notification, the queue redelivering the message that asked) queues it again.

use super::AppError;
use crate::domain::connector::{Job, Lane, Work};
use crate::queue::WorkQueue;
use crate::store::DynamoStore;
use std::time::Duration;
use time::OffsetDateTime;

/// Where work is queued: the markers' table and the queues.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub store: DynamoStore,
    pub queue: WorkQueue,
}

impl Dispatch {
    /// Queues a fetch of each of `call_ids` on `lane` that is not pending already; how many.
    pub async fn fetches(&self, call_ids: &[String], lane: Lane, now: OffsetDateTime) -> Result<usize, AppError> {
        let work = self.store.queue_fetches(call_ids, lane, now).await?;
        self.send(&work, Duration::ZERO, now).await?;
        Ok(work.len())
    }

    /// Queues `job` unless one of its kind is waiting; whether it was queued.
    pub async fn job(&self, job: Job, now: OffsetDateTime) -> Result<bool, AppError> {
        if !self.store.mark_job(&job, now).await? {
            return Ok(false);
        }
        self.send(&[Work::Job(job)], Duration::ZERO, now).await?;
        Ok(true)
    }

    /// Sends `work` (already marked) after `delay`, taking its markers back if it cannot.
    pub async fn send(&self, work: &[Work], delay: Duration, now: OffsetDateTime) -> Result<(), AppError> {
        if work.is_empty() {
            return Ok(());
        }
        if let Err(error) = self.queue.send(work, delay).await {
            if let Err(undo) = self.store.unqueue(work, now).await {
                // Left pending, they stop blocking after `STALE_FETCH`; reconciliation finds them.
                tracing::error!(error = %undo, "queue markers of unsent messages left in place");
            }
            return Err(error.into());
        }
        Ok(())
    }
}
