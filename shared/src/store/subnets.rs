//! The subnets sessions were seen on, per day: what the unmapped-subnets report counts. Each
//! session side adds one element to its subnet's set for the day (so a replay adds nothing),
//! capped so a busy subnet's item stays small.

use super::StoreError;
use super::client::{DynamoStore, WriteGuard, from_item, key_item};
use super::items::SubnetUsage;
use super::keys::{self, EXPIRES_AT};
use crate::domain::retention;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;
use time::OffsetDateTime;

impl DynamoStore {
    /// Records that `usage` was seen (idempotent: a set of per-session elements, capped).
    pub(super) async fn record_subnet_use(&self, usage: &SubnetUsage) -> Result<(), StoreError> {
        let update = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_item(&usage.pk, &usage.subnet)))
            .update_expression("ADD #seen :seen SET #e = :e")
            .expression_attribute_names("#seen", "seen")
            .expression_attribute_names("#e", EXPIRES_AT)
            .expression_attribute_values(":seen", AttributeValue::Ss(vec![usage.element.clone()]))
            .expression_attribute_values(":e", AttributeValue::N(usage.expires_at.to_string()));
        let result = WriteGuard::RoomInSample { cap: SUBNET_SAMPLE_CAP }.on_update(update).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if StoreError::condition_failed(&e) => Ok(()),
            Err(e) => Err(StoreError::request("UpdateItem", e)),
        }
    }

    /// Takes call `call_id` out of the samples of `subnets` on `day`: an erasure of one of its
    /// parties leaves no trace of where they were (each sample names the call).
    pub(super) async fn forget_subnet_samples(
        &self,
        call_id: &str,
        day: time::Date,
        subnets: impl IntoIterator<Item = &String>,
    ) -> Result<(), StoreError> {
        #[derive(Deserialize)]
        struct Seen {
            #[serde(default)]
            seen: Vec<String>,
        }
        let pk = keys::subnets_pk(day);
        let prefix = format!("{call_id}|");
        for subnet in subnets {
            let Some(sample) = self.get_projected::<Seen>(&pk, subnet, Some("seen")).await? else {
                continue;
            };
            let elements: Vec<String> = sample.seen.into_iter().filter(|e| e.starts_with(&prefix)).collect();
            if elements.is_empty() {
                continue;
            }
            self.client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(key_item(&pk, subnet)))
                .update_expression("DELETE #seen :gone")
                .expression_attribute_names("#seen", "seen")
                .expression_attribute_values(":gone", AttributeValue::Ss(elements))
                .send()
                .await
                .map_err(|e| StoreError::request("UpdateItem", e))?;
        }
        Ok(())
    }

    /// Audio streams per subnet seen on `day` (one Query, paged).
    pub async fn subnets_on(&self, day: time::Date, now: OffsetDateTime) -> Result<Vec<(String, u32)>, StoreError> {
        #[derive(Deserialize)]
        struct Seen {
            #[serde(rename = "SK")]
            subnet: String,
            #[serde(default)]
            seen: Vec<String>,
        }
        let pk = keys::subnets_pk(day);
        let items = self.partition(&pk, false).await?;
        items
            .into_iter()
            .filter(|item| match item.get(EXPIRES_AT) {
                Some(AttributeValue::N(at)) => at.parse::<i64>().is_ok_and(|at| !retention::is_expired(at, now)),
                _ => false,
            })
            .map(|item| {
                let seen: Seen = from_item(item, &pk)?;
                let streams = seen.seen.iter().filter_map(|e| e.rsplit_once('|')?.1.parse::<u32>().ok()).sum();
                Ok((seen.subnet, streams))
            })
            .collect()
    }
}

/// Sessions recorded per subnet and day: enough to tell "at least 10 audio streams", few
/// enough that the item stays small however busy the subnet is.
pub const SUBNET_SAMPLE_CAP: usize = 10;
