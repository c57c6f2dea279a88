//! Tenant data sets (buildings, endpoints): each upload is a new version, written as chunks,
//! then made active by one conditional write of a pointer. Readers follow the pointer, so they
//! see the old version or the new one, never a mix; a failed upload never moves the pointer.

use super::StoreError;
use super::client::{DynamoStore, WriteGuard, from_item, key_item, read_items, to_item};
use super::keys::{self, EXPIRES_AT};
use super::prepare::{PAGE_BUDGET, pack, with_list};
use crate::domain::retention;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DatasetKind {
    Buildings,
    Endpoints,
}

impl DatasetKind {
    /// The kind's name in keys and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Buildings => "buildings",
            Self::Endpoints => "endpoints",
        }
    }

    /// The file as messages name it.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Buildings => "the building file",
            Self::Endpoints => "the endpoint file",
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

/// What every chunk of a data set version carries besides its rows.
#[derive(Serialize, Deserialize)]
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
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct Chunk<T> {
    #[serde(flatten)]
    head: ChunkHead,
    #[serde(with = "super::compact")]
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
        let pk = keys::dataset_pk(kind, version);
        let packed = pack(rows).map_err(|(i, size)| StoreError::TooLarge {
            key: pk.clone(),
            detail: format!("row {i} is {size} bytes; at most {PAGE_BUDGET}"),
        })?;
        let expires_at = retention::dataset_expires_at(true, now).unix_timestamp();
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
            puts.push(self.put_guarded(with_list(&head, "rows", values), WriteGuard::Absent));
        }
        let written: Vec<bool> = futures::stream::iter(puts).buffer_unordered(8).try_collect().await?;
        if written.contains(&false) {
            return Err(StoreError::Contention { what: kind.file_name() });
        }

        let active = ActiveDataset {
            pk: keys::DATASETS_PK.to_owned(),
            sk: kind.name().to_owned(),
            kind,
            version,
            uploaded_at: now,
            rows: rows.len() as u32,
            chunks,
            expires_at,
        };
        if !self.put_guarded(to_item(&active)?, WriteGuard::NewerVersion(version)).await? {
            return Err(StoreError::Contention { what: kind.file_name() });
        }
        if let Some(old) = previous {
            self.retire_dataset(kind, &old, now).await;
        }
        Ok(active)
    }

    /// Gives a replaced version's chunks the normal 30-day life. Best effort: a chunk missed
    /// here is never read (the pointer has moved) and is logged.
    async fn retire_dataset(&self, kind: DatasetKind, old: &ActiveDataset, now: OffsetDateTime) {
        let expires = AttributeValue::N(retention::dataset_expires_at(false, now).unix_timestamp().to_string());
        for n in 0..old.chunks {
            let update = self
                .client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(key_item(&keys::dataset_pk(kind, old.version), &keys::dataset_chunk_sk(n))))
                .update_expression("SET #e = :e")
                .expression_attribute_names("#e", EXPIRES_AT)
                .expression_attribute_values(":e", expires.clone());
            let result = WriteGuard::Present.on_update(update).send().await;
            if let Err(error) = result {
                tracing::warn!(kind = kind.name(), version = old.version, chunk = n, error = %StoreError::request("UpdateItem", error), "could not retire an old chunk");
            }
        }
    }

    /// The active version of `kind`, if any was uploaded.
    pub async fn active_dataset(&self, kind: DatasetKind) -> Result<Option<ActiveDataset>, StoreError> {
        Ok(self.active_datasets().await?.into_iter().find(|a| a.kind == kind))
    }

    /// The active versions of every data set, in one Query.
    pub async fn active_datasets(&self) -> Result<Vec<ActiveDataset>, StoreError> {
        read_items(self.partition(keys::DATASETS_PK, true).await?, keys::DATASETS_PK)
    }

    /// Every row of an active version (one Query, paged past 1 MB).
    pub async fn load_dataset<T: DeserializeOwned>(&self, active: &ActiveDataset) -> Result<Vec<T>, StoreError> {
        let pk = keys::dataset_pk(active.kind, active.version);
        let items = self.partition(&pk, false).await?;
        let mut chunks: Vec<Chunk<T>> = items.into_iter().map(|item| from_item(item, &pk)).collect::<Result<_, _>>()?;
        chunks.retain(|c| c.head.version == active.version);
        chunks.sort_by_key(|c| c.head.chunk);
        if chunks.len() != active.chunks as usize {
            return Err(StoreError::TooLarge {
                key: pk,
                detail: format!("{} of {} chunks found", chunks.len(), active.chunks),
            });
        }
        Ok(chunks.into_iter().flat_map(|c| c.rows).collect())
    }
}
