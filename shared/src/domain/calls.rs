//! A call as callscope keeps it, in domain terms: its summary (what the record says about the
//! call as a whole, and its verdict once rated), its sessions and their results, and what each
//! participant's history and the user directory say about it. Storage adds keys and expiry to
//! these; views are built from them.

use crate::domain::classify::{IssueCode, Rating, SessionResult, Verdict, party_verdicts};
use crate::domain::graph::parties::{endpoint_party, organizer_id};
use crate::domain::graph::{CallRecord, CallType, Modality, NetworkSource, Party, Session, Side, ValidCall};
use crate::domain::phone::{Direction, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// The subnet each party's endpoint reported first (audio preferred), by party id: where a
    /// history line finds the building of each end.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subnets: BTreeMap<String, String>,
    /// The meeting's thread id (`19:meeting_...@thread.v2`), from its join URL: what Microsoft
    /// support asks for as the conference id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conference_id: Option<String>,
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
            subnets: party_subnets(record),
            conference_id: record.conference_id(),
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

    /// The party `user` sees on the other side: the other party of a peer-to-peer call; the
    /// organizer of a meeting, unless that is `user` (then nobody: a meeting has no one other
    /// side, and the console says "Meeting · N participants").
    pub fn counterpart(&self, user: &Party) -> Option<&Party> {
        let is_user = |p: &Party| p.id == user.id && p.kind == user.kind;
        let organizer = self.organizer_id.as_deref().and_then(|id| self.parties.iter().find(|p| p.id == id));
        let other = self.parties.iter().find(|p| !is_user(p));
        match self.call_type {
            CallType::GroupCall => organizer.filter(|p| !is_user(p)),
            _ => other.or(organizer.filter(|p| !is_user(p))),
        }
    }

    /// The line `user`'s history shows for this call: rated by `own`, the verdict on the
    /// sessions they took part in (`unavailable` without any), once the call is rated.
    pub fn history_entry(&self, user: &Party, own: Option<&Verdict>) -> HistoryEntry {
        let own = match (self.rating, own) {
            (Rating::Pending, _) => Verdict::default(),
            (_, Some(own)) => own.clone(),
            (_, None) => Verdict { rating: Rating::Unavailable, issue_codes: Vec::new() },
        };
        let counterpart = self.counterpart(user);
        let subnet = |party: Option<&Party>| party.and_then(|p| self.subnets.get(&p.id)).cloned();
        HistoryEntry {
            call_id: self.call_id.clone(),
            call_type: self.call_type.into(),
            start_date_time: self.start_date_time,
            end_date_time: self.end_date_time,
            duration_seconds: self.duration_seconds(),
            participant_count: self.parties.len() as u32,
            counterpart: counterpart.cloned(),
            rating: own.rating,
            call_rating: self.rating,
            issue_codes: own.issue_codes,
            direction: None,
            outcome: None,
            ends: EndSubnets { user_subnet: subnet(Some(user)), counterpart_subnet: subnet(counterpart) },
        }
    }
}

/// The first subnet each party's endpoint reported, audio first, by party id.
fn party_subnets(record: &CallRecord) -> BTreeMap<String, String> {
    let mut subnets = BTreeMap::new();
    for session in &record.sessions {
        for side in Side::BOTH {
            let party = session.endpoint(side).and_then(endpoint_party);
            let subnet = session.first_network(side, NetworkSource::AudioFirst).and_then(|n| n.subnet.clone());
            if let (Some(party), Some(subnet)) = (party, subnet) {
                subnets.entry(party.id).or_insert(subnet);
            }
        }
    }
    subnets
}

/// A committed call version with all its sessions, and once rated the result of each.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub summary: CallSummary,
    pub sessions: Vec<Session>,
    /// One result per session, in order; `None` while the version is pending.
    pub results: Option<Vec<SessionResult>>,
}

impl StoredCall {
    /// The verdict on the sessions `user_id` took part in (`pending` until rated,
    /// `unavailable` if they had none).
    pub fn verdict_of(&self, user_id: &str) -> Verdict {
        match &self.results {
            None => Verdict::default(),
            Some(results) => party_verdicts(&self.sessions, results)
                .remove(user_id)
                .unwrap_or(Verdict { rating: Rating::Unavailable, issue_codes: Vec::new() }),
        }
    }
}

/// One of a call's sessions at its place in the call, with its result once rated: what a page of
/// sessions is built from, read without the rest of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedSession {
    pub index: usize,
    pub session: Session,
    pub result: Option<SessionResult>,
}

