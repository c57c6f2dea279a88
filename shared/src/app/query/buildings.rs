//! `GET /buildings` and `GET /buildings/unmapped-subnets` (admin only): the building map in use,
//! and what it misses.

use super::{AppError, ListPage, Paging, Query};
use crate::app::tenant_files::{UnmappedSubnet, unmapped_subnets};
use crate::domain::access::{CursorScope, Position, Principal, Role};
use crate::domain::sites::Building;
use serde::Serialize;
use time::OffsetDateTime;

/// The active building map, a page of its rows at a time.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildingsPage {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub row_count: u32,
    pub items: Vec<Building>,
    pub next_cursor: Option<String>,
}

impl Query<'_> {
    /// One page of the active building map's rows.
    pub async fn buildings(&self, principal: &Principal, paging: &Paging) -> Result<BuildingsPage, AppError> {
        principal.require_any(&[Role::Admin])?;
        let loaded = self.sites.current(self.store, self.now, true).await?;
        let Some(active) = loaded.buildings else {
            return Err(AppError::NotFound("building map"));
        };
        let scope = CursorScope::Buildings { version: active.version };
        let offset = self.position(scope, paging)?.map_or(0, |p| p.returned) as usize;
        let rows = loaded.sites.buildings.rows();
        let page: Vec<Building> = rows.iter().skip(offset).take(paging.limit as usize).cloned().collect();
        let end = offset + page.len();
        let next_cursor = (end < rows.len())
            .then(|| self.signer.sign(scope, &Position { key: Default::default(), returned: end as u32 }));
        Ok(BuildingsPage {
            version: active.version,
            uploaded_at: active.uploaded_at,
            row_count: active.rows,
            items: page,
            next_cursor,
        })
    }

    /// Subnets seen in the last 30 days that the building map does not cover.
    pub async fn unmapped_subnets(&self, principal: &Principal) -> Result<ListPage<UnmappedSubnet>, AppError> {
        principal.require_any(&[Role::Admin])?;
        let loaded = self.sites.current(self.store, self.now, true).await?;
        let items = unmapped_subnets(self.store, &loaded.sites.buildings, self.now).await?;
        Ok(ListPage { items, next_cursor: None })
    }
}
