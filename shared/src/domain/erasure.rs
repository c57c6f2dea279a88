//! Taking one person out of a stored call (the right to erasure): wherever the record names
//! them, their identity becomes a fixed placeholder, and their side's machine name, network
//! (IP, subnet, SSID, MAC) and devices are dropped. The metrics stay, so the call still
//! explains its quality to the helpdesk of the other participants.

use super::calls::{CallSummary, StoredCall};
use super::graph::{CallRecord, Endpoint, Identity, IdentitySet, Participant, Party, PartyKind, Session};
use serde::{Deserialize, Serialize};

/// The id an erased person is shown under.
pub const ERASED_ID: &str = "erased";
/// The name an erased person is shown under.
pub const ERASED_NAME: &str = "Erased user";

/// What an erasure removed or rewrote, over every run of it: what `DELETE /users/{userId}`
/// answers, and what the erasure marker keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureReport {
    /// Whom the erasure is about: any party id (a user, a guest, a phone number, an application).
    pub user_id: String,
    /// Calls found naming them (through the index of every call's parties, or their history).
    #[serde(default)]
    pub calls_found: u32,
    /// Calls whose header and sessions no longer name the user.
    pub calls_rewritten: u32,
    /// Other participants' history entries that showed the user as the counterpart.
    pub counterparts_rewritten: u32,
    /// Search tokens and the listing entry.
    pub directory_entries_deleted: u32,
    pub history_entries_deleted: u32,
    /// Session pages of superseded versions, which still named the user, deleted.
    #[serde(default)]
    pub stale_pages_deleted: u32,
    /// Escalations that named the user: about their call (notes removed), or opened, noted or
    /// changed by them.
    #[serde(default)]
    pub escalations_rewritten: u32,
    /// Whether every step has run to its end.
    #[serde(default)]
    pub complete: bool,
}

impl ErasureReport {
    /// Adds what one more run of the erasure did.
    pub fn add(&mut self, run: &ErasureReport) {
        self.calls_found += run.calls_found;
        self.calls_rewritten += run.calls_rewritten;
        self.counterparts_rewritten += run.counterparts_rewritten;
        self.directory_entries_deleted += run.directory_entries_deleted;
        self.history_entries_deleted += run.history_entries_deleted;
        self.stale_pages_deleted += run.stale_pages_deleted;
        self.escalations_rewritten += run.escalations_rewritten;
    }
}

/// Where an erasure stands: what `GET /users/{userId}/erasure` answers an admin.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureStatus {
    /// What was found and erased over every run, and whether the last run did every step.
    #[serde(flatten)]
    pub report: ErasureReport,
    /// The latest request: calls that started at or before it are erased, later ones are the
    /// person's own again.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: time::OffsetDateTime,
    /// How many times it was asked for.
    pub requests: u32,
    /// When a run last did every step.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<time::OffsetDateTime>,
    /// How many times a run handed the rest over.
    pub rounds: u32,
    /// Whether the last sweep (once every writer that could have raced the request is done) is
    /// still to run, and when it is due.
    pub sweep_pending: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sweep_at: Option<time::OffsetDateTime>,
}

impl Party {
    /// The placeholder that replaces an erased party of `kind`.
    pub fn erased(kind: PartyKind) -> Self {
        Self {
            id: ERASED_ID.to_owned(),
            kind,
            display_name: Some(ERASED_NAME.to_owned()),
            user_principal_name: None,
            tenant_id: None,
        }
    }
}

impl CallSummary {
    /// Replaces the person `id` with the placeholder (of the same kind) among the parties and as
    /// the organizer, and forgets their subnet. Whether the summary named them.
    pub fn erase_party(&mut self, id: &str) -> bool {
        let mut found = self.subnets.remove(id).is_some();
        for party in self.parties.iter_mut().filter(|p| p.id == id) {
            *party = Party::erased(party.kind);
            found = true;
        }
        if self.organizer_id.as_deref() == Some(id) {
            self.organizer_id = Some(ERASED_ID.to_owned());
            found = true;
        }
        found
    }
}

/// Whether `identity` is the person `id`.
fn names(identity: &Option<Identity>, id: &str) -> bool {
    identity.as_ref().is_some_and(|i| i.id.as_deref() == Some(id))
}

/// The identity set an erased person is shown under: a user without tenant, so never a party
/// with a history of its own.
fn placeholder() -> IdentitySet {
    let identity =
        Identity { id: Some(ERASED_ID.to_owned()), display_name: Some(ERASED_NAME.to_owned()), ..Default::default() };
    IdentitySet { user: Some(identity), ..Default::default() }
}

