//! Tenant data sets (buildings, endpoints): each upload is a new version, written as chunks,
//! then made active by one conditional write of a pointer. Readers follow the pointer, so they
//! see the old version or the new one, never a mix; a failed upload never moves the pointer.

use super::dynamo::DynamoStore;
use super::keys::{self, EXPIRES_AT, PK, SK};
use super::prepare::{Item, PAGE_BUDGET, pack};
use super::{StoreError, items::SubnetUsage};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How long an active version's chunks live: they must outlive any realistic time between
/// uploads, and get the normal 30-day life once replaced.
pub const ACTIVE_LIFETIME: Duration = Duration::days(3650);

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DatasetKind {
    Buildings,
    Endpoints,
}

impl DatasetKind {
    fn key(self) -> &'static str {
        match self {
            Self::Buildings => "buildings",
            Self::Endpoints => "endpoints",
        }
    }
}

/// The pointer to a data set's active version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveDataset {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub kind: DatasetKind,
    /// Upload time in epoch milliseconds: later uploads have higher versions.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub rows: u32,
    pub chunks: u32,
    pub expires_at: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChunkHead {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    version: i64,
    chunk: u32,
    expires_at: i64,
}

#[derive(Deserialize)]
struct Chunk<T> {
    version: i64,
    chunk: u32,
    rows: Vec<T>,
}

impl DynamoStore {
    /// Stores `rows` as the new active version of `kind`, uploaded at `now`.
    ///
    /// The version is the upload time in milliseconds, or one more than the active version if
    /// that is not later. Chunks are written only where none exist, so two uploads that pick the
    /// same version cannot mix their rows: the second is refused as contention.
    pub async fn replace_dataset<T: Serialize>(
        &self,
        kind: DatasetKind,
        rows: &[T],
        now: OffsetDateTime,
    ) -> Result<ActiveDataset, StoreError> {
        let previous = self.active_dataset(kind).await?;
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let version = previous.as_ref().map_or(now_ms, |p| now_ms.max(p.version + 1));
        let pk = keys::dataset_pk(kind.key(), version);
        let packed = pack(rows).map_err(|(i, size)| StoreError::TooLarge {
            key: pk.clone(),
            detail: format!("row {i} is {size} bytes; at most {PAGE_BUDGET}"),
        })?;
        let expires_at = (now + ACTIVE_LIFETIME).unix_timestamp();
        let chunks = packed.pages.len() as u32;
        let mut puts = Vec::with_capacity(packed.pages.len());
        for (n, values) in packed.pages.into_iter().enumerate() {
            let head = ChunkHead {
                pk: pk.clone(),
                sk: keys::dataset_chunk_sk(n as u32),
                version,
                chunk: n as u32,
                expires_at,
            };
            let mut item: Item = serde_dynamo::to_item(head).expect("keys and numbers always serialize");
            item.insert("rows".to_owned(), AttributeValue::L(values));
            let put = self
                .client()
                .put_item()
                .table_name(self.table())
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .send();
            puts.push(put);
        }
        match futures::stream::iter(puts).buffer_unordered(8).try_collect::<Vec<_>>().await {
            Ok(_) => {}
            Err(e) if StoreError::condition_failed(&e) => {
                return Err(StoreError::Contention(format!("another {} upload", kind.key())));
            }
            Err(e) => return Err(StoreError::request("PutItem", e)),
        }

        let active = ActiveDataset {
            pk: keys::DATASETS_PK.to_owned(),
            sk: kind.key().to_owned(),
            kind,
            version,
            uploaded_at: now,
            rows: rows.len() as u32,
            chunks,
            expires_at,
        };
        let item: Item = serde_dynamo::to_item(&active).expect("the pointer always serializes");
        let flipped = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #version < :v")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .send()
            .await;
        match flipped {
            Ok(_) => {}
            Err(e) if StoreError::condition_failed(&e) => {
                return Err(StoreError::Contention(format!("a newer {} upload", kind.key())));
            }
            Err(e) => return Err(StoreError::request("PutItem", e)),
        }
        if let Some(old) = previous {
            self.retire_dataset(kind, &old, now).await;
        }
        Ok(active)
    }

