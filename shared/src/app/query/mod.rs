//! The helpdesk's questions — who is this user, what calls did they have, what went wrong in
//! this one — answered for one caller, in the view their role allows. One module per route;
//! this one holds what they share: the request context, paging, and the audit write.

mod audit;
mod buildings;
mod call;
mod dead_letters;
mod escalations;
mod graph_status;
mod history;
mod me;
mod users;

pub use buildings::BuildingsPage;
pub use call::{CallView, DetailView, ParticipantsView, SessionsView};
pub use dead_letters::DeadLetterRow;
pub use escalations::{EscalationDetail, EscalationFilter, EscalationList};
pub use graph_status::{GraphStatus, Subscription, SubscriptionHealth};
pub use history::{HistoryOwner, HistoryPage, HistoryPageView};
pub use me::Me;

use super::AppError;
use super::authorize::audited;
use super::site_cache::SiteCache;
use crate::domain::access::cursor::PageKey;
use crate::domain::access::{AuditAction, AuditEvent, CursorScope, CursorSigner, Position, Principal};
use crate::domain::views::Audience;
use crate::store::lists::Window;
use crate::store::{DynamoStore, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

/// Page size when the client names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 100;
/// Most calls one user's history shows in the 30-day window (as Teams does).
pub const MAX_HISTORY: u32 = 500;

/// A page of a list: `{"items": [...], "nextCursor": "..."}`, the cursor absent on the last page.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<S, E> crate::domain::views::ByRole<ListPage<S>, ListPage<E>> {
    /// Where the next page of a list in either view starts; `None` on the last.
    pub fn next_cursor(&self) -> Option<&str> {
        match self {
            Self::Specialist(page) => page.next_cursor.as_deref(),
            Self::Engineer(page) => page.next_cursor.as_deref(),
        }
    }

    /// The page's items rendered by the function of its view: one place that picks the view,
    /// so each list's `to_csv` only names its renderer.
    pub fn render<R>(&self, specialist: impl FnOnce(&[S]) -> R, engineer: impl FnOnce(&[E]) -> R) -> R {
        match self {
            Self::Specialist(page) => specialist(&page.items),
            Self::Engineer(page) => engineer(&page.items),
        }
    }
}

/// The call and user of a route about one user's call (`/calls/{callId}?user={userId}`),
/// checked: `user` is required, and both must be valid ids.
fn call_of_user<'a>(call_id: &str, user_id: Option<&'a str>) -> Result<&'a str, AppError> {
    let user_id = user_id.filter(|u| !u.is_empty()).ok_or(AppError::BadParameter {
        name: "user",
        message: "required: the id of the user whose call this is".into(),
    })?;
    AppError::check_id("user", user_id)?;
    AppError::check_id("callId", call_id)?;
    Ok(user_id)
}

/// How much of a list to return, and where to continue (`limit` within 1..=[`MAX_LIMIT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    /// A cursor from the previous page, unverified.
    pub cursor: Option<String>,
}

impl Default for Paging {
    fn default() -> Self {
        Self { limit: DEFAULT_LIMIT, cursor: None }
    }
}

/// The time window a list was asked for; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeFilter {
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

impl TimeFilter {
    /// The window asked for, an open end replaced by `from` or `to`.
    fn or(self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Window, AppError> {
        let window = (self.from.unwrap_or(from), self.to.unwrap_or(to));
        if window.0 > window.1 {
            return Err(AppError::BadParameter { name: "from", message: "must not be after `to`".into() });
        }
        Ok(window)
    }

    /// The window asked for, within `earliest` and `latest` (an open end is that bound).
    fn within(self, earliest: OffsetDateTime, latest: OffsetDateTime) -> Result<Window, AppError> {
        let clamped = Self { from: self.from.map(|f| f.max(earliest)), to: self.to.map(|t| t.min(latest)) };
        clamped.or(earliest, latest)
    }

    /// Whether either end was given.
    fn is_set(self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

/// One request's context: the store, the cursor key, the home tenant, the time and request id.
pub struct Query<'a> {
    pub store: &'a DynamoStore,
    /// The tenant data (buildings, endpoints) as loaded in this warm function.
    pub sites: &'a SiteCache,
    pub signer: &'a CursorSigner,
    pub home_tenant: &'a str,
    /// What a failed phone call's SIP codes mean (`SIP_CAUSES`).
    pub sip_causes: &'a crate::domain::phone::sip::SipCauses,
    pub now: OffsetDateTime,
    pub request_id: &'a str,
}

impl Query<'_> {
    /// The caller's view; a caller without a support role is refused, and the refusal audited.
    async fn audience_audited(&self, principal: &Principal, event: AuditEvent) -> Result<Audience, AppError> {
        audited(self.store, Audience::of(principal), &event).await
    }

    /// The audit event of `principal` attempting `action` in this request, in their real role.
    fn event(&self, principal: &Principal, action: AuditAction) -> AuditEvent {
        AuditEvent::new(principal, action, self.now, self.request_id)
    }

    /// Records `event`; reads are audited fail-closed, so a failed write fails the read.
    async fn audit(&self, event: AuditEvent) -> Result<(), StoreError> {
        self.store.write_audit(event).await
    }

    /// Where `paging`'s cursor continues, if it has one valid for `scope`.
    fn position(&self, scope: CursorScope, paging: &Paging) -> Result<Option<Position>, AppError> {
        Ok(paging.cursor.as_deref().map(|c| self.signer.verify(scope, c)).transpose()?)
    }

    /// The cursor after a page that ended at `last_key`, `returned` items in; `None` at the end.
    fn next_cursor(&self, scope: CursorScope, last_key: Option<PageKey>, returned: u32) -> Option<String> {
        Some(self.signer.sign(scope, &Position { key: last_key?, returned }))
    }
}
