//! The classify function's handler: a batch of stream records in, each rated through the
//! core (or, for a change of the audit trail, judged), and a partial-batch response out. Its
//! schedule starts the erasures' last sweeps that are due.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use callscope_core::app::classify::{Outcome, rate_change};
use callscope_core::domain::classify::Thresholds;
use callscope_core::store::stream::Change;
use callscope_core::store::{DynamoStore, StoreError};
use callscope_core::support::clock::Clock;
use callscope_core::support::deadline::Deadline;
use serde::{Deserialize, Serialize};

/// What the handler needs, built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub store: DynamoStore,
    pub thresholds: Thresholds,
    pub clock: Clock,
    /// `HOME_TENANT_ID`: whose history entries a rating is published to.
    pub home_tenant: String,
}

/// What invokes the function: its schedule, or the table's stream (tried in this order: a
/// stream event has no `sweep`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// `{"sweep": "erasures"}`: start the erasures' last sweeps that are due.
    Schedule {
        sweep: Sweep,
    },
    Stream(Event),
}

/// What the schedule sweeps.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Sweep {
    Erasures,
}

/// What the function answers: the stream's partial-batch response, or how many sweeps started.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Stream(DynamoDbEventResponse),
    Swept { started: u32 },
}

/// Handles one invocation, which must be done by `deadline` (less what it needs to answer).
pub async fn invoke(app: &App, invocation: Invocation, deadline: Deadline) -> Result<Answer, StoreError> {
    Ok(match invocation {
        Invocation::Stream(event) => Answer::Stream(handle(app, event, deadline).await),
        Invocation::Schedule { sweep: Sweep::Erasures } => {
            let started = app.store.start_due_sweeps(app.clock.now()).await?;
            tracing::info!(started, "started the erasure sweeps that are due");
            Answer::Swept { started }
        }
    })
}

/// Handles one batch in order. At the first record that fails, reports its sequence number and
/// stops: Lambda retries the batch from that record, so nothing after it is skipped or lost. A
/// record reached after `deadline` (an erasure's round took the time) is reported the same way.
pub async fn handle(app: &App, event: Event, deadline: Deadline) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let result =
            if deadline.passed() { Err(None) } else { handle_record(app, record, deadline).await.map_err(Some) };
        if let Err(error) = result {
            let error = error.map_or_else(|| "the invocation's time ran out".to_owned(), |e| e.to_string());
            tracing::error!(%error, event_id = %record.event_id, sequence = ?record.change.sequence_number, "record failed; retrying from it");
            tracing::debug!(?error, event_id = %record.event_id, "record failed, in full");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

async fn handle_record(app: &App, record: &EventRecord, deadline: Deadline) -> Result<(), StoreError> {
    let change = Change::from_record(record)?;
    match rate_change(&app.store, &change, &app.thresholds, app.clock.now(), &app.home_tenant, deadline).await? {
        Outcome::Skipped(reason) => tracing::debug!(?reason, event_id = %record.event_id, "skipped"),
        Outcome::Rated { call_id, version, rated } => {
            tracing::info!(version, ?rated, "classified");
            tracing::debug!(%call_id, version, "classified");
        }
        Outcome::Erased { complete } => tracing::info!(complete, "ran a round of a handed-over erasure"),
        // The template's AuditTamperingAlarm counts this message (a metric filter on this log
        // group): keep the two in step. The item is named by day, shard, time and request id.
        Outcome::Tampered(t) => tracing::error!(
            item = ?t.item,
            change = ?t.change,
            day = %t.day,
            shard = t.shard.as_deref().unwrap_or("-"),
            at = t.at.as_deref().unwrap_or("-"),
            request_id = t.request_id.as_deref().unwrap_or("-"),
            event_id = %record.event_id,
            "audit trail changed"
        ),
    }
    Ok(())
}
