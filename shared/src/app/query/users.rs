//! `GET /users?search=`: find the user an agent is asked about.

use super::{AppError, ListPage, Paging, Query};
use crate::domain::access::cursor::PageKey;
use crate::domain::access::{CursorScope, Principal};
use crate::domain::graph::Party;
use crate::domain::retention;
use crate::domain::search::Search;
use crate::domain::views::{Audience, UserSummary};

/// Most directory entries one request reads before it answers (with a cursor to go on): about
/// 300 KB, a few Query pages at most, however common the searched words are.
pub const SEARCH_READ_BOUND: u32 = 1000;

impl Query<'_> {
    /// Users with a prefix of every word of `search` starting a word of their name or their
    /// address, case-insensitive; all users alphabetically without it. Reads the key word's
    /// entries until the page has `limit` matches or [`SEARCH_READ_BOUND`] entries were read,
    /// then answers with a cursor if there may be more (a page may then be short, or empty).
    pub async fn users(
        &self,
        principal: &Principal,
        search: Option<&str>,
        paging: &Paging,
    ) -> Result<ListPage<UserSummary>, AppError> {
        let audience = Audience::of(principal)?;
        let search = Search::parse(search);
        let text = search.text();
        let scope = CursorScope::Users { search: &text, view: audience };
        let position = self.position(scope, paging)?;
        let returned = position.as_ref().map_or(0, |p| p.returned);
        let mut start = position.map(|p| p.key);
        let want = paging.limit as usize;
        // A one-word search or the listing matches nearly every entry: read about a page first;
        // whatever more is needed, the rest of the bound at once (a few Queries at most).
        let mut per_query = if search.is_narrowed() { SEARCH_READ_BOUND } else { paging.limit };
        let (mut users, mut read) = (Vec::<Party>::with_capacity(want), 0);
        let next: Option<PageKey> = loop {
            let limit = per_query.min(SEARCH_READ_BOUND - read);
            let page = self.store.directory(search.key_word(), limit, start.as_ref(), self.now).await?;
            read += limit;
            per_query = SEARCH_READ_BOUND;
            let count = page.entries.len();
            let mut full_at = None;
            for (i, entry) in page.entries.into_iter().enumerate() {
                let user = &entry.user;
                let found_under = entry.sort_key.strip_suffix(&format!("#{}", user.id)).unwrap_or_default();
                let listed = user.has_history(self.home_tenant)
                    && search.matches(user.display_name.as_deref(), user.user_principal_name.as_deref(), found_under)
                    && !users.iter().any(|u| u.id == user.id);
                if listed {
                    users.push(entry.user);
                    if users.len() == want {
                        full_at = Some((i, entry.key));
                        break;
                    }
                }
            }
            match (full_at, page.last_key) {
                // Full on the query's last entry with nothing after it: the end.
                (Some((i, _)), None) if i + 1 == count => break None,
                (Some((_, key)), _) => break Some(key),
                (None, None) => break None,
                (None, Some(key)) if read >= SEARCH_READ_BOUND => break Some(key),
                (None, Some(key)) => start = Some(key),
            }
        };
        // Read, not stored: the directory entry is rewritten once a day, the history on every call.
        let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
        let last_calls = self.store.last_calls(&ids, retention::history_window(self.now), self.now).await?;
        // A user whose calls have all expired is left out: their directory entry outlives the
        // last call by up to a day.
        let items: Vec<UserSummary> =
            users.iter().zip(last_calls).filter_map(|(user, last)| Some(UserSummary::new(user, last?))).collect();
        let next_cursor = self.next_cursor(scope, next, returned + items.len() as u32);
        Ok(ListPage { items, next_cursor })
    }
}