    /// Gives a replaced version's chunks the normal 30-day life. Best effort: a chunk missed
    /// here is never read (the pointer has moved) and is logged.
    async fn retire_dataset(&self, kind: DatasetKind, old: &ActiveDataset, now: OffsetDateTime) {
        let expires = AttributeValue::N((now + crate::retention::HISTORY).unix_timestamp().to_string());
        for n in 0..old.chunks {
            let result = self
                .client()
                .update_item()
                .table_name(self.table())
                .key(PK, AttributeValue::S(keys::dataset_pk(kind.key(), old.version)))
                .key(SK, AttributeValue::S(keys::dataset_chunk_sk(n)))
                .update_expression("SET #e = :e")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#e", EXPIRES_AT)
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":e", expires.clone())
                .send()
                .await;
            if let Err(error) = result {
                tracing::warn!(kind = kind.key(), version = old.version, chunk = n, error = %StoreError::request("UpdateItem", error), "could not retire an old chunk");
            }
        }
    }

    /// The active version of `kind`, if any was uploaded.
    pub async fn active_dataset(&self, kind: DatasetKind) -> Result<Option<ActiveDataset>, StoreError> {
        Ok(self.active_datasets().await?.into_iter().find(|a| a.kind == kind))
    }

    /// The active versions of every data set, in one Query.
    pub async fn active_datasets(&self) -> Result<Vec<ActiveDataset>, StoreError> {
        let output = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::DATASETS_PK.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item(item)
                    .map_err(|source| StoreError::Corrupt { key: keys::DATASETS_PK.to_owned(), source })
            })
            .collect()
    }

    /// Every row of an active version (one Query, paged past 1 MB).
    pub async fn load_dataset<T: DeserializeOwned>(&self, active: &ActiveDataset) -> Result<Vec<T>, StoreError> {
        let pk = keys::dataset_pk(active.kind.key(), active.version);
        let items = self.partition(&pk, false).await?;
        let mut chunks: Vec<Chunk<T>> = items
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).map_err(|source| StoreError::Corrupt { key: pk.clone(), source }))
            .collect::<Result<_, _>>()?;
        chunks.retain(|c| c.version == active.version);
        chunks.sort_by_key(|c| c.chunk);
        if chunks.len() != active.chunks as usize {
            return Err(StoreError::TooLarge {
                key: pk,
                detail: format!("{} of {} chunks found", chunks.len(), active.chunks),
            });
        }
        Ok(chunks.into_iter().flat_map(|c| c.rows).collect())
    }

    /// Records that `usage` was seen (idempotent: a set of per-session elements, capped).
    pub(super) async fn record_subnet_use(&self, usage: &SubnetUsage) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(PK, AttributeValue::S(usage.pk.clone()))
            .key(SK, AttributeValue::S(usage.subnet.clone()))
            .update_expression("ADD #seen :seen SET #e = :e")
            .condition_expression("attribute_not_exists(#seen) OR size(#seen) < :cap")
            .expression_attribute_names("#seen", "seen")
            .expression_attribute_names("#e", EXPIRES_AT)
            .expression_attribute_values(":seen", AttributeValue::Ss(vec![usage.element.clone()]))
            .expression_attribute_values(":e", AttributeValue::N(usage.expires_at.to_string()))
            .expression_attribute_values(":cap", AttributeValue::N(SUBNET_SAMPLE_CAP.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if StoreError::condition_failed(&e) => Ok(()),
            Err(e) => Err(StoreError::request("UpdateItem", e)),
        }
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
                Some(AttributeValue::N(at)) => at.parse::<i64>().is_ok_and(|at| !crate::retention::is_expired(at, now)),
                _ => false,
            })
            .map(|item| {
                let seen: Seen =
                    serde_dynamo::from_item(item).map_err(|source| StoreError::Corrupt { key: pk.clone(), source })?;
                let streams = seen.seen.iter().filter_map(|e| e.rsplit_once('|')?.1.parse::<u32>().ok()).sum();
                Ok((seen.subnet, streams))
            })
            .collect()
    }
}

/// Sessions recorded per subnet and day: enough to tell "at least 10 audio streams", few
/// enough that the item stays small however busy the subnet is.
pub const SUBNET_SAMPLE_CAP: usize = 10;
