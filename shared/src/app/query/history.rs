//! `GET /users/{userId}/calls`: one page of a user's calls in the 30-day window, newest first;
//! audited.

use super::{AppError, ListPage, MAX_HISTORY, Paging, Query, TimeFilter};
use crate::domain::access::{AuditAction, CursorScope, Principal};
use crate::domain::calls::HistoryEntry;
use crate::domain::retention;
use crate::domain::sites::Sites;
use crate::domain::views::{
    Audience, ByRole, EndsView, EngineerHistoryLine, HistoryLine, PartyView, SpecialistHistoryLine, Viewer,
    history_csv, history_line,
};
use crate::store::Page;
use serde::Serialize;
use std::sync::Arc;

/// A user's history page in the caller's view.
pub type HistoryPageView = ByRole<HistoryPage<SpecialistHistoryLine>, HistoryPage<EngineerHistoryLine>>;

/// A page of a user's history with whose it is: `{"user": {...}, "items": [...], "nextCursor"}`.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPage<T> {
    pub user: HistoryOwner,
    #[serde(flatten)]
    pub page: ListPage<T>,
}

/// The history's owner as any support role may see them (the searched user's own name is
/// shown to tier 1 too), so a pasted link can title the page; the names are absent when no
/// call of the page names them.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryOwner {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
}

impl HistoryPageView {
    /// The page as CSV (`GET /users/{userId}/calls?format=csv`), in the same view.
    pub fn to_csv(&self) -> String {
        match self {
            Self::Specialist(page) => history_csv(&page.page.items),
            Self::Engineer(page) => history_csv(&page.page.items),
        }
    }

    /// Where the next page starts; `None` on the last.
    pub fn next_cursor(&self) -> Option<&str> {
        match self {
            Self::Specialist(page) => page.page.next_cursor.as_deref(),
            Self::Engineer(page) => page.page.next_cursor.as_deref(),
        }
    }
}

impl Query<'_> {
    /// One page of `user_id`'s calls that started in `filter` (within the 30-day window).
    pub async fn history(
        &self,
        principal: &Principal,
        user_id: &str,
        filter: TimeFilter,
        paging: &Paging,
    ) -> Result<HistoryPageView, AppError> {
        let refused = self.event(principal, AuditAction::History).user(user_id);
        let audience = self.audience_audited(principal, refused).await?;
        AppError::check_id("userId", user_id)?;
        let (from, to) = retention::history_window(self.now);
        let window = filter.within(from, to)?;
        let scope = CursorScope::History { user: user_id, from: filter.from, to: filter.to, view: audience };
        let position = self.position(scope, paging)?;
        let first_page = position.is_none();
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let room = MAX_HISTORY.saturating_sub(returned).min(paging.limit);
        let read = async {
            if room == 0 {
                return Ok(Page { entries: Vec::new(), last_key: None });
            }
            let start = position.map(|p| p.key);
            self.store.user_history(user_id, window, room, start.as_ref(), self.now).await
        };
        let event = self.event(principal, AuditAction::History).user(user_id);
        // Only an engineer's row names buildings, so only their request needs the tenant data.
        let sites = async {
            match audience {
                Audience::Specialist => Ok(Arc::default()),
                Audience::Engineer => self.sites.current(self.store, self.now, false).await.map(|l| l.sites),
            }
        };
        let (page, audit, sites) = tokio::join!(read, self.audit(event), sites);
        audit?;
        let page = page?;
        let sites = sites?;
        if room > 0 && page.entries.is_empty() && first_page && !filter.is_set() {
            return Err(AppError::NotFound("user"));
        }
        let shown = returned + page.entries.len() as u32;
        let next_cursor = if shown < MAX_HISTORY { self.next_cursor(scope, page.last_key, shown) } else { None };
        let user = self.owner(user_id, &page.entries).await?;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        Ok(match audience {
            Audience::Specialist => {
                ByRole::Specialist(HistoryPage { user, page: list(&page.entries, &viewer, &sites, next_cursor) })
            }
            Audience::Engineer => {
                ByRole::Engineer(HistoryPage { user, page: list(&page.entries, &viewer, &sites, next_cursor) })
            }
        })
    }

    /// `user_id` as the page's calls name them: read from the page's call with the fewest parties
    /// (one `GetItem`: a peer-to-peer call keeps its parties in the header, where a large
    /// meeting's are in party pages; a phone call's row names its one user).
    async fn owner(&self, user_id: &str, entries: &[HistoryEntry]) -> Result<HistoryOwner, AppError> {
        let mut owner = HistoryOwner { id: user_id.to_owned(), display_name: None, user_principal_name: None };
        let Some(smallest) = entries.iter().min_by_key(|e| e.participant_count) else { return Ok(owner) };
        let named = if smallest.outcome.is_some() {
            let row = self.store.phone_row(&smallest.call_id, self.now).await?;
            row.and_then(|row| row.phone.user(self.home_tenant))
        } else {
            let header = self.store.call_head(&smallest.call_id, self.now).await?;
            header.into_iter().flat_map(|h| h.summary.parties).find(|p| p.id == user_id)
        };
        if let Some(party) = named.filter(|p| p.id == user_id) {
            owner.display_name = party.display_name;
            owner.user_principal_name = party.user_principal_name;
        }
        Ok(owner)
    }
}

/// `entries` for `viewer` in the views `P` and `E`.
fn list<P: PartyView, E: EndsView>(
    entries: &[HistoryEntry],
    viewer: &Viewer,
    sites: &Sites,
    next_cursor: Option<String>,
) -> ListPage<HistoryLine<P, E>> {
    ListPage { items: entries.iter().map(|e| history_line(e, viewer, sites)).collect(), next_cursor }
}