impl IdentitySet {
    /// Whether any identity of this set (user, guest, phone number, application, device) is `id`.
    fn names(&self, id: &str) -> bool {
        [&self.user, &self.guest, &self.phone, &self.application, &self.application_instance, &self.device]
            .into_iter()
            .any(|identity| names(identity, id))
    }

    /// Replaces this set with the placeholder if any of its identities is `id`; whether it did.
    fn erase(&mut self, id: &str) -> bool {
        let found = self.names(id);
        if found {
            *self = placeholder();
        }
        found
    }
}

impl Participant {
    fn erase(&mut self, id: &str) -> bool {
        let found = self.identity.as_mut().is_some_and(|set| set.erase(id));
        if found {
            self.id = Some(ERASED_ID.to_owned());
        }
        found
    }
}

impl Endpoint {
    /// Replaces this endpoint's identity if it names `id`; whether it did.
    fn erase(&mut self, id: &str) -> bool {
        let found = self.identity.as_ref().is_some_and(|set| set.names(id)) || names(&self.associated_identity, id);
        if found {
            self.forget();
        }
        found
    }

    /// Replaces whoever this endpoint stands for with the placeholder and drops what is theirs:
    /// their machine's name and processor, and their feedback (their own words). A segment's
    /// endpoint often names nobody itself: it is the session side's, and goes with it.
    fn forget(&mut self) {
        self.identity = Some(placeholder());
        self.associated_identity = None;
        self.name = None;
        self.feedback = None;
        self.cpu_name = None;
    }
}

impl CallRecord {
    /// Takes the person `id` out of the whole record: organizer, participants and every session.
    /// Whether they were in it.
    pub fn erase_party(&mut self, id: &str) -> bool {
        let mut found = self.organizer_v2.as_mut().is_some_and(|p| p.erase(id));
        found |= self.organizer.as_mut().is_some_and(|set| set.erase(id));
        for participant in &mut self.participants_v2 {
            found |= participant.erase(id);
        }
        for set in &mut self.participants {
            found |= set.erase(id);
        }
        for session in &mut self.sessions {
            found |= session.erase_party(id);
        }
        found
    }
}

impl StoredCall {
    /// Takes the person `id` out of the stored call: its summary and every session.
    pub fn erase_party(&mut self, id: &str) {
        self.summary.erase_party(id);
        for session in &mut self.sessions {
            session.erase_party(id);
        }
    }
}

impl Session {
    /// Takes the person `id` out of this session: their identity on either side, and that
    /// side's machine name, processor, feedback, network and devices in every segment. Whether
    /// they were in it.
    pub fn erase_party(&mut self, id: &str) -> bool {
        let caller = self.caller.as_mut().is_some_and(|e| e.erase(id));
        let callee = self.callee.as_mut().is_some_and(|e| e.erase(id));
        let mut found = caller || callee;
        for segment in &mut self.segments {
            let caller = segment.caller.as_mut().is_some_and(|e| e.erase(id)) || caller;
            let callee = segment.callee.as_mut().is_some_and(|e| e.erase(id)) || callee;
            for (side, erased) in [(&mut segment.caller, caller), (&mut segment.callee, callee)] {
                if let Some(endpoint) = side.as_mut().filter(|_| erased) {
                    endpoint.forget();
                }
            }
            for media in &mut segment.media {
                if caller {
                    media.caller_network = None;
                    media.caller_device = None;
                }
                if callee {
                    media.callee_network = None;
                    media.callee_device = None;
                }
            }
            found |= caller || callee;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::graph::parse_calls;
    use time::macros::datetime;

    const ADA: &str = "3a1d6b5e-1c2f-4f3e-8a9b-0c1d2e3f4a5b";

    #[test]
    fn an_erased_caller_leaves_no_identity_network_or_device_behind() {
        let body = include_str!("../../../events/graph/p2p-pstn.json");
        let mut calls = parse_calls(body.as_bytes(), datetime!(2026-11-25 12:00 UTC)).unwrap();
        let mut session = calls.remove(0).record().sessions[0].clone();
        assert!(session.erase_party(ADA));
        let text = serde_json::to_string(&session).unwrap();
        for personal in [ADA, "Ada Lovelace", "ADA-LAPTOP-01", "10.20.30.41", "CONTOSO-CORP", "Realtek"] {
            assert!(!text.contains(personal), "{personal} is still in {text}");
        }
        assert!(text.contains("+15552823456"), "the other side is untouched");
        assert!(text.contains("averageJitter"), "the metrics stay");
        assert!(!session.erase_party(ADA), "a second erasure finds nothing");
    }
}
