//! What a keyed request (`Idempotency-Key`) did, remembered for a day under its key
//! (`IDEMPOTENCY#<scope>`), so that a repeat answers like the first. A record is only ever put
//! inside the transaction of the change it records, so it exists exactly when the change does;
//! it is read back when that transaction finds the key taken. See `docs/data-model.md`.

use super::StoreError;
use super::calls::guarded_put;
use super::client::{DynamoStore, WriteGuard, to_item};
use super::keys;
use crate::domain::idempotency::{KEY_LIFETIME_SECONDS, KeyRecord, KeyedRequest};
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An idempotency record as stored: no caller id, no key in clear (the partition is a hash of
/// both), only what a repeat is checked against and answered from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    fingerprint: String,
    escalation_id: String,
    expires_at: i64,
}

impl DynamoStore {
    /// What the request keyed `scope` did, read consistently; `None` if nothing is remembered
    /// (never used, or expired though not yet deleted).
    pub async fn key_record(&self, scope: &str, now: OffsetDateTime) -> Result<Option<KeyRecord>, StoreError> {
        let item = self.get::<KeyItem>(&keys::idempotency_pk(scope), keys::IDEMPOTENCY_SK).await?;
        Ok(item
            .filter(|i| i.expires_at > now.unix_timestamp())
            .map(|i| KeyRecord { fingerprint: i.fingerprint, escalation_id: i.escalation_id }))
    }

    /// The transaction action that remembers `request` did its work on `escalation_id` at `now`:
    /// it fails the transaction if the key is remembered already.
    pub(super) fn remember(
        &self,
        request: &KeyedRequest,
        escalation_id: &str,
        now: OffsetDateTime,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = KeyItem {
            pk: keys::idempotency_pk(&request.scope),
            sk: keys::IDEMPOTENCY_SK.to_owned(),
            fingerprint: request.fingerprint.clone(),
            escalation_id: escalation_id.to_owned(),
            expires_at: now.unix_timestamp() + KEY_LIFETIME_SECONDS,
        };
        Ok(guarded_put(self.table(), to_item(&item)?, WriteGuard::AbsentOrExpired(now.unix_timestamp())))
    }
}
