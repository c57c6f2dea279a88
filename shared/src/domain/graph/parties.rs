//! Who took part in a call: every identity the record names, merged by id.
//!
//! A call record names people in several places (organizer, participants, each session's caller
//! and callee, deprecated v1 lists). The helpdesk needs one list: who is in the call, which of
//! them has a searchable history, and who is "the other party".

use super::record::{CallRecord, Endpoint, Identity, IdentitySet, Participant};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What kind of party an identity is; decides history, search and role masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PartyKind {
    /// A directory user (home tenant or another tenant).
    User,
    /// A guest account.
    Guest,
    /// A phone (PSTN) party; its id is the phone number.
    Phone,
    /// A bot, resource account or other application.
    Application,
    /// A device or anything else.
    Other,
}

/// One distinct party of a call.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// `userId` in directory items written before they stored the party whole.
    #[serde(alias = "userId")]
    pub id: String,
    pub kind: PartyKind,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub tenant_id: Option<String>,
}

impl Party {
    /// Whether this party has a call history of its own, and is in the directory: the users of
    /// `home_tenant` — the organization the helpdesk serves. Guests, other tenants' users,
    /// phones and applications take part in calls but are not searched for.
    pub fn has_history(&self, home_tenant: &str) -> bool {
        self.kind == PartyKind::User && self.tenant_id.as_deref() == Some(home_tenant)
    }
}

/// An identity as found in the record, with the JSON path it was found at.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundParty {
    pub party: Party,
    pub path: String,
}

/// Every distinct party of `record` (the organizer first), with the path where each first appears.
/// Identities without an id cannot be told apart and are left out.
pub fn find_parties(record: &CallRecord) -> Vec<FoundParty> {
    let mut found = Collector::default();
    if let Some(organizer) = &record.organizer_v2 {
        found.participant(organizer, "organizer_v2");
    }
    if let Some(set) = &record.organizer {
        found.identity_set(set, "organizer");
    }
    for (i, p) in record.participants_v2.iter().enumerate() {
        found.participant(p, &format!("participants_v2[{i}]"));
    }
    for (i, set) in record.participants.iter().enumerate() {
        found.identity_set(set, &format!("participants[{i}]"));
    }
    for (i, session) in record.sessions.iter().enumerate() {
        if let Some(caller) = &session.caller {
            found.endpoint(caller, &format!("sessions[{i}].caller"));
        }
        if let Some(callee) = &session.callee {
            found.endpoint(callee, &format!("sessions[{i}].callee"));
        }
    }
    found.0
}

/// The party an endpoint stands for; `None` for service endpoints (conference servers, bots
/// without identity) and identities without an id.
pub fn endpoint_party(endpoint: &Endpoint) -> Option<Party> {
    let (kind, identity) = match (&endpoint.identity, &endpoint.associated_identity) {
        (Some(set), _) if primary_identity(set).is_some() => primary_identity(set)?,
        (_, Some(identity)) => (PartyKind::User, identity),
        _ => return None,
    };
    Some(Party {
        id: identity.id.clone().filter(|id| !id.is_empty())?,
        kind,
        display_name: identity.display_name.clone(),
        user_principal_name: identity.user_principal_name.clone(),
        tenant_id: identity.tenant_id.clone(),
    })
}

/// Every id `record` names anyone by, in any identity of any set (a call queue's application
/// with the user it stands for, a user with their phone) and as an endpoint's associated
/// identity: whose erasure markers a writer reads, and what the party index holds. Wider than
/// [`find_parties`], which keeps one identity per set.
pub fn named_ids(record: &CallRecord) -> BTreeSet<String> {
    named_identities(record).into_iter().map(|(id, _)| id).collect()
}

/// [`named_ids`] with the JSON path of each place an id appears: what validation checks.
pub fn named_identities(record: &CallRecord) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(set) = record.organizer_v2.as_ref().and_then(|p| p.identity.as_ref()) {
        set_ids(set, "organizer_v2.identity", &mut found);
    }
    if let Some(set) = &record.organizer {
        set_ids(set, "organizer", &mut found);
    }
    for (i, set) in record.participants_v2.iter().enumerate().filter_map(|(i, p)| Some((i, p.identity.as_ref()?))) {
        set_ids(set, &format!("participants_v2[{i}].identity"), &mut found);
    }
    for (i, set) in record.participants.iter().enumerate() {
        set_ids(set, &format!("participants[{i}]"), &mut found);
    }
    sessions_identities(&record.sessions, &mut found);
    found
}

/// Every id `sessions`' endpoints name anyone by (every identity, and associated identities),
/// in sessions and segments: what [`named_ids`] finds in a stored call's sessions.
pub fn session_ids(sessions: &[super::record::Session]) -> BTreeSet<String> {
    let mut found = Vec::new();
    sessions_identities(sessions, &mut found);
    found.into_iter().map(|(id, _)| id).collect()
}

fn sessions_identities(sessions: &[super::record::Session], found: &mut Vec<(String, String)>) {
    for (i, session) in sessions.iter().enumerate() {
        let path = format!("sessions[{i}]");
        endpoint_ids([&session.caller, &session.callee], &path, found);
        for (j, segment) in session.segments.iter().enumerate() {
            endpoint_ids([&segment.caller, &segment.callee], &format!("{path}.segments[{j}]"), found);
        }
    }
}

