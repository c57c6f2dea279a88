//! The Graph worker's handler. Two kinds of event reach it: a batch from the table's stream
//! (queued fetches and jobs, filtered by the event source mapping) and the hourly schedule,
//! whose constant input is `{"job": {"kind": "keep", ...}}`. Each queued piece of work runs
//! through the core, by the invocation's deadline; the ones that must be delivered again are
//! reported as batch failures.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_core::app::AppError;
use callscope_core::app::connector::{Deadline, Outcome, Worker};
use callscope_core::domain::connector::Job;
use callscope_core::store::connector::{Work, queued_work};
use callscope_core::store::stream::Change;
use callscope_core::support::clock::Clock;
use futures::StreamExt;

/// How many records of one batch are fetched at once (Graph throttles per app and tenant).
pub const FETCH_CONCURRENCY: usize = 4;

/// What invoked the worker.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A batch from the table's stream.
    Stream(Event),
    /// The schedule (or an operator): run one job now.
    Scheduled { job: Job },
}

/// Runs an invocation that must be done by `deadline`; the stream records to deliver again. A
/// scheduled job that fails is an error of the invocation (EventBridge retries it, the errors
/// alarm counts it).
pub async fn handle(
    worker: &Worker,
    clock: &Clock,
    invocation: Invocation,
    deadline: Deadline,
) -> Result<DynamoDbEventResponse, AppError> {
    let mut response = DynamoDbEventResponse::default();
    match invocation {
        Invocation::Scheduled { job } => {
            worker.run(Work::Job(job), clock.now(), deadline).await.inspect_err(|error| {
                tracing::error!(%error, "scheduled job failed");
            })?;
        }
        Invocation::Stream(event) => {
            let results: Vec<_> = futures::stream::iter(&event.records)
                .map(|record| async move { (record, handle_record(worker, clock, record, deadline).await) })
                // Unordered: a paused town hall at the head of a batch must not hold the rest
                // back until the deadline (failures are reported by sequence number).
                .buffer_unordered(FETCH_CONCURRENCY)
                .collect()
                .await;
            for (record, result) in results {
                if let Err(error) = result {
                    tracing::error!(%error, event_id = %record.event_id, "queued work failed; delivered again");
                    let mut failure = DynamoDbBatchItemFailure::default();
                    failure.item_identifier = record.change.sequence_number.clone();
                    response.batch_item_failures.push(failure);
                }
            }
        }
    }
    Ok(response)
}

async fn handle_record(worker: &Worker, clock: &Clock, record: &EventRecord, deadline: Deadline) -> Result<(), String> {
    let change = Change::from_record(record).map_err(|e| e.to_string())?;
    let Some(work) = queued_work(&change).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    match worker.run(work, clock.now(), deadline).await.map_err(|e| e.to_string())? {
        Outcome::Stored(accepted) => tracing::info!(records = accepted.len(), "fetched from Graph and stored"),
        outcome => tracing::info!(?outcome, "queued work done"),
    }
    Ok(())
}
