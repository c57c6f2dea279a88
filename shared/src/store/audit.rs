//! The audit trail in the table: entries spread over [`keys::AUDIT_SHARDS`] partitions per day,
//! refused attempts counted per caller and minute in a partition of their own, and a small
//! index of the days that have entries. Read back newest first by merging one day's partitions
//! at a time.

use super::StoreError;
use super::client::{DynamoStore, Page, Partition, WriteGuard, read_items, to_item};
use super::items::AuditItem;
use super::keys::{self, PK, SK};
use crate::domain::access::cursor::PageKey;
use crate::domain::access::{AuditAction, AuditEvent};
use crate::domain::retention;
use crate::store::lists::Window;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// One day in the index of days with audit entries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditDay {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    expires_at: i64,
}

/// Entries one Query of a partition reads when the trail is filtered by action.
const FILTERED_PAGE: u32 = 500;

/// At most this many Queries (of at most [`FILTERED_PAGE`] entries each) serve one request
/// filtered by action: a rare action's page may then be short or empty, with a cursor where the
/// read stopped, rather than one request reading the window's whole trail. At least one day's
/// partitions fit, so every request reads further than the last.
const FILTERED_QUERIES: usize = 60;

/// What one partition's read gave: the entries, how many Queries it took, and the sort key of
/// the last entry read when it stopped for its share of [`FILTERED_QUERIES`] with more left.
struct PartitionRead {
    items: Vec<AuditItem>,
    queries: usize,
    stopped_at: Option<String>,
}

impl DynamoStore {
    /// Records one served request's audit event. A retried request (same time and request id)
    /// finds its entry already there, which is success; no entry is ever overwritten.
    pub async fn write_audit(&self, event: AuditEvent) -> Result<(), StoreError> {
        let day = event.at.to_offset(time::UtcOffset::UTC).date();
        self.index_audit_day(day).await?;
        self.put_value(&AuditItem::new(event), WriteGuard::Absent).await?;
        Ok(())
    }

    /// Counts one refused attempt: the first of a caller's minute creates its entry, the rest
    /// add to its count. Refusals are answered whether or not this write succeeds (a flood of
    /// them may throttle their own partition), so a failure is logged, not returned.
    pub async fn write_refusal(&self, event: AuditEvent) {
        let day = event.at.to_offset(time::UtcOffset::UTC).date();
        let item = AuditItem::refusal(event);
        let result = async {
            self.index_audit_day(day).await?;
            let values = to_item(&item)?;
            let mut update = self
                .client()
                .update_item()
                .table_name(self.table())
                .key(PK, AttributeValue::S(item.pk.clone()))
                .key(SK, AttributeValue::S(item.sk.clone()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()));
            let mut sets = Vec::new();
            for (i, (name, value)) in
                values.into_iter().filter(|(n, _)| ![PK, SK, "refusedAttempts"].contains(&n.as_str())).enumerate()
            {
                sets.push(format!("#a{i} = if_not_exists(#a{i}, :a{i})"));
                update = update
                    .expression_attribute_names(format!("#a{i}"), name)
                    .expression_attribute_values(format!(":a{i}"), value);
            }
            update
                .update_expression(format!("SET {} ADD refusedAttempts :one", sets.join(", ")))
                .send()
                .await
                .map_err(|e| StoreError::request("UpdateItem", e))?;
            Ok::<(), StoreError>(())
        };
        if let Err(error) = result.await {
            tracing::warn!(error = %error, "a refused attempt could not be counted in the audit trail");
        }
    }

    /// Puts `day` into the index of audit days, once per warm function.
    async fn index_audit_day(&self, day: Date) -> Result<(), StoreError> {
        if self.audit_days.lock().expect("not poisoned").contains(&day) {
            return Ok(());
        }
        let end_of_day = day.next_day().unwrap_or(day).midnight().assume_utc();
        let entry = AuditDay {
            pk: keys::AUDIT_DAYS_PK.to_owned(),
            sk: day.to_string(),
            expires_at: retention::audit_expires_at(end_of_day).unix_timestamp(),
        };
        self.put_value(&entry, WriteGuard::NotEarlierExpiry(entry.expires_at)).await?;
        self.audit_days.lock().expect("not poisoned").insert(day);
        Ok(())
    }