fn endpoint_ids(ends: [&Option<Endpoint>; 2], path: &str, found: &mut Vec<(String, String)>) {
    for (side, endpoint) in ["caller", "callee"].into_iter().zip(ends) {
        let Some(endpoint) = endpoint else { continue };
        if let Some(set) = &endpoint.identity {
            set_ids(set, &format!("{path}.{side}.identity"), found);
        }
        if let Some(id) = endpoint.associated_identity.as_ref().and_then(|i| i.id.clone()).filter(|id| !id.is_empty()) {
            found.push((id, format!("{path}.{side}.associatedIdentity.id")));
        }
    }
}

fn set_ids(set: &IdentitySet, path: &str, found: &mut Vec<(String, String)>) {
    let all = [
        ("user", &set.user),
        ("guest", &set.guest),
        ("phone", &set.phone),
        ("application", &set.application),
        ("applicationInstance", &set.application_instance),
        ("device", &set.device),
    ];
    for (field, identity) in all {
        if let Some(id) = identity.as_ref().and_then(|i| i.id.clone()).filter(|id| !id.is_empty()) {
            found.push((id, format!("{path}.{field}.id")));
        }
    }
}

/// The indexes of the sessions each party was the caller or callee of, by party id.
pub fn sessions_by_party(sessions: &[super::record::Session]) -> std::collections::BTreeMap<String, Vec<u32>> {
    let mut theirs: std::collections::BTreeMap<String, Vec<u32>> = std::collections::BTreeMap::new();
    for (index, session) in sessions.iter().enumerate() {
        let ends = [&session.caller, &session.callee].map(|e| e.as_ref().and_then(endpoint_party).map(|p| p.id));
        for (i, id) in ends.iter().enumerate() {
            if let Some(id) = id.as_ref().filter(|id| ends[..i].iter().all(|e| e.as_ref() != Some(*id))) {
                theirs.entry(id.clone()).or_default().push(index as u32);
            }
        }
    }
    theirs
}

/// The organizer's identity, if the record names one.
pub fn organizer_id(record: &CallRecord) -> Option<&str> {
    let from_v2 = record.organizer_v2.as_ref().and_then(|p| p.identity.as_ref()).and_then(primary_identity);
    let from_v1 = record.organizer.as_ref().and_then(primary_identity);
    from_v2.or(from_v1).and_then(|(_, identity)| identity.id.as_deref())
}

/// The identity an identity set stands for, in the order Graph fills them.
fn primary_identity(set: &IdentitySet) -> Option<(PartyKind, &Identity)> {
    [
        (PartyKind::User, &set.user),
        (PartyKind::Guest, &set.guest),
        (PartyKind::Phone, &set.phone),
        (PartyKind::Application, &set.application_instance),
        (PartyKind::Application, &set.application),
        (PartyKind::Other, &set.device),
    ]
    .into_iter()
    .find_map(|(kind, identity)| identity.as_ref().map(|i| (kind, i)))
}

#[derive(Default)]
struct Collector(Vec<FoundParty>);

impl Collector {
    fn participant(&mut self, participant: &Participant, path: &str) {
        if let Some(set) = &participant.identity {
            self.identity_set(set, &format!("{path}.identity"));
        }
    }

    fn endpoint(&mut self, endpoint: &Endpoint, path: &str) {
        match (&endpoint.identity, &endpoint.associated_identity) {
            (Some(set), _) if primary_identity(set).is_some() => self.identity_set(set, &format!("{path}.identity")),
            (_, Some(identity)) => self.add(PartyKind::User, identity, format!("{path}.associatedIdentity")),
            _ => {}
        }
    }

    fn identity_set(&mut self, set: &IdentitySet, path: &str) {
        if let Some((kind, identity)) = primary_identity(set) {
            let field = match kind {
                PartyKind::User => "user",
                PartyKind::Guest => "guest",
                PartyKind::Phone => "phone",
                PartyKind::Application if set.application_instance.is_some() => "applicationInstance",
                PartyKind::Application => "application",
                PartyKind::Other => "device",
            };
            self.add(kind, identity, format!("{path}.{field}"));
        }
    }

    fn add(&mut self, kind: PartyKind, identity: &Identity, path: String) {
        let Some(id) = identity.id.as_deref().filter(|id| !id.is_empty()) else {
            return;
        };
        if let Some(known) = self.0.iter_mut().find(|f| f.party.id == id && f.party.kind == kind) {
            let party = &mut known.party;
            party.display_name = party.display_name.take().or_else(|| identity.display_name.clone());
            party.user_principal_name =
                party.user_principal_name.take().or_else(|| identity.user_principal_name.clone());
            party.tenant_id = party.tenant_id.take().or_else(|| identity.tenant_id.clone());
            return;
        }
        self.0.push(FoundParty {
            party: Party {
                id: id.to_owned(),
                kind,
                display_name: identity.display_name.clone(),
                user_principal_name: identity.user_principal_name.clone(),
                tenant_id: identity.tenant_id.clone(),
            },
            path,
        });
    }
}
