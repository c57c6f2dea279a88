//! The Graph worker fleet's shared request budget, counted in the table: one item per window,
//! which every worker's request adds one to while the window is below its lane's cap
//! (`crate::domain::connector::budget`, `docs/data-model.md` pattern u).

use super::StoreError;
use super::client::{DynamoStore, WriteGuard, key_item};
use super::keys::{self, EXPIRES_AT};
use crate::domain::connector::{FleetBudget, Grant, Lane};
use aws_sdk_dynamodb::types::AttributeValue;
use time::{Duration, OffsetDateTime};

/// How long a window's count is kept after the window ends: nothing reads it then, TTL only
/// keeps the table from growing (a little slack for workers whose clocks run behind).
const BUDGET_KEPT: Duration = Duration::minutes(5);

impl DynamoStore {
    /// Takes one Graph request of `lane` from the fleet's `budget` in the window of `now`: one
    /// conditional `UpdateItem`, counted only if granted, so however many workers ask at once
    /// the window grants exactly its cap. A refusal says when the next window starts.
    pub async fn take_graph_request(
        &self,
        lane: Lane,
        budget: &FleetBudget,
        now: OffsetDateTime,
    ) -> Result<Grant, StoreError> {
        let window = budget.window_start(now);
        let expires_at = (window + budget.window + BUDGET_KEPT).unix_timestamp();
        let update = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_item(&keys::budget_pk(window), keys::BUDGET_SK)))
            .update_expression("ADD #requests :one SET #e = :e")
            .expression_attribute_names("#requests", "requests")
            .expression_attribute_names("#e", EXPIRES_AT)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":e", AttributeValue::N(expires_at.to_string()));
        let result = WriteGuard::BelowCount { cap: budget.cap(lane) }.on_update(update).send().await;
        match result {
            Ok(_) => Ok(Grant::Granted),
            Err(e) if StoreError::condition_failed(&e) => Ok(Grant::RetryAt(budget.next_window(now))),
            Err(e) => Err(StoreError::request("UpdateItem", e)),
        }
    }
}
