//! Erasing one user's personal data before the 30 days are up, so that it stays erased.
//!
//! An erasure first leaves a marker (`ERASED#<userId>`), kept as long as a record naming the
//! user could still be accepted. Every write path reads the markers of the people it is about to
//! write before it writes (and stores them already replaced by the placeholder), and again after
//! (and takes out anyone marked meanwhile), so neither a replay, a newer version nor a
//! classification racing the erasure brings them back.
//!
//! The steps are ordered so that repeating an interrupted erasure completes it: the directory
//! entries of every name the stored calls give the user go first (while the calls still name
//! them); then every call the user's history points to is rewritten without them (header and
//! session pages in one transaction, conditional on the version and rating read; pages of other
//! versions deleted), with the other participants' history entries that show them — even where
//! the call was already rewritten by an earlier run — and only then the user's history entry of
//! that call: the entries left are the work the next run starts from. Escalations that name
//! the user are rewritten before the calls (they are few), and their pointers deleted after. A run that meets its time
//! budget hands the rest over through the marker. The marker records what was done, and how
//! far the rewrite of one call's counterparts got (a town hall organizer's are thousands).
//!
//! Whether a call still needs its rewrite is read from the call itself, every part of it: a
//! meeting too large for one transaction is rewritten page by page and its header last, so a
//! run cut off between them leaves pages that no longer name the user beside a header (or
//! pages) that still does; the next run finds and finishes those.

use super::StoreError;
use super::calls::{CallItems, cancelled_by_condition, guarded_put};
use super::client::Item;
use super::client::{DynamoStore, WriteGuard, read_items, to_item};
use super::items::{CallHeader, DirectoryItem, HistoryItem, PartyPage, SessionPage};
use super::keys;
use super::size::item_size;
use crate::domain::calls::CallSummary;
use crate::domain::erasure::ERASED_ID;
use crate::domain::erasure::ErasureReport;
use crate::domain::graph::{CallType, Party};
use crate::domain::retention;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// How many history entries one erasure rewrites at once (a town hall's organizer has
/// thousands).
const ERASE_CONCURRENCY: usize = 16;
/// How many of them between two looks at the deadline.
const FAN_OUT_BATCH: usize = 256;

/// DynamoDB's limits on one transaction: items, and bytes in all (with room for the header).
const TRANSACTION_ITEMS: usize = 100;
const TRANSACTION_BYTES: usize = 3_500_000;

/// The mark an erasure leaves: the user is erased, and what was done so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureMarker {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(flatten)]
    pub report: ErasureReport,
    /// Handed over to run on asynchronously: the table's stream delivers each change of an
    /// unfinished, continued marker to the classify function, which runs the next round.
    #[serde(default)]
    pub continued: bool,
    /// How many times the erasure was handed over (each hand-over changes the marker).
    #[serde(default)]
    pub round: u32,
    /// Where the last round stopped rewriting one call's counterparts, for the next to go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<FanOut>,
    pub expires_at: i64,
}

/// How far an erasure got through the other participants' history entries of one call (a town
/// hall organizer's are thousands): the next round starts after the first `done` parties of
/// the same version, rather than reading them all again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FanOut {
    pub call_id: String,
    pub version: i64,
    pub done: u32,
}

/// When a round of an erasure hands the rest over; `None`: never (a budget past any clock).
#[derive(Debug, Clone, Copy)]
struct Deadline(Option<std::time::Instant>);

impl Deadline {
    fn passed(self) -> bool {
        self.0.is_some_and(|at| std::time::Instant::now() >= at)
    }
}

/// Erased users among some ids, with when each erasure was asked for.
pub type Erasures = std::collections::BTreeMap<String, OffsetDateTime>;

/// How often one call's rewrite is retried when a new version or a rating lands meanwhile.
const REWRITE_ATTEMPTS: u32 = 5;

