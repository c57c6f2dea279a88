//! Erasing one user's personal data before the 30 days are up.
//!
//! Order matters, so that an interrupted erasure can simply be run again: first every call the
//! user's history points to is rewritten without them (header and session pages in one
//! transaction, conditional on the version and rating read, so it never overwrites a newer
//! version or a rating published meanwhile), then the other participants' history entries that
//! show them as the counterpart, then their directory entries, and last their own history
//! entries — the list the next run would start from.

use super::dynamo::{CallItems, cancelled_by_condition, key_item, read_items};
use super::items::{CallHeader, HistoryEntry, SessionPage, directory_entries};
use super::keys;
use super::{DynamoStore, Item, StoreError};
use crate::model::Party;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
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
    pub async fn erase_user(&self, user_id: &str) -> Result<Erased, StoreError> {
        let history: Vec<HistoryEntry> = read_items(self.partition(&keys::user_pk(user_id), true).await?, "history")?;
        let mut erased = Erased { user_id: user_id.to_owned(), ..Erased::default() };
        let mut identities: Vec<Party> = Vec::new();
        for entry in &history {
            if let Some(identity) = self.erase_from_call(&entry.call_id, user_id, &mut erased).await?
                && !identities.contains(&identity)
            {
                identities.push(identity);
            }
        }
        for identity in &identities {
            for entry in directory_entries(identity, OffsetDateTime::UNIX_EPOCH, 0) {
                self.delete_item(&entry.pk, &entry.sk).await?;
                erased.directory_entries_deleted += 1;
            }
        }
        for entry in &history {
            self.delete_item(&entry.pk, &entry.sk).await?;
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
        erased: &mut Erased,
    ) -> Result<Option<Party>, StoreError> {
        let pk = keys::call_pk(call_id);
        for _ in 0..REWRITE_ATTEMPTS {
            let items = self.partition(&pk, true).await?;
            // Expired items count: their personal data is stored until DynamoDB deletes it.
            let CallItems { header, mut session_pages, .. } = CallItems::read(&pk, items)?;
            let Some(header) = header else {
                return Ok(None);
            };
            session_pages.retain(|p| p.version == header.version);
            let Some(identity) = header.parties.iter().find(|p| p.id == user_id).cloned() else {
                return Ok(None);
            };
            let (old_version, old_rating) = (header.version, header.rating);
            let rewritten = without(header, session_pages, &identity);
            if !self.replace_call(&rewritten, old_version, old_rating).await? {
                continue;
            }
            erased.calls_rewritten += 1;
            for party in
                rewritten.0.parties.iter().filter(|p| p.has_history() && p.id != crate::model::erase::ERASED_ID)
            {
                if self.erase_counterpart(&party.id, call_id, user_id, identity.kind).await? {
                    erased.counterparts_rewritten += 1;
                }
            }
            return Ok(Some(identity));
        }
        Err(StoreError::Contention(call_id.to_owned()))
    }

    /// Puts the rewritten header and pages in one transaction, if the header still holds
    /// `version` and `rating`; `false` if it changed meanwhile.
    async fn replace_call(
        &self,
        (header, pages): &(CallHeader, Vec<SessionPage>),
        version: i64,
        rating: crate::rating::Rating,
    ) -> Result<bool, StoreError> {
        let header_put = Put::builder()
            .table_name(self.table())
            .set_item(Some(to_item(header, &header.pk)?))
            .condition_expression("#version = :version AND #rating = :rating")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#rating", "rating")
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(
                ":rating",
                serde_dynamo::to_attribute_value(rating).expect("a rating serializes"),
            )
            .build()
            .expect("table and item are set");
        let mut actions = vec![TransactWriteItem::builder().put(header_put).build()];
        for page in pages {
            let item = to_item(page, &page.pk)?;
            let put =
                Put::builder().table_name(self.table()).set_item(Some(item)).build().expect("table and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        match self.client().transact_write_items().set_transact_items(Some(actions)).send().await {
            Ok(_) => Ok(true),
            Err(error) if cancelled_by_condition(&error) => Ok(false),
            Err(error) => Err(StoreError::request("TransactWriteItems", error)),
        }
    }

    /// Replaces `user_id` as the counterpart in `party_id`'s history entry of `call_id`.
    async fn erase_counterpart(
        &self,
        party_id: &str,
        call_id: &str,
        user_id: &str,
        kind: crate::model::PartyKind,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = (keys::user_pk(party_id), keys::history_sk(call_id));
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(key_item(&pk, &sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::request("GetItem", e))?;
        let Some(item) = output.item else { return Ok(false) };
        let mut entry: HistoryEntry =
            serde_dynamo::from_item(item).map_err(|source| StoreError::Corrupt { key: pk, source })?;
        if entry.counterpart.as_ref().is_none_or(|c| c.id != user_id) {
            return Ok(false);
        }
        entry.counterpart = Some(Party::erased(kind));
        let version = AttributeValue::N(entry.version.to_string());
        self.put_if_newer(&to_item(&entry, &sk)?, "attribute_exists(#pk) AND #v = :v", "version", &version).await
    }

    async fn delete_item(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key_item(pk, sk)))
            .send()
            .await
            .map_err(|e| StoreError::request("DeleteItem", e))?;
        Ok(())
    }
}

fn to_item<T: Serialize>(value: &T, key: &str) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|source| StoreError::Corrupt { key: key.to_owned(), source })
}

/// `header` and `pages` with `identity` taken out.
fn without(mut header: CallHeader, mut pages: Vec<SessionPage>, identity: &Party) -> (CallHeader, Vec<SessionPage>) {
    for party in &mut header.parties {
        if party.id == identity.id {
            *party = Party::erased(identity.kind);
        }
    }
    if header.organizer_id.as_deref() == Some(identity.id.as_str()) {
        header.organizer_id = Some(crate::model::erase::ERASED_ID.to_owned());
    }
    for page in &mut pages {
        for session in &mut page.sessions {
            session.erase_party(&identity.id);
        }
    }
    (header, pages)
}