/// One call in a user's history: enough to list it without reading it. `P` is how the
/// counterpart is shown: the stored [`Party`], or a role's view of it. `E` is what the line says
/// of where its two ends were: their subnets as stored, and in a role's view what that role may
/// see of them.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry<P = Party, E = EndSubnets> {
    pub call_id: String,
    #[serde(rename = "type", alias = "callType")]
    pub call_type: LineType,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub duration_seconds: i64,
    pub participant_count: u32,
    /// The other party of a peer-to-peer call, or the organizer of a meeting (none for the
    /// organizer's own line).
    pub counterpart: Option<P>,
    /// The user's own rating: of the sessions they took part in.
    pub rating: Rating,
    /// The whole call's rating: its worst session of anyone's. The same as `rating` for a
    /// peer-to-peer call.
    #[serde(default)]
    pub call_rating: Rating,
    /// The issue codes of the user's own sessions.
    pub issue_codes: Vec<IssueCode>,
    /// Which way a phone call went; none for a Teams call.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Whether a phone call connected; none for a Teams call.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(flatten)]
    pub ends: E,
}

/// What a history line is: a Teams call of Graph's `type`, or a row of one of Graph's two
/// phone-call logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LineType {
    PeerToPeer,
    GroupCall,
    /// A Calling Plan or Operator Connect call (`getPstnCalls`).
    Pstn,
    /// A call through the tenant's own session border controllers (`getDirectRoutingCalls`).
    DirectRouting,
    #[default]
    #[serde(other)]
    Unknown,
}

impl From<CallType> for LineType {
    fn from(call_type: CallType) -> Self {
        match call_type {
            CallType::PeerToPeer => Self::PeerToPeer,
            CallType::GroupCall => Self::GroupCall,
            CallType::Unknown => Self::Unknown,
        }
    }
}

/// The subnets the user's and the counterpart's endpoints reported in a call, where known.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndSubnets {
    pub user_subnet: Option<String>,
    pub counterpart_subnet: Option<String>,
}

impl HistoryEntry {
    /// The same entry with the counterpart shown through `view` and its ends through `ends`.
    pub fn shown_as<P, E>(
        &self,
        view: impl FnOnce(&Party) -> P,
        ends: impl FnOnce(&EndSubnets) -> E,
    ) -> HistoryEntry<P, E> {
        HistoryEntry {
            call_id: self.call_id.clone(),
            call_type: self.call_type,
            start_date_time: self.start_date_time,
            end_date_time: self.end_date_time,
            duration_seconds: self.duration_seconds,
            participant_count: self.participant_count,
            counterpart: self.counterpart.as_ref().map(view),
            rating: self.rating,
            call_rating: self.call_rating,
            issue_codes: self.issue_codes.clone(),
            direction: self.direction,
            outcome: self.outcome,
            ends: ends(&self.ends),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::graph::parse_calls;
    use time::macros::datetime;

    const ADA: &str = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";
    const BOB: &str = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

    fn meeting() -> CallSummary {
        let body = include_str!("../../../events/graph/meeting.json");
        let now = datetime!(2026-11-25 12:00 UTC);
        CallSummary::of(&parse_calls(body.as_bytes(), now).unwrap()[0], now)
    }

    #[test]
    fn each_party_keeps_the_first_subnet_its_endpoint_reported() {
        let summary = meeting();
        assert_eq!(summary.subnets.get(ADA).map(String::as_str), Some("10.20.30.0"));
        assert_eq!(summary.subnets.get(BOB).map(String::as_str), Some("192.168.1.0"));
        let ada = summary.parties.iter().find(|p| p.id == ADA).unwrap();
        let ends = summary.history_entry(ada, None).ends;
        assert_eq!(
            (ends.user_subnet.as_deref(), ends.counterpart_subnet.as_deref()),
            (Some("10.20.30.0"), None),
            "the organizer of a meeting, Ada, has no counterpart in it"
        );
        let bob = summary.parties.iter().find(|p| p.id == BOB).unwrap();
        let ends = summary.history_entry(bob, None).ends;
        assert_eq!(ends.counterpart_subnet.as_deref(), Some("10.20.30.0"), "everyone else's is the organizer");
    }

    #[test]
    fn an_erased_party_takes_their_subnet_with_them() {
        let mut summary = meeting();
        assert!(summary.erase_party(BOB));
        assert!(!summary.subnets.contains_key(BOB));
        assert!(!summary.erase_party(BOB), "a second erasure finds nothing");
        assert!(summary.subnets.contains_key(ADA), "the others' stay");
    }
}
