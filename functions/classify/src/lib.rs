//! The classify function's handler: a batch of stream records in, each rated through the
//! core, and a partial-batch response out.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_core::classify::Thresholds;
use callscope_core::clock::Clock;
use callscope_core::rate::{Change, ChangeKind, Decision, RateError, Rated, decide, rate_call};
use callscope_core::store::DynamoStore;

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub store: DynamoStore,
    pub thresholds: Thresholds,
    pub clock: Clock,
}

/// Handles one batch in order. At the first record that fails, reports its sequence number and
/// stops: Lambda retries the batch from that record, so nothing after it is skipped or lost.
pub async fn handle(app: &App, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        if let Err(error) = handle_record(app, record).await {
            tracing::error!(%error, event_id = %record.event_id, sequence = ?record.change.sequence_number, "record failed; retrying from it");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

async fn handle_record(app: &App, record: &EventRecord) -> Result<(), RateError> {
    let kind = ChangeKind::from_event_name(&record.event_name)
        .ok_or_else(|| RateError::Unreadable(format!("unknown eventName `{}`", record.event_name)))?;
    let change =
        Change { kind, new_image: record.change.new_image.clone(), old_image: record.change.old_image.clone() };
    match decide(&change)? {
        Decision::Skip(reason) => tracing::debug!(?reason, event_id = %record.event_id, "skipped"),
        Decision::Rate { call_id, version } => {
            let outcome: Rated = rate_call(&app.store, &call_id, version, &app.thresholds, app.clock.now()).await?;
            tracing::info!(%call_id, version, ?outcome, "classified");
        }
    }
    Ok(())
}
