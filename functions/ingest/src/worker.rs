//! The Graph worker's handler. Two kinds of event reach it: a batch from one of the work queues
//! (its SQS event source mappings, with partial batch responses) and its schedules: hourly
//! `{"job": {"kind": "keep", ...}}`, run at once, and every 15 minutes `{"job": {"kind":
//! "phonePoll"}}`, queued on the backfill queue. Each message runs through the core, by
//! the invocation's deadline; a message that failed, or that the invocation stopped before
//! taking, is reported as a batch item failure and delivered again (after `maxReceiveCount`
//! deliveries, it waits in the queue's dead-letter queue with its body).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use callscope_core::app::AppError;
use callscope_core::app::connector::{Deadline, Outcome, Worker};
use callscope_core::domain::connector::{Job, Lane, Work};
use callscope_core::domain::problem::json_value_free;
use callscope_core::support::clock::Clock;
use futures::StreamExt;

/// How many messages of one batch run at once (the fleet's share of Graph's limit is set by the
/// mappings' maximum concurrency: `docs/capacity.md`).
pub const FETCH_CONCURRENCY: usize = 4;

/// What invoked the worker.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A batch from a work queue.
    Queue(SqsEvent),
    /// The schedule (or an operator): run one job now.
    Scheduled { job: Job },
}

/// Runs an invocation that must be done by `deadline`; the messages to deliver again. A
/// message is taken only while at least `margin` is left before the deadline. A scheduled job
/// that fails is an error of the invocation (EventBridge retries it, the errors alarm counts it).
pub async fn handle(
    worker: &Worker,
    clock: &Clock,
    invocation: Invocation,
    deadline: Deadline,
) -> Result<SqsBatchResponse, AppError> {
    let mut response = SqsBatchResponse::default();
    match invocation {
        // A job of the backfill lane (the phone-call poll) is queued on its queue, once
        // (its `GRAPHJOB#` marker), so it runs under that queue's concurrency and Graph budget.
        Invocation::Scheduled { job } if job.lane() == Lane::Backfill => {
            let queued = worker.dispatch.job(job, clock.now()).await.inspect_err(|error| {
                tracing::error!(%error, "scheduled job not queued");
            })?;
            tracing::info!(queued, "scheduled job queued");
        }
        Invocation::Scheduled { job } => {
            worker.run(Work::Job(job), clock.now(), deadline).await.inspect_err(|error| {
                tracing::error!(%error, "scheduled job failed");
            })?;
        }
        Invocation::Queue(event) => {
            let results: Vec<_> = futures::stream::iter(&event.records)
                .map(|message| async move {
                    let result = if deadline.is_within(worker.margin) {
                        put_back(worker, message).await;
                        Err("not taken before the deadline".to_owned())
                    } else {
                        handle_message(worker, clock, message, deadline).await
                    };
                    (message, result)
                })
                // Unordered: a large record at the head of a batch must not hold the rest back.
                .buffer_unordered(FETCH_CONCURRENCY)
                .collect()
                .await;
            for (message, result) in results {
                if let Err(error) = result {
                    tracing::warn!(%error, message_id = ?message.message_id, "queued work not done; delivered again");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = message.message_id.clone().unwrap_or_default();
                    response.batch_item_failures.push(failure);
                }
            }
        }
    }
    Ok(response)
}

/// Makes a message the invocation did not take visible again at once, as it is (otherwise it
/// would wait out the queue's 30-minute visibility timeout). Best effort: if this fails, the
/// timeout brings it back all the same.
async fn put_back(worker: &Worker, message: &SqsMessage) {
    let work: Option<Work> = message.body.as_deref().and_then(|body| serde_json::from_str(body).ok());
    if let (Some(work), Some(receipt)) = (work, message.receipt_handle.as_deref()) {
        let queue = &worker.dispatch.queue;
        if let Err(error) = queue.show_again(work.lane(), receipt, std::time::Duration::ZERO).await {
            tracing::warn!(%error, "a message not taken stays hidden until its visibility timeout");
        }
    }
}

async fn handle_message(
    worker: &Worker,
    clock: &Clock,
    message: &SqsMessage,
    deadline: Deadline,
) -> Result<(), String> {
    let body = message.body.as_deref().unwrap_or_default();
    let work: Work = serde_json::from_str(body).map_err(|e| format!("not a work message: {}", json_value_free(&e)))?;
    match worker.run(work, clock.now(), deadline).await.map_err(|e| e.to_string())? {
        Outcome::Stored(accepted) => tracing::info!(records = accepted.len(), "fetched from Graph and stored"),
        outcome => tracing::info!(?outcome, "queued work done"),
    }
    Ok(())
}
