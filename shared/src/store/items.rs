//! The items of the table: each is its keys, a domain value, and its expiry (the TTL attribute
//! every item carries). serde_dynamo writes and reads them; the domain value is flattened in, so
//! an item's attributes are its keys, the value's fields and `expiresAt`.

use super::keys;
use crate::domain::access::AuditEvent;
use crate::domain::calls::{CallSummary, HistoryEntry};
use crate::domain::classify::{SessionRatings, SessionResult, Verdict};
use crate::domain::graph::{Party, Session};
use crate::domain::{retention, search};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A call's head: the summary of its committed version (its parties in `PARTIES#` pages of
/// their own), and where that version's pages start. Writing it is what commits a version.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallHeader {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// The summary; its `parties` and `subnets` are empty here when they are kept in party
    /// pages (`party_pages > 0`), as they may be larger than an item.
    #[serde(flatten)]
    pub summary: CallSummary,
    /// How many parties the call has (the summary's list may be in party pages).
    #[serde(default)]
    pub participant_count: u32,
    /// How many `SESSIONS#` pages belong to this version.
    pub session_pages: u32,
    /// How many sessions each `SESSIONS#` page holds, so a page of sessions reads only the
    /// pages it shows (empty in headers written before them: those calls are read whole).
    #[serde(default)]
    pub session_page_counts: Vec<u32>,
    /// How many `PARTIES#` pages belong to this version (0: the parties are in the summary, as
    /// headers written before party pages keep them).
    #[serde(default)]
    pub party_pages: u32,
    /// How many `RESULTS#` pages belong to this version, once rated.
    #[serde(default)]
    pub result_pages: u32,
    /// How many results each `RESULTS#` page holds, once rated (empty if rated before them).
    #[serde(default)]
    pub result_page_counts: Vec<u32>,
    /// How many sessions got each rating, once rated.
    pub session_ratings: Option<SessionRatings>,
    pub expires_at: i64,
}

/// A phone-call row (`CALL#<id>` / `#PHONE`): the row as accepted, and whose history it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// `{"kind": "pstn" | "directRouting", "row": {...}}`.
    pub phone: crate::domain::phone::PhoneCall,
    /// The row's user (its `userId`), whose history entry points here.
    pub user_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub ingested_at: time::OffsetDateTime,
    /// The row's end + 30 days.
    pub expires_at: i64,
}

/// When every item about the call of `summary` expires (epoch seconds).
pub fn call_expiry(summary: &CallSummary) -> i64 {
    retention::call_expires_at(summary.end_date_time).unix_timestamp()
}

impl CallHeader {
    /// The header of `summary`'s version, its sessions in pages of `session_page_counts` and its
    /// parties in `party_pages` pages (then taken out of the summary; none: kept in it).
    pub fn new(mut summary: CallSummary, session_page_counts: Vec<u32>, party_pages: u32) -> Self {
        let participant_count = summary.parties.len() as u32;
        if party_pages > 0 {
            summary.parties.clear();
            summary.subnets.clear();
        }
        Self {
            pk: keys::call_pk(&summary.call_id),
            sk: keys::CALL_HEADER_SK.to_owned(),
            expires_at: call_expiry(&summary),
            summary,
            participant_count,
            session_pages: session_page_counts.len() as u32,
            session_page_counts,
            party_pages,
            result_pages: 0,
            result_page_counts: Vec::new(),
            session_ratings: None,
        }
    }

    /// Puts the parties of this version's `pages` (of any version, in any order) back into the
    /// summary, with their subnets. A header that keeps its parties (no party pages) is left
    /// as it is.
    pub fn restore_parties(&mut self, mut pages: Vec<PartyPage>) {
        if self.party_pages == 0 {
            return;
        }
        pages.retain(|p| p.head.version == self.summary.version && p.head.page < self.party_pages);
        pages.sort_by_key(|p| p.head.page);
        for stored in pages.into_iter().flat_map(|p| p.parties) {
            if let Some(subnet) = stored.subnet {
                self.summary.subnets.insert(stored.party.id.clone(), subnet);
            }
            self.summary.parties.push(stored.party);
        }
    }

