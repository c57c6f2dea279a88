//! The local stream trigger: what Lambda's event source mapping does for classify in AWS. It
//! tails the table's stream, invokes classify with batches of the same record shape, and on
//! `batchItemFailures` retries from the reported sequence number.

use crate::gateway;
use crate::stream::{StreamTail, event};
use aws_lambda_events::dynamodb::EventRecord;
use std::time::Duration;

/// Largest batch, as the template's `BatchSize`.
pub const BATCH_SIZE: usize = 100;
/// Attempts per record before it is set aside (the template's `MaximumRetryAttempts`).
pub const MAX_ATTEMPTS: u32 = 10;

/// Runs until the process is stopped.
pub async fn run(mut tail: StreamTail, upstream: String) -> Result<(), crate::stream::StreamError> {
    let client = gateway::client();
    let mut pending: Vec<EventRecord> = Vec::new();
    let mut attempts = 0;
    loop {
        if pending.is_empty() {
            pending = tail.next_records().await?;
            attempts = 0;
            if pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        }
        let batch: Vec<EventRecord> = pending.iter().take(BATCH_SIZE).cloned().collect();
        let sent = batch.len();
        let payload = serde_json::to_value(event(batch))?;
        let answer = gateway::invoke(&client, &upstream, "classify", &payload).await;
        let failed_at = match &answer {
            Ok(answer) => answer["batchItemFailures"][0]["itemIdentifier"].as_str().map(str::to_owned),
            Err(error) => {
                eprintln!("trigger: classify did not answer ({error}); retrying the batch");
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
