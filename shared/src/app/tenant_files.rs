//! Tenant files: uploading the building and endpoint files (`PUT /buildings`,
//! `PUT /endpoints`), and the unmapped-subnets report that tells an admin what the building file
//! misses.

use super::AppError;
use crate::domain::access::{AuditAction, AuditEvent, Principal, Role};
use crate::domain::problem::{Problem, Rejection};
use crate::domain::retention;
use crate::domain::sites::{BuildingMap, Delimiter, parse_buildings, parse_endpoints};
use crate::store::{DatasetKind, DynamoStore, StoreError};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;

/// What an accepted upload became.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub version: i64,
    pub rows: u32,
    /// Accepted, but worth a look (home subnets, rows without a location).
    pub warnings: Vec<Problem>,
}

/// Validates a `kind` file for `principal` (an admin) and, if every row is valid, makes it the
/// active one. Audited, refused attempts and refused files too: a building file changes the
/// location shown on every session.
pub async fn upload(
    store: &DynamoStore,
    principal: &Principal,
    (kind, body, content_type): (DatasetKind, &[u8], Option<&str>),
    now: OffsetDateTime,
    request_id: &str,
) -> Result<UploadReport, AppError> {
    let action = match kind {
        DatasetKind::Buildings => AuditAction::BuildingsUpload,
        DatasetKind::Endpoints => AuditAction::EndpointsUpload,
    };
    let event = AuditEvent::new(principal, action, now, request_id);
    super::authorize::audited(store, principal.require_any(&[Role::Admin]), &event).await?;
    store.write_audit(event).await?;
    let delimiter = Delimiter::detect(content_type, body);
    let rejected = |problems| Rejection { problems };
    let (active, warnings) = match kind {
        DatasetKind::Buildings => {
            let file = parse_buildings(body, delimiter).map_err(rejected)?;
            (store.replace_dataset(kind, &file.rows, now).await?, file.warnings)
        }
        DatasetKind::Endpoints => {
            let rows = parse_endpoints(body, delimiter).map_err(rejected)?;
            (store.replace_dataset(kind, &rows, now).await?, Vec::new())
        }
    };
    Ok(UploadReport { version: active.version, rows: active.rows, warnings })
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