    /// Whether the header says how many items each of its session pages (and once rated, result
    /// pages) holds, so a few sessions can be read without the rest of the call.
    pub fn counts_pages(&self) -> bool {
        let rated = self.summary.rating != crate::domain::classify::Rating::Pending;
        self.session_page_counts.len() == self.session_pages as usize
            && (!rated || self.result_page_counts.len() == self.result_pages as usize)
    }

    /// How many parties the call has, however the header was written.
    pub fn participants(&self) -> usize {
        if self.party_pages == 0 { self.summary.parties.len() } else { self.participant_count as usize }
    }
}

/// What every page of a call carries besides its list: keys, the version it belongs to (pages
/// of other versions are ignored on read), its position and expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageHead {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    pub version: i64,
    pub page: u32,
    pub expires_at: i64,
}

impl PageHead {
    /// Page `page` of `summary`'s version, under sort key `sk`.
    pub fn new(summary: &CallSummary, sk: String, page: u32) -> Self {
        Self {
            pk: keys::call_pk(&summary.call_id),
            sk,
            call_id: summary.call_id.clone(),
            version: summary.version,
            page,
            expires_at: call_expiry(summary),
        }
    }
}

/// Up to ~350 KB of a call's sessions (as JSON, stored deflated), so a large meeting is several
/// items, not one oversized one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionPage {
    #[serde(flatten)]
    pub head: PageHead,
    #[serde(with = "super::compact")]
    pub sessions: Vec<Session>,
}

/// A page of a call's parties, each with the first subnet they reported: a town hall's parties
/// would not fit in its header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyPage {
    #[serde(flatten)]
    pub head: PageHead,
    #[serde(with = "super::compact")]
    pub parties: Vec<StoredParty>,
}

/// One party of a call as its party page keeps it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredParty {
    #[serde(flatten)]
    pub party: Party,
    /// The subnet their endpoint reported first (audio preferred).
    pub subnet: Option<String>,
}

/// Classification results of a call version, one [`SessionResult`] per session in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultPage {
    #[serde(flatten)]
    pub head: PageHead,
    #[serde(with = "super::compact")]
    pub results: Vec<SessionResult>,
}

/// The table keys of an item also filed on GSI1: one struct, flattened into each such item,
/// so the stored attribute names are spelled once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedKeys {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
}

/// One line of a user's history, found by the user's id and by time (GSI1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryItem {
    #[serde(flatten)]
    pub keys: IndexedKeys,
    pub user_id: String,
    /// The call version this line was written from: a lower version never overwrites it.
    pub version: i64,
    #[serde(flatten)]
    pub entry: HistoryEntry,
    pub expires_at: i64,
}

impl HistoryItem {
    /// `user`'s history line for the call of `summary`, with their own verdict `own` (see
    /// [`CallSummary::history_entry`]).
    pub fn new(summary: &CallSummary, user: &Party, own: Option<&Verdict>) -> Self {
        Self {
            keys: IndexedKeys {
                pk: keys::user_pk(&user.id),
                sk: keys::history_sk(&summary.call_id),
                gsi1pk: keys::history_gsi_pk(&user.id),
                gsi1sk: keys::history_gsi_sk(summary.start_date_time, &summary.call_id),
            },
            user_id: user.id.clone(),
            version: summary.version,
            entry: summary.history_entry(user, own),
            expires_at: call_expiry(summary),
        }
    }
}

