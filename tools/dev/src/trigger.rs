//! The local triggers: what Lambda's event source mappings do in AWS. The stream trigger tails
//! the table's stream, passes the records its filter lets through to its function in batches
//! of the same record shape, and on `batchItemFailures` retries from the reported sequence
//! number. A queue trigger polls one work queue (`crate::queues::Poller`) and hands each batch
//! to the Graph worker. The Graph worker's schedule runs beside them.
//!
//! A trigger decides what to send and when to retry, as the event source mapping does; it must
//! not decide what a record means (the functions and their template filters do).

use crate::Error;
use crate::invoke::Functions;
use crate::stream::{StreamTail, event};
use aws_lambda_events::dynamodb::EventRecord;
use std::time::Duration;

/// Largest batch, as the template's `BatchSize`.
pub const BATCH_SIZE: usize = 100;
/// Attempts per record before it is set aside (the template's `MaximumRetryAttempts`).
pub const MAX_ATTEMPTS: u32 = 10;

/// Every record (classify's own decision mirrors its template filter).
pub fn everything(_: &EventRecord) -> bool {
    true
}

/// The schedule's input to the Graph worker: keep the subscription.
pub fn keep_job() -> serde_json::Value {
    serde_json::json!({ "job": { "kind": "keep", "reauthorize": false } })
}

/// The schedule's input to the Graph worker: queue a poll of the phone-call logs.
pub fn phone_poll_job() -> serde_json::Value {
    serde_json::json!({ "job": { "kind": "phonePoll" } })
}

/// Runs the Graph worker's schedules: `keep` every `every`, as EventBridge does hourly in AWS,
/// and `phonePoll` every `poll_every` (every 15 minutes in AWS; locally far more often, so rows
/// published to the stand-in arrive within seconds: a poll with nothing new costs two requests).
pub async fn schedule(functions: Functions, every: Duration, poll_every: Duration) {
    let keep = async {
        loop {
            tokio::time::sleep(every).await;
            if let Err(error) = functions.invoke("graph-worker", &keep_job()).await {
                eprintln!("schedule: the Graph worker did not answer ({error})");
            }
        }
    };
    let poll = async {
        loop {
            tokio::time::sleep(poll_every).await;
            if let Err(error) = functions.invoke("graph-worker", &phone_poll_job()).await {
                eprintln!("schedule: the Graph worker did not answer ({error})");
            }
        }
    };
    tokio::join!(keep, poll);
}

/// Feeds `function` every batch of the queue `poller` reads, as the SQS event source mapping
/// does, until the process is stopped.
pub async fn run_queue(poller: crate::queues::Poller, functions: Functions, function: &str) -> Result<(), Error> {
    loop {
        // No long poll: the local moto serves one request at a time, and a receive waiting on
        // an empty queue would hold every DynamoDB request behind it.
        let event = poller.receive(0).await?;
        if event.records.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        let answer = match functions.invoke(function, &serde_json::to_value(&event)?).await {
            Ok(answer) => answer,
            Err(error) => {
                eprintln!(
                    "trigger: {function} did not answer ({error}); the batch comes back after its visibility timeout"
                );
                continue;
            }
        };
        let failed = crate::queues::failed_ids(&event, &answer);
        if !failed.is_empty() {
            eprintln!("trigger: {function} reported {} of {} messages failed", failed.len(), event.records.len());
        }
        poller.settle(&event, &failed).await?;
    }
}

/// Feeds `function` the records `filter` passes, until the process is stopped.
pub async fn run(
    mut tail: StreamTail,
    functions: Functions,
    function: &str,
    filter: fn(&EventRecord) -> bool,
) -> Result<(), Error> {
    let mut pending: Vec<EventRecord> = Vec::new();
    let mut attempts = 0;
    loop {
        if pending.is_empty() {
            pending = tail.next_records().await?.into_iter().filter(&filter).collect();
            attempts = 0;
            if pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        }
        let batch: Vec<EventRecord> = pending.iter().take(BATCH_SIZE).cloned().collect();
        let sent = batch.len();
        let payload = serde_json::to_value(event(batch))?;
        let answer = functions.invoke(function, &payload).await;
        let failed_at = match &answer {
            Ok(answer) if answer.get("errorMessage").is_none() => {
                answer["batchItemFailures"][0]["itemIdentifier"].as_str().map(str::to_owned)
            }
            // The function failed as a whole (or was restarted by a rebuild): Lambda retries
            // the batch, and so do we.
            failed => {
                let error = match failed {
                    Ok(answer) => answer["errorMessage"].to_string(),
                    Err(error) => error.to_string(),
                };
                eprintln!("trigger: {function} failed ({error}); retrying the batch");
                pending.first().and_then(|r| r.change.sequence_number.clone())
            }
        };
        match failed_at
            .and_then(|seq| pending.iter().position(|r| r.change.sequence_number.as_deref() == Some(seq.as_str())))
        {
            None => {
                pending.drain(..sent);
                attempts = 0;
            }
            Some(position) => {
                pending.drain(..position);
                attempts += 1;
                if attempts >= MAX_ATTEMPTS {
                    eprintln!(
                        "trigger: giving up on record {:?} after {attempts} attempts",
                        pending[0].change.sequence_number
                    );
                    pending.remove(0);
                    attempts = 0;
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempts.min(10)))).await;
            }
        }
    }
}
