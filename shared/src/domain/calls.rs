//! A call as callscope keeps it, in domain terms: its summary (what the record says about the
//! call as a whole, and its verdict once rated), its sessions and their results, and what each
//! participant's history and the user directory say about it. Storage adds keys and expiry to
//! these; views are built from them.

use crate::domain::classify::{IssueCode, Rating, SessionResult};
use crate::domain::graph::{CallType, Modality, Party, Session, ValidCall, parties::organizer_id};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One version of a call, as a whole: when, what kind, who, and its verdict once rated.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSummary {
    pub call_id: String,
    pub version: i64,
    pub call_type: CallType,
    pub modalities: Vec<Modality>,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub organizer_id: Option<String>,
    pub parties: Vec<Party>,
    pub session_count: u32,
    /// `pending` until classify has rated this version.
    pub rating: Rating,
    /// Every issue code of every session, once rated.
    #[serde(default)]
    pub issue_codes: Vec<IssueCode>,
    #[serde(with = "time::serde::rfc3339")]
    pub ingested_at: OffsetDateTime,
}

impl CallSummary {
    /// The summary of `call`, accepted at `now`, not yet rated.
    pub fn of(call: &ValidCall, now: OffsetDateTime) -> Self {
        let record = call.record();
        Self {
            call_id: record.id.clone(),
            version: record.version,
            call_type: record.call_type,
            modalities: record.modalities.clone(),
            start_date_time: record.start_date_time,
            end_date_time: record.end_date_time,
            organizer_id: organizer_id(record).map(str::to_owned),
            parties: call.parties().to_vec(),
            session_count: record.sessions.len() as u32,
            rating: Rating::Pending,
            issue_codes: Vec::new(),
            ingested_at: now,
        }
    }

    /// Whether `user_id` took part as a user of `home_tenant` (the detail of a call without them
    /// is a `404`).
    pub fn involves(&self, user_id: &str, home_tenant: &str) -> bool {
        self.parties.iter().any(|p| p.id == user_id && p.has_history(home_tenant))
    }

    /// The parties that get a history entry for this call: its users of `home_tenant`.
    pub fn history_parties<'a>(&'a self, home_tenant: &'a str) -> impl Iterator<Item = &'a Party> {
        self.parties.iter().filter(move |p| p.has_history(home_tenant))
    }

    /// How long the call lasted, in whole seconds.
    pub fn duration_seconds(&self) -> i64 {
        (self.end_date_time - self.start_date_time).whole_seconds()
    }

    /// The party `user` sees on the other side: the other party of a peer-to-peer call, the
    /// organizer of a meeting.
    pub fn counterpart(&self, user: &Party) -> Option<&Party> {
        let organizer = self.organizer_id.as_deref().and_then(|id| self.parties.iter().find(|p| p.id == id));
        let other = self.parties.iter().find(|p| p.id != user.id || p.kind != user.kind);
        match self.call_type {
            CallType::GroupCall => organizer.or(other),
            _ => other.or(organizer),
        }
    }

    /// The line `user`'s history shows for this call.
    pub fn history_entry(&self, user: &Party) -> HistoryEntry {
        HistoryEntry {
            call_id: self.call_id.clone(),
            call_type: self.call_type,
            start_date_time: self.start_date_time,
            end_date_time: self.end_date_time,
            duration_seconds: self.duration_seconds(),
            participant_count: self.parties.len() as u32,
            counterpart: self.counterpart(user).cloned(),
            rating: self.rating,
            issue_codes: self.issue_codes.clone(),
        }
    }
}

/// A committed call version with all its sessions, and once rated the result of each.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub summary: CallSummary,
    pub sessions: Vec<Session>,
    /// One result per session, in order; `None` while the version is pending.
    pub results: Option<Vec<SessionResult>>,
}

/// One call in a user's history: enough to list it without reading it. `P` is how the
/// counterpart is shown: the stored [`Party`], or a role's view of it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry<P = Party> {
    pub call_id: String,
    #[serde(rename = "type", alias = "callType")]
    pub call_type: CallType,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub duration_seconds: i64,
    pub participant_count: u32,
    /// The other party of a peer-to-peer call, or the organizer of a meeting.
    pub counterpart: Option<P>,
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
}

impl HistoryEntry {
    /// The same entry with the counterpart shown through `view`.
    pub fn shown_as<P>(&self, view: impl FnOnce(&Party) -> P) -> HistoryEntry<P> {
        HistoryEntry {
            call_id: self.call_id.clone(),
            call_type: self.call_type,
            start_date_time: self.start_date_time,
            end_date_time: self.end_date_time,
            duration_seconds: self.duration_seconds,
            participant_count: self.participant_count,
            counterpart: self.counterpart.as_ref().map(view),
            rating: self.rating,
            issue_codes: self.issue_codes.clone(),
        }
    }
}

/// A user the directory lists: the party as last seen in a call, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntry {
    #[serde(flatten)]
    pub user: Party,
    #[serde(with = "time::serde::rfc3339")]
    pub last_call_at: OffsetDateTime,
}
