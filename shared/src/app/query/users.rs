//! `GET /users?search=`: find the user an agent is asked about.

use super::{AppError, ListPage, Paging, Query};
use crate::domain::access::{CursorScope, Principal};
use crate::domain::graph::Party;
use crate::domain::views::{Audience, UserSummary};
use crate::domain::{retention, search};

impl Query<'_> {
    /// Users whose name (any word) or address starts with every word of `search`,
    /// case-insensitive; all users alphabetically without it.
    pub async fn users(
        &self,
        principal: &Principal,
        search: Option<&str>,
        paging: &Paging,
    ) -> Result<ListPage<UserSummary>, AppError> {
        let audience = Audience::of(principal)?;
        let search = search.map(|s| search::normalize(s.trim())).filter(|s| !s.is_empty());
        // An address is searched as the directory keeps it: without its `sip:` scheme.
        let words: Vec<&str> = search
            .as_deref()
            .map(|s| s.split_whitespace().map(|w| w.trim_start_matches("sip:")).filter(|w| !w.is_empty()).collect())
            .unwrap_or_default();
        let scope = CursorScope::Users { search: search.as_deref().unwrap_or(""), view: audience };
        let position = self.position(scope, paging)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let start = position.map(|p| p.key);
        let page = self.store.directory(words.first().copied(), paging.limit, start.as_ref(), self.now).await?;
        let mut users: Vec<&Party> = Vec::with_capacity(page.entries.len());
        for user in &page.entries {
            let tokens = search::search_tokens(user.display_name.as_deref(), user.user_principal_name.as_deref());
            let matches_all = words.iter().skip(1).all(|w| tokens.iter().any(|t| t.starts_with(w)));
            let listed = user.has_history(self.home_tenant);
            if listed && matches_all && !users.iter().any(|u| u.id == user.id) {
                users.push(user);
            }
        }
        // Read, not stored: the directory entry is rewritten once a day, the history on every call.
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        let last_calls = self.store.last_calls(&ids, retention::history_window(self.now), self.now).await?;
        // A user whose calls have all expired is left out: their directory entry outlives the
        // last call by up to a day.
        let items: Vec<UserSummary> =
            users.iter().zip(last_calls).filter_map(|(user, last)| Some(UserSummary::new(user, last?))).collect();
        let next_cursor = self.next_cursor(scope, page.last_key, returned + items.len() as u32);
        Ok(ListPage { items, next_cursor })
    }
}