/// One id a call names anyone by, in the index an erasure starts from: a call names people of
/// every kind, and only the home tenant's users have a history (which is their index: classify
/// publishes it for every committed version). Guests, other organizations' users, phone numbers,
/// applications, home users whose record lacks a tenant id, and every secondary or associated
/// identity (a user behind a call queue) are indexed here, written before the call version that
/// names them commits, and kept as long as the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyIndexItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    /// Whether the party organized the call: then they are the counterpart in the others'
    /// history entries of a meeting, which their erasure rewrites.
    #[serde(default)]
    pub organizer: bool,
    pub expires_at: i64,
}

impl PartyIndexItem {
    /// The entries of everyone the call of `summary` names by an id in `named` (every identity
    /// of the record, `parties::named_ids`) but its parties with a history in `home_tenant`.
    pub fn all(summary: &CallSummary, named: &BTreeSet<String>, home_tenant: &str) -> Vec<Self> {
        let expires_at = call_expiry(summary);
        let homed: BTreeSet<&str> = summary.history_parties(home_tenant).map(|p| p.id.as_str()).collect();
        named
            .iter()
            .filter(|id| id.as_str() != crate::domain::erasure::ERASED_ID && !homed.contains(id.as_str()))
            .map(|id| Self {
                pk: keys::party_pk(id),
                sk: keys::history_sk(&summary.call_id),
                call_id: summary.call_id.clone(),
                organizer: summary.organizer_id.as_deref() == Some(id.as_str()),
                expires_at,
            })
            .collect()
    }
}

/// A user in the directory, under one search token or in the alphabetical listing: the party
/// as a call named them. When they last called is not kept here but read from their history
/// (decision 59), so the entry need not be rewritten on every call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(flatten)]
    pub user: Party,
    pub expires_at: i64,
}

impl DirectoryItem {
    /// Every directory item of `user` (one per search token, one in the listing).
    pub fn all(user: &Party, expires_at: i64) -> Vec<Self> {
        let item = |pk: String, sk: String| Self { pk, sk, user: user.clone(), expires_at };
        let tokens = search::search_tokens(user.display_name.as_deref(), user.user_principal_name.as_deref());
        let listed_name = user.display_name.as_deref().or(user.user_principal_name.as_deref()).unwrap_or(&user.id);
        tokens
            .iter()
            .map(|t| item(keys::name_pk(t), keys::name_sk(t, &user.id)))
            .chain([item(keys::USERS_PK.to_owned(), keys::users_sk(listed_name, &user.id))])
            .collect()
    }
}

/// One audited access, kept for the audit retention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub expires_at: i64,
}

impl AuditItem {
    /// The item recording `event`, in the shard its request id falls in.
    pub fn new(event: AuditEvent) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        event.request_id.hash(&mut hasher);
        let shard = (hasher.finish() % u64::from(keys::AUDIT_SHARDS)) as u32;
        Self {
            pk: keys::audit_pk(event.at.to_offset(time::UtcOffset::UTC).date(), shard),
            sk: keys::audit_sk(event.at, &event.request_id),
            expires_at: retention::audit_expires_at(event.at).unix_timestamp(),
            event,
        }
    }

    /// The item counting `caller`'s refused attempts in the minute of `event`, starting with it.
    pub fn refusal(event: AuditEvent) -> Self {
        let at = event.at.to_offset(time::UtcOffset::UTC);
        let minute = at.replace_second(0).and_then(|t| t.replace_nanosecond(0)).unwrap_or(at);
        let caller = search::key_text(event.subject.as_deref().unwrap_or("-")).to_owned();
        Self {
            pk: keys::refused_pk(at.date()),
            sk: keys::audit_sk(minute, &caller),
            expires_at: retention::audit_expires_at(event.at).unix_timestamp(),
            event: AuditEvent { refused_attempts: Some(1), ..event },
        }
    }
}

/// One call seen on a subnet: an element of that day's set for the subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetUsage {
    pub pk: String,
    pub subnet: String,
    /// `<callId>|<audio streams>`: the same call always adds the same element.
    pub element: String,
    pub expires_at: i64,
}
