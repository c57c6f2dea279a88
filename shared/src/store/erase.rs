//! Erasing one user's personal data before the 30 days are up.
//!
//! Order matters, so that an interrupted erasure can simply be run again: first every call the
//! user's history points to is rewritten without them (header and session pages in one
//! transaction, conditional on the version and rating read, so it never overwrites a newer
//! version or a rating published meanwhile), then the other participants' history entries that
//! show them as the counterpart, then their directory entries, and last their own history
//! entries — the list the next run would start from.

use super::StoreError;
use super::calls::{CallItems, cancelled_by_condition, guarded_put};
use super::client::{DynamoStore, WriteGuard, read_items, to_item};
use super::items::{CallHeader, DirectoryItem, HistoryItem, SessionPage};
use super::keys;
use crate::domain::erasure::ERASED_ID;
use crate::domain::graph::Party;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::Serialize;
use time::OffsetDateTime;

/// What an erasure removed or rewrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    pub user_id: String,
    /// Calls whose header and sessions no longer name the user.
    pub calls_rewritten: u32,
    /// Other participants' history entries that showed the user as the counterpart.
    pub counterparts_rewritten: u32,
    /// Search tokens and the listing entry.
    pub directory_entries_deleted: u32,
    pub history_entries_deleted: u32,
}

/// How often one call's rewrite is retried when a new version or a rating lands meanwhile.
const REWRITE_ATTEMPTS: u32 = 5;

impl DynamoStore {
    /// Removes `user_id`'s personal data: their history, their directory entries, and their
    /// identity, network and devices in every stored call they took part in.
    pub async fn erase_user(&self, user_id: &str, home_tenant: &str) -> Result<Erased, StoreError> {
        let history: Vec<HistoryItem> = read_items(self.partition(&keys::user_pk(user_id), true).await?, "history")?;
        let mut erased = Erased { user_id: user_id.to_owned(), ..Erased::default() };
        let mut identities: Vec<Party> = Vec::new();
        for entry in &history {
            if let Some(identity) =
                self.erase_from_call(&entry.entry.call_id, user_id, home_tenant, &mut erased).await?
                && !identities.contains(&identity)
            {
                identities.push(identity);
            }
        }
        for identity in &identities {
            for entry in DirectoryItem::all(identity, OffsetDateTime::UNIX_EPOCH, 0) {
                self.delete(&entry.pk, &entry.sk).await?;
                erased.directory_entries_deleted += 1;
            }
        }
        for entry in &history {
            self.delete(&entry.pk, &entry.sk).await?;
            erased.history_entries_deleted += 1;
        }
        Ok(erased)
    }

    /// Rewrites call `call_id` without `user_id`; the user's identity as the call named them,
    /// or `None` if the call no longer does (already erased, or gone).
    async fn erase_from_call(
        &self,
        call_id: &str,
        user_id: &str,
        home_tenant: &str,
        erased: &mut Erased,
    ) -> Result<Option<Party>, StoreError> {
        let pk = keys::call_pk(call_id);
        for _ in 0..REWRITE_ATTEMPTS {
            let items = self.partition(&pk, true).await?;
            // Expired items count: their personal data is stored until DynamoDB deletes it.
            let CallItems { header, mut session_pages, .. } = CallItems::read(&pk, items)?;
            let Some(mut header) = header else {
                return Ok(None);
            };
            session_pages.retain(|p| p.head.version == header.summary.version);
            let Some(identity) = header.summary.parties.iter().find(|p| p.id == user_id).cloned() else {
                return Ok(None);
            };
            let guard = WriteGuard::Unchanged { version: header.summary.version, rating: header.summary.rating };
            header.summary.erase_party(&identity);
            for page in &mut session_pages {
                for session in &mut page.sessions {
                    session.erase_party(&identity.id);
                }
            }
            if !self.replace_call(&header, &session_pages, guard).await? {
                continue;
            }
            erased.calls_rewritten += 1;
            for party in header.summary.history_parties(home_tenant).filter(|p| p.id != ERASED_ID) {
                if self.erase_counterpart(&party.id, call_id, user_id, identity.kind).await? {
                    erased.counterparts_rewritten += 1;
                }
            }
            return Ok(Some(identity));
        }
        Err(StoreError::Contention(call_id.to_owned()))
    }

    /// Puts the rewritten header and pages in one transaction, if `guard` holds on the header;
    /// `false` if it changed meanwhile.
    async fn replace_call(
        &self,
        header: &CallHeader,
        pages: &[SessionPage],
        guard: WriteGuard,
    ) -> Result<bool, StoreError> {
        let mut actions = vec![guarded_put(self.table(), to_item(header)?, guard)];
        for page in pages {
            let put = Put::builder()
                .table_name(self.table())
                .set_item(Some(to_item(page)?))
                .build()
                .expect("table and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        match self.client().transact_write_items().set_transact_items(Some(actions)).send().await {
            Ok(_) => Ok(true),
            Err(error) if cancelled_by_condition(&error) => Ok(false),
            Err(error) => Err(StoreError::request("TransactWriteItems", error)),
        }
    }

    /// Replaces `user_id` as the counterpart in `party_id`'s history entry of `call_id`, and
    /// forgets their subnet there.
    async fn erase_counterpart(
        &self,
        party_id: &str,
        call_id: &str,
        user_id: &str,
        kind: crate::domain::graph::PartyKind,
    ) -> Result<bool, StoreError> {
        let Some(mut item) = self.get::<HistoryItem>(&keys::user_pk(party_id), &keys::history_sk(call_id)).await?
        else {
            return Ok(false);
        };
        if item.entry.counterpart.as_ref().is_none_or(|c| c.id != user_id) {
            return Ok(false);
        }
        item.entry.counterpart = Some(Party::erased(kind));
        item.entry.ends.counterpart_subnet = None;
        self.put_value(&item, WriteGuard::AtVersion(item.version)).await
    }
}