impl DynamoStore {
    /// Removes `user_id`'s personal data, for good: marks them erased, then their directory
    /// entries, the escalations that name them, their identity, network and devices in every
    /// stored call they took part in, and their history. `None` when nothing of the user is
    /// stored and they were never erased.
    pub async fn erase_user(
        &self,
        user_id: &str,
        home_tenant: &str,
        now: OffsetDateTime,
        budget: std::time::Duration,
    ) -> Result<Option<ErasureReport>, StoreError> {
        let started = std::time::Instant::now();
        let history: Vec<HistoryItem> = read_items(self.partition(&keys::user_pk(user_id), true).await?, "history")?;
        let earlier = self.get::<ErasureMarker>(&keys::erased_pk(user_id), keys::ERASED_SK).await?;
        let escalations = self.escalations_naming(user_id).await?;
        if history.is_empty() && earlier.is_none() && escalations.is_empty() {
            return Ok(None);
        }
        let mut marker = earlier.unwrap_or_else(|| ErasureMarker {
            pk: keys::erased_pk(user_id),
            sk: keys::ERASED_SK.to_owned(),
            requested_at: now,
            report: ErasureReport { user_id: user_id.to_owned(), ..ErasureReport::default() },
            continued: false,
            round: 0,
            fan_out: None,
            expires_at: 0,
        });
        // Kept until no record naming the user can be accepted any more, counted from now.
        marker.expires_at = retention::erasure_expires_at(now).unix_timestamp();
        marker.report.complete = false;
        self.put_value(&marker, WriteGuard::NotEarlierExpiry(marker.expires_at)).await?;

        let mut run = ErasureReport::default();
        let calls: Vec<&str> = history.iter().map(|h| h.entry.call_id.as_str()).collect();
        for identity in self.identities_in(&calls, user_id).await? {
            for entry in DirectoryItem::all(&identity, 0) {
                self.delete(&entry.pk, &entry.sk).await?;
                run.directory_entries_deleted += 1;
            }
        }
        run.escalations_rewritten = self.erase_from_escalations(user_id, &escalations).await?;
        // Each history entry goes once its call is done: what is left is what the next run does.
        // A round that goes on from a hand-over does at least its first call's first steps,
        // whatever its budget, so that the rounds always get further.
        let resumed = marker.continued;
        let deadline = Deadline(started.checked_add(budget));
        for (n, entry) in history.iter().enumerate() {
            let done = ((n == 0 && resumed) || !deadline.passed())
                && self.erase_from_call(entry, user_id, home_tenant, &mut marker.fan_out, deadline, &mut run).await?;
            if !done {
                // Out of time: hand the rest over; the marker's change is what continues it.
                marker.report.add(&run);
                marker.continued = true;
                marker.round += 1;
                self.put_value(&marker, WriteGuard::NotEarlierExpiry(marker.expires_at)).await?;
                return Ok(Some(marker.report));
            }
            self.delete(&entry.keys.pk, &entry.keys.sk).await?;
            run.history_entries_deleted += 1;
        }
        marker.report.add(&run);
        marker.report.complete = true;
        marker.continued = false;
        marker.fan_out = None;
        self.put_value(&marker, WriteGuard::NotEarlierExpiry(marker.expires_at)).await?;
        Ok(Some(marker.report))
    }

