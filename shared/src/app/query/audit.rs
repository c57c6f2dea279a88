//! `GET /audit` (admin only): who looked at which user or call.

use super::{AppError, ListPage, Paging, Query, TimeFilter};
use crate::domain::access::{AuditEvent, CursorScope, Principal, Role};
use crate::domain::retention;

impl Query<'_> {
    /// One page of audit events in `filter` (by default the last 30 days), newest first.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        filter: TimeFilter,
        paging: &Paging,
    ) -> Result<ListPage<AuditEvent>, AppError> {
        principal.require_any(&[Role::Admin])?;
        let window = filter.or(self.now - retention::HISTORY, self.now)?;
        let scope = CursorScope::Audit { from: filter.from, to: filter.to };
        let position = self.position(scope, paging)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let below = position.as_ref().and_then(|p| p.key.get("SK")).map(String::as_str);
        let page = self.store.audit(window, paging.limit, below, self.now).await?;
        let last_key = page.last.map(|sk| [("SK".to_owned(), sk)].into());
        let next_cursor = self.next_cursor(scope, last_key, returned + page.entries.len() as u32);
        Ok(ListPage { items: page.entries, next_cursor })
    }
}
