//! `GET /graph/dead-letters` (admin only): the call records the Graph connector gave up on, and
//! why (refused by ingest, larger than callscope keeps, Graph kept failing), newest first.

use super::{AppError, ListPage, Paging, Query};
use crate::domain::access::{CursorScope, Principal, Role};
use serde::Serialize;
use time::OffsetDateTime;

/// One record set aside: which, why, after how many attempts, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterRow {
    pub call_id: String,
    pub reason: String,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Query<'_> {
    /// One page of the dead letters of the last 30 days, newest first.
    pub async fn dead_letters(
        &self,
        principal: &Principal,
        paging: &Paging,
    ) -> Result<ListPage<DeadLetterRow>, AppError> {
        principal.require_any(&[Role::Admin])?;
        let scope = CursorScope::DeadLetters;
        let position = self.position(scope, paging)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let page = self.store.dead_letters(paging.limit, position.as_ref().map(|p| &p.key), self.now).await?;
        let next_cursor = self.next_cursor(scope, page.last_key, returned + page.entries.len() as u32);
        let items = page
            .entries
            .into_iter()
            .map(|d| DeadLetterRow { call_id: d.call_id, reason: d.reason, attempts: d.attempts, at: d.at })
            .collect();
        Ok(ListPage { items, next_cursor })
    }
}