    /// Which of `user_ids` have been erased, and when the erasure was asked for; read
    /// consistently (an erasure writes its marker before anything else).
    pub async fn erasures_among<'a>(
        &self,
        user_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Erasures, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Mark {
            #[serde(rename = "PK")]
            pk: String,
            #[serde(with = "time::serde::rfc3339")]
            requested_at: OffsetDateTime,
        }
        let ids: BTreeSet<&str> = user_ids.into_iter().filter(|id| *id != ERASED_ID).collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        let markers = ids.iter().map(|id| super::client::key_item(&keys::erased_pk(id), keys::ERASED_SK));
        let mut erased = Erasures::new();
        for item in self.batch_get(markers, &[keys::PK, "requestedAt"], true).await? {
            let mark: Mark = super::client::from_item(item, "an erasure marker")?;
            if let Some(id) = keys::erased_user(&mark.pk) {
                erased.insert(id.to_owned(), mark.requested_at);
            }
        }
        Ok(erased)
    }

    /// Takes `identity`, erased while call `summary` was being published, out of what the
    /// publishing wrote: their own history entry of the call, and the counterpart in the others'.
    pub async fn unpublish_erased(
        &self,
        summary: &CallSummary,
        identity: &Party,
        home_tenant: &str,
    ) -> Result<(), StoreError> {
        self.delete(&keys::user_pk(&identity.id), &keys::history_sk(&summary.call_id)).await?;
        for party in summary.history_parties(home_tenant).filter(|p| p.id != identity.id) {
            self.erase_counterpart(&party.id, &summary.call_id, &identity.id).await?;
        }
        Ok(())
    }

    /// Every identity the parties of `calls` give `user_id` (several if their name changed).
    async fn identities_in(&self, calls: &[&str], user_id: &str) -> Result<Vec<Party>, StoreError> {
        let mut identities: Vec<Party> = Vec::new();
        for call_id in calls {
            let header = self.get::<CallHeader>(&keys::call_pk(call_id), keys::CALL_HEADER_SK).await?;
            let parties = match header {
                Some(header) => self.with_parties(header).await?.summary.parties,
                None => Vec::new(),
            };
            for party in parties.iter().filter(|p| p.id == user_id) {
                if !identities.contains(party) {
                    identities.push(party.clone());
                }
            }
        }
        Ok(identities)
    }

    /// Rewrites the call of the history `entry` without `user_id`, deletes its pages of other
    /// versions, and replaces the user as the counterpart in the other participants' history
    /// entries. Whatever of the call still names the user is rewritten — the header's parties
    /// or organizer, a party page, a session page — so a run cut off between pages and header
    /// is finished by the next. `false` if `deadline` came first (`fan_out` says how far it got).
    async fn erase_from_call(
        &self,
        entry: &HistoryItem,
        user_id: &str,
        home_tenant: &str,
        fan_out: &mut Option<FanOut>,
        deadline: Deadline,
        erased: &mut ErasureReport,
    ) -> Result<bool, StoreError> {
        let call_id = entry.entry.call_id.as_str();
        let pk = keys::call_pk(call_id);
        for _ in 0..REWRITE_ATTEMPTS {
            let items = self.partition(&pk, true).await?;
            // Expired items count: their personal data is stored until DynamoDB deletes it.
            let CallItems { header, mut session_pages, party_pages, .. } = CallItems::read(&pk, items)?;
            let Some(mut header) = header else {
                return Ok(true);
            };
            let version = header.summary.version;
            let (current, stale): (Vec<_>, Vec<_>) = session_pages.drain(..).partition(|p| p.head.version == version);
            let mut session_pages = current;
            let (mut party_pages, stale_parties): (Vec<_>, Vec<_>) =
                party_pages.into_iter().partition(|p| p.head.version == version);
            let mut everyone = header.clone();
            everyone.restore_parties(party_pages.clone());
            let parties = everyone.summary.parties;
            let organizer = header.summary.organizer_id.clone();
            let guard = WriteGuard::Unchanged { version, rating: header.summary.rating };
            let mut found = header.summary.erase_party(user_id);
            for session in session_pages.iter_mut().flat_map(|p| &mut p.sessions) {
                found |= session.erase_party(user_id);
            }
            for stored in party_pages.iter_mut().flat_map(|p| &mut p.parties).filter(|s| s.party.id == user_id) {
                stored.party = Party::erased(stored.party.kind);
                stored.subnet = None;
                found = true;
            }
            if found {
                if !self.replace_call(&header, &session_pages, &party_pages, guard).await? {
                    continue;
                }
                erased.calls_rewritten += 1;
            }
            let stale_keys = stale.iter().map(|p| &p.head).chain(stale_parties.iter().map(|p| &p.head));
            for head in stale_keys {
                self.delete(&head.pk, &head.sk).await?;
                erased.stale_pages_deleted += 1;
            }
            // Only where the user can be someone's counterpart: a meeting's is its organizer, and
            // the organizer's own line has none (the organizer's id may be the placeholder by
            // now, after a run cut off), so erasing an attendee of a town hall reads none of its
            // thousands of entries.
            let organizer = organizer.as_deref();
            let shown = header.summary.call_type != CallType::GroupCall
                || organizer == Some(user_id)
                || (organizer == Some(ERASED_ID) && entry.entry.counterpart.as_ref().is_none_or(|c| c.id == user_id));
            if !shown {
                return Ok(true);
            }
            let home = |p: &&Party| p.has_history(home_tenant) && p.id != ERASED_ID && p.id != user_id;
            let others: Vec<&Party> = parties.iter().filter(home).collect();
            let resumed = fan_out.take().filter(|f| f.call_id == call_id && f.version == version);
            let mut done = resumed.map_or(0, |f| f.done as usize).min(others.len());
            while done < others.len() {
                let batch = &others[done..(done + FAN_OUT_BATCH).min(others.len())];
                let rewrites: Vec<_> =
                    batch.iter().map(|party| self.erase_counterpart(&party.id, call_id, user_id)).collect();
                let rewritten: Vec<bool> =
                    futures::stream::iter(rewrites).buffer_unordered(ERASE_CONCURRENCY).try_collect().await?;
                erased.counterparts_rewritten += rewritten.into_iter().filter(|r| *r).count() as u32;
                done += batch.len();
                if done < others.len() && deadline.passed() {
                    *fan_out = Some(FanOut { call_id: call_id.to_owned(), version, done: done as u32 });
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        Err(StoreError::Contention { what: "a call" })
    }

    /// Puts the rewritten header and pages, if `guard` holds on the header; `false` if it
    /// changed meanwhile. In one transaction where they fit in one (100 items, 4 MB); a larger
    /// meeting's pages go first (each onto the page it replaces) and the header, guarded, last:
    /// pages of the version rewritten without the person are only ever less than they were, so a
    /// reader between the two sees nothing it could not see before, and a guard that fails leads
    /// to a fresh read and rewrite.
    async fn replace_call(
        &self,
        header: &CallHeader,
        sessions: &[SessionPage],
        parties: &[PartyPage],
        guard: WriteGuard<'_>,
    ) -> Result<bool, StoreError> {
        let pages: Vec<Item> =
            sessions.iter().map(to_item).chain(parties.iter().map(to_item)).collect::<Result<_, _>>()?;
        let bytes: usize = pages.iter().map(item_size).sum();
        if pages.len() >= TRANSACTION_ITEMS || bytes >= TRANSACTION_BYTES {
            if self.put_all(pages.iter().map(|page| (page, WriteGuard::Present))).await?.contains(&false) {
                return Ok(false);
            }
            return self.put_guarded(to_item(header)?, guard).await;
        }
        let mut actions = vec![guarded_put(self.table(), to_item(header)?, guard)];
        for page in pages {
            let put =
                Put::builder().table_name(self.table()).set_item(Some(page)).build().expect("table and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        match self.client().transact_write_items().set_transact_items(Some(actions)).send().await {
            Ok(_) => Ok(true),
            Err(error) if cancelled_by_condition(&error) => Ok(false),
            Err(error) => Err(StoreError::request("TransactWriteItems", error)),
        }
    }

    /// Replaces `user_id` as the counterpart in `party_id`'s history entry of `call_id` (by a
    /// placeholder of the same kind), and forgets their subnet there.
    async fn erase_counterpart(&self, party_id: &str, call_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let Some(mut item) = self.get::<HistoryItem>(&keys::user_pk(party_id), &keys::history_sk(call_id)).await?
        else {
            return Ok(false);
        };
        let Some(kind) = item.entry.counterpart.as_ref().filter(|c| c.id == user_id).map(|c| c.kind) else {
            return Ok(false);
        };
        item.entry.counterpart = Some(Party::erased(kind));
        item.entry.ends.counterpart_subnet = None;
        self.put_value(&item, WriteGuard::AtVersion(item.version)).await
    }
}