    /// Up to `limit` audit events in `window` (of `action` only, if given), newest first,
    /// starting below the sort key `below` (the previous page's `last`). An action is
    /// filtered as entries are read, at most [`FILTERED_QUERIES`] Queries a request: the page
    /// then ends where the read stopped (`last_key` set, the page perhaps short or empty).
    pub async fn audit(
        &self,
        (from, to): Window,
        action: Option<AuditAction>,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<AuditEvent>, StoreError> {
        // The trail is read across shards, newest first: a page continues below the sort key
        // where the last one ended.
        let below = start.and_then(|key| key.get(SK)).map(String::as_str);
        let (low, mut high) = keys::time_range(from, to);
        if let Some(below) = below {
            high = high.min(below.to_owned());
        }
        let days = self.audit_days(&low, &high).await?;
        let mut queries_left = if action.is_some() { FILTERED_QUERIES } else { usize::MAX };
        // Below this sort key the read is incomplete: the page ends there.
        let mut cut: Option<String> = None;
        let mut entries: Vec<AuditItem> = Vec::new();
        for day in days {
            let need = limit as usize - entries.len();
            let partitions: Vec<String> =
                (0..keys::AUDIT_SHARDS).map(|s| keys::audit_pk(day, s)).chain([keys::refused_pk(day)]).collect();
            if queries_left < partitions.len() {
                // Nothing of this day read: the next page starts with it.
                cut = Some(format!("{day}~"));
                break;
            }
            let share = queries_left / partitions.len();
            let reads = partitions
                .into_iter()
                .map(|pk| self.newest_in(pk, (low.clone(), high.clone()), action, need, share, now));
            let mut found = Vec::new();
            for read in try_join_all(reads).await? {
                queries_left = queries_left.saturating_sub(read.queries);
                found.extend(read.items);
                cut = cut.max(read.stopped_at);
            }
            found.retain(|item| below.is_none_or(|b| item.sk.as_str() < b));
            if let Some(cut) = &cut {
                found.retain(|item| item.sk >= *cut);
            }
            found.sort_by(|a, b| b.sk.cmp(&a.sk));
            found.truncate(need);
            entries.extend(found);
            if entries.len() == limit as usize || cut.is_some() {
                break;
            }
        }
        let last = if entries.len() == limit as usize { entries.last().map(|e| e.sk.clone()) } else { cut };
        let last_key = last.map(|sk| PageKey::from([(SK.to_owned(), sk)]));
        Ok(Page { entries: entries.into_iter().map(|item| item.event).collect(), last_key })
    }

    /// The days of the index from the day of `low` to the day of `high`, newest first.
    async fn audit_days(&self, low: &str, high: &str) -> Result<Vec<Date>, StoreError> {
        let day_of = |key: &str| key.get(..10).unwrap_or_default().to_owned();
        let items = self
            .query()
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", AttributeValue::S(keys::AUDIT_DAYS_PK.to_owned()))
            .expression_attribute_values(":low", AttributeValue::S(day_of(low)))
            .expression_attribute_values(":high", AttributeValue::S(day_of(high)))
            .scan_index_forward(false)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        let days: Vec<AuditDay> = read_items(items, keys::AUDIT_DAYS_PK)?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Ok(days.iter().filter_map(|d| Date::parse(&d.sk, format).ok()).collect())
    }

    /// The newest `need` live entries of partition `pk` in `range` (of `action` only, if
    /// given), paging past expired and filtered ones, in at most `queries` Queries.
    async fn newest_in(
        &self,
        pk: String,
        range: (String, String),
        action: Option<AuditAction>,
        need: usize,
        queries: usize,
        now: OffsetDateTime,
    ) -> Result<PartitionRead, StoreError> {
        let mut read = PartitionRead { items: Vec::new(), queries: 0, stopped_at: None };
        let mut start = None;
        // One action among many: read larger pages, most of which the filter drops.
        let size = if action.is_some() { FILTERED_PAGE.max(need as u32 + 1) } else { need as u32 + 1 };
        loop {
            let partition = Partition::table(pk.clone());
            let page = self.newest_first(partition, range.clone(), size, start.as_ref(), now).await?;
            read.queries += 1;
            read.items.extend(
                page.entries.into_iter().filter(|item: &AuditItem| action.is_none_or(|a| item.event.action == a)),
            );
            match page.last_key {
                Some(key) if read.items.len() < need + 1 && read.queries >= queries => {
                    read.stopped_at = key.get(SK).cloned();
                    return Ok(read);
                }
                Some(key) if read.items.len() < need + 1 => start = Some(key),
                _ => return Ok(read),
            }
        }
    }
}
