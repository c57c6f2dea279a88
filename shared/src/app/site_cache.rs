//! The tenant data in use in a warm function: the active building and endpoint files, loaded
//! once and re-checked at most once per refresh interval.

use crate::domain::sites::{Building, BuildingMap, EndpointMap, EndpointRow, Sites};
use crate::store::{ActiveDataset, DatasetKind, DynamoStore, StoreError};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

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
