//! Tenant data in use: uploading building and endpoint files, keeping the active versions loaded
//! in a warm function, and the unmapped-subnets report.

use crate::buildings::{Building, BuildingMap, EndpointRow};
use crate::buildings::{Delimiter, EndpointMap, Sites, parse_buildings, parse_endpoints};
use crate::ingest::IngestError;
use crate::model::{Problem, Rejection};
use crate::retention;
use crate::store::{ActiveDataset, DatasetKind, DynamoStore, StoreError};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// What an accepted upload became.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub version: i64,
    pub rows: u32,
    /// Accepted, but worth a look (home subnets, rows without a location).
    pub warnings: Vec<Problem>,
}

/// Validates a building file and, if every row is valid, makes it the active map.
pub async fn upload_buildings(
    store: &DynamoStore,
    body: &[u8],
    content_type: Option<&str>,
    now: OffsetDateTime,
) -> Result<UploadReport, IngestError> {
    let file =
        parse_buildings(body, Delimiter::detect(content_type, body)).map_err(|problems| Rejection { problems })?;
    let active = store.replace_dataset(DatasetKind::Buildings, &file.rows, now).await?;
    Ok(UploadReport { version: active.version, rows: active.rows, warnings: file.warnings })
}

/// Validates an endpoint file and, if every row is valid, makes it the active one.
pub async fn upload_endpoints(
    store: &DynamoStore,
    body: &[u8],
    content_type: Option<&str>,
    now: OffsetDateTime,
) -> Result<UploadReport, IngestError> {
    let rows =
        parse_endpoints(body, Delimiter::detect(content_type, body)).map_err(|problems| Rejection { problems })?;
    let active = store.replace_dataset(DatasetKind::Endpoints, &rows, now).await?;
    Ok(UploadReport { version: active.version, rows: active.rows, warnings: Vec::new() })
}

/// The tenant data as last loaded.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub sites: Arc<Sites>,
    /// The active building upload, if any.
    pub buildings: Option<ActiveDataset>,
}

#[derive(Default)]
struct CacheState {
    checked_at: Option<OffsetDateTime>,
    loaded: Loaded,
    endpoints: Option<i64>,
}

/// Keeps the active tenant data loaded in a warm function: checks the active versions (one
/// Query) at most once per `refresh`, and reloads a data set only when its version changed.
pub struct SiteCache {
    refresh: Duration,
    state: tokio::sync::Mutex<CacheState>,
}

impl std::fmt::Debug for SiteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteCache(refresh {})", self.refresh)
    }
}

impl SiteCache {
    /// A cache that re-checks the active versions every `refresh`.
    pub fn new(refresh: Duration) -> Self {
        Self { refresh, state: tokio::sync::Mutex::default() }
    }

    /// The tenant data in force at `now`; `fresh` forces the version check.
    pub async fn current(&self, store: &DynamoStore, now: OffsetDateTime, fresh: bool) -> Result<Loaded, StoreError> {
        let mut state = self.state.lock().await;
        let due = state.checked_at.is_none_or(|at| now - at >= self.refresh);
        if !fresh && !due {
            return Ok(state.loaded.clone());
        }
        let active = store.active_datasets().await?;
        let find = |kind| active.iter().find(|a| a.kind == kind).cloned();
        let (buildings, endpoints) = (find(DatasetKind::Buildings), find(DatasetKind::Endpoints));
        let mut sites = (*state.loaded.sites).clone();
        let mut changed = false;
        if buildings.as_ref().map(|a| a.version) != state.loaded.buildings.as_ref().map(|a| a.version) {
            let rows: Vec<Building> = match &buildings {
                Some(active) => store.load_dataset(active).await?,
                None => Vec::new(),
            };
            sites.buildings = BuildingMap::new(rows);
            changed = true;
        }
        if endpoints.as_ref().map(|a| a.version) != state.endpoints {
            let rows: Vec<EndpointRow> = match &endpoints {
                Some(active) => store.load_dataset(active).await?,
                None => Vec::new(),
            };
            sites.endpoints = EndpointMap::new(rows);
            state.endpoints = endpoints.map(|a| a.version);
            changed = true;
        }
        if changed {
            state.loaded = Loaded { sites: Arc::new(sites), buildings };
        }
        state.checked_at = Some(now);
        Ok(state.loaded.clone())
    }
}

/// A subnet the building file does not cover, and how much audio was seen on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnmappedSubnet {
    pub subnet: String,
    /// Audio streams seen in the last 30 days (counted up to a small sample per day).
    pub audio_streams: u32,
}

/// Fewest audio streams for a subnet to be reported (CQD's own threshold).
pub const MIN_AUDIO_STREAMS: u32 = 10;

/// Subnets seen in sessions of the last 30 days with at least 10 audio streams that no building
/// row covers, most used first. One Query per day of the window; no Scan.
pub async fn unmapped_subnets(
    store: &DynamoStore,
    buildings: &BuildingMap,
    now: OffsetDateTime,
) -> Result<Vec<UnmappedSubnet>, StoreError> {
    let first = (now - retention::HISTORY).date();
    let days: Vec<time::Date> =
        std::iter::successors(Some(first), |d| d.next_day()).take_while(|d| *d <= now.date()).collect();
    let reads: Vec<_> = days.iter().map(|day| store.subnets_on(*day, now)).collect();
    let per_day: Vec<Vec<(String, u32)>> = futures::stream::iter(reads).buffer_unordered(8).try_collect().await?;
    let mut streams: HashMap<String, u32> = HashMap::new();
    for (subnet, count) in per_day.into_iter().flatten() {
        *streams.entry(subnet).or_default() += count;
    }
    let mut unmapped: Vec<UnmappedSubnet> = streams
        .into_iter()
        .filter(|(subnet, count)| *count >= MIN_AUDIO_STREAMS && buildings.locate(Some(subnet), None).is_none())
        .map(|(subnet, audio_streams)| UnmappedSubnet { subnet, audio_streams })
        .collect();
    unmapped.sort_by(|a, b| b.audio_streams.cmp(&a.audio_streams).then_with(|| a.subnet.cmp(&b.subnet)));
    Ok(unmapped)
}
