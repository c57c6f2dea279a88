//! `GET /audit` (admin only): who looked at which user or call.

use super::{AppError, ListPage, Paging, Query, TimeFilter};
use crate::domain::access::{AuditAction, AuditEvent, CursorScope, Principal, Role};
use crate::domain::retention;

impl Query<'_> {
    /// One page of audit events in `filter` (by default the last 30 days), newest first; of
    /// one `action` only, if given.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        filter: TimeFilter,
        action: Option<AuditAction>,
        paging: &Paging,
    ) -> Result<ListPage<AuditEvent>, AppError> {
        principal.require_any(&[Role::Admin])?;
        let window = filter.or(self.now - retention::HISTORY, self.now)?;
        let scope = CursorScope::Audit { from: filter.from, to: filter.to, action };
        let position = self.position(scope, paging)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let start = position.as_ref().map(|p| &p.key);
        let page = self.store.audit(window, action, paging.limit, start, self.now).await?;
        let next_cursor = self.next_cursor(scope, page.last_key, returned + page.entries.len() as u32);
        Ok(ListPage { items: page.entries, next_cursor })
    }
}
