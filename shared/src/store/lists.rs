//! The lists the helpdesk pages through: a user's history and the user directory. One Query
//! per page, live items only; a directory page adds one Query per user listed, for when they
//! last called.

use super::StoreError;
use super::client::{DynamoStore, Page, Partition};
use super::items::{DirectoryItem, HistoryItem};
use super::keys::{self, PK, SK};
use crate::domain::access::cursor::PageKey;
use crate::domain::calls::HistoryEntry;
use crate::domain::graph::Party;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};
use time::OffsetDateTime;

/// How many users' last calls one directory page looks up at once.
const LOOKUP_CONCURRENCY: usize = 16;

/// One directory entry as a search reads it: the user, the entry's sort key (the token or
/// listed name it is found under, then `#<userId>`), and its key, where a page may end.
#[derive(Debug, Clone)]
pub struct DirectoryEntry {
    pub user: Party,
    pub sort_key: String,
    pub key: PageKey,
}

/// A window of time, both ends inclusive.
pub type Window = (OffsetDateTime, OffsetDateTime);

impl DynamoStore {
    /// One page (one Query) of `user_id`'s calls that started in `window`, newest first.
    /// Expired entries are dropped, so a page may hold fewer than `limit`.
    pub async fn user_history(
        &self,
        user_id: &str,
        (from, to): Window,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<HistoryEntry>, StoreError> {
        let partition = Partition::gsi1(keys::history_gsi_pk(user_id));
        let page: Page<HistoryItem> =
            self.newest_first(partition, keys::time_range(from, to), limit, start, now).await?;
        Ok(page.map(|item| item.entry))
    }

    /// When each of `user_ids` last called: the end of the newest call in their history that
    /// started in `window` and has not expired (`None` if there is none). One Query (`Limit 1`)
    /// per user, a few at a time; in the order given.
    pub async fn last_calls(
        &self,
        user_ids: &[&str],
        window: Window,
        now: OffsetDateTime,
    ) -> Result<Vec<Option<OffsetDateTime>>, StoreError> {
        let newest: Vec<_> = user_ids.iter().map(|user| self.last_call(user, window, now)).collect();
        futures::stream::iter(newest).buffered(LOOKUP_CONCURRENCY).try_collect().await
    }

    /// The end of `user_id`'s newest live call that started in `window`.
    async fn last_call(
        &self,
        user_id: &str,
        window: Window,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let page = self.user_history(user_id, window, 1, None, now).await?;
        Ok(page.entries.first().map(|entry| entry.end_date_time))
    }

    /// One Query of up to `limit` directory entries: under search tokens that start with
    /// `token_prefix` (already normalized, non-empty), or of all users alphabetically when
    /// `None`; each with its own key, so a page can end at any of them.
    pub async fn directory(
        &self,
        token_prefix: Option<&str>,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<DirectoryEntry>, StoreError> {
        let request = self.query().expression_attribute_names("#pk", PK);
        let request = match token_prefix {
            Some(prefix) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", AttributeValue::S(keys::name_pk(prefix)))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            None => request
                .key_condition_expression("#pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(keys::USERS_PK.to_owned())),
        };
        let page: Page<DirectoryItem> = self.live_page(request, limit, start, now, "directory").await?;
        Ok(page.map(|item| DirectoryEntry {
            key: PageKey::from([(PK.to_owned(), item.pk), (SK.to_owned(), item.sk.clone())]),
            sort_key: item.sk,
            user: item.user,
        }))
    }
}
