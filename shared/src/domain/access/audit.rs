//! The audit trail's entries: who looked at (or tried to change) which user's or call's data,
//! when, and in what role. Typed, so an entry cannot name a role or action that does not exist.

use super::roles::{Principal, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    /// A user's call history (`GET /users/{userId}/calls`).
    History,
    /// A call's detail (`GET /calls/{callId}`).
    Detail,
    /// The right to erasure (`DELETE /users/{userId}`).
    Erase,
    /// Where an erasure stands (`GET /users/{userId}/erasure`).
    ErasureStatus,
    /// A backfill from Graph an admin started (`POST /graph/backfill`).
    Backfill,
    /// A call escalated to tier 2 (`POST /calls/{callId}/escalations`).
    Escalate,
    /// A list of escalations (`GET /escalations`).
    Escalations,
    /// One escalation with its notes (`GET /escalations/{id}`).
    Escalation,
    /// A note added (`POST /escalations/{id}/notes`).
    EscalationNote,
    /// An escalation claimed (`POST /escalations/{id}/claim`).
    EscalationClaim,
    /// An escalation resolved (`POST /escalations/{id}/resolve`).
    EscalationResolve,
    /// The Graph connector's state (`GET /graph/status`).
    GraphStatus,
    /// A dead-lettered call record's fetch queued again (`POST /graph/dead-letters/{id}/retry`).
    DeadLetterRetry,
    /// A building file sent (`PUT /buildings`): it changes every session's location.
    BuildingsUpload,
    /// An endpoint file sent (`PUT /endpoints`).
    EndpointsUpload,
}

impl AuditAction {
    /// Every action, in the order the routes are listed above.
    pub const ALL: [Self; 15] = [
        Self::History,
        Self::Detail,
        Self::Erase,
        Self::ErasureStatus,
        Self::Backfill,
        Self::Escalate,
        Self::Escalations,
        Self::Escalation,
        Self::EscalationNote,
        Self::EscalationClaim,
        Self::EscalationResolve,
        Self::GraphStatus,
        Self::DeadLetterRetry,
        Self::BuildingsUpload,
        Self::EndpointsUpload,
    ];

    /// The action as entries carry it (`escalationNote`), or `None` if `name` is none.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }

    /// The action's name as entries carry it.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// One audited access.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// API Gateway's id of the request: unique per request, so a retry finds its own entry.
    pub request_id: String,
    /// The caller's JWT `sub`.
    pub subject: Option<String>,
    /// The role the request was served as: the caller's most trusted support role (an admin's
    /// reads say `admin`); `none` when they had none (a refusal).
    #[serde(with = "role_or_none")]
    #[serialize_always]
    pub role: Option<Role>,
    pub action: AuditAction,
    pub target_user: Option<String>,
    pub target_call: Option<String>,
    pub target_escalation: Option<String>,
    /// On a refusal entry: how many attempts the caller made in its minute (refusals are
    /// counted, not listed one by one, so a flood of them cannot flood the trail).
    pub refused_attempts: Option<u32>,
}

impl AuditEvent {
    /// `principal`'s attempt at `action`, served as their most trusted support role.
    pub fn new(principal: &Principal, action: AuditAction, at: OffsetDateTime, request_id: &str) -> Self {
        Self {
            at,
            request_id: request_id.to_owned(),
            subject: principal.subject.clone(),
            role: principal.support_role(),
            action,
            target_user: None,
            target_call: None,
            target_escalation: None,
            refused_attempts: None,
        }
    }

    /// The same event about user `user`.
    pub fn user(self, user: &str) -> Self {
        Self { target_user: Some(user.to_owned()), ..self }
    }

    /// The same event about call `call`.
    pub fn call(self, call: &str) -> Self {
        Self { target_call: Some(call.to_owned()), ..self }
    }

    /// The same event about escalation `id`.
    pub fn escalation(self, id: &str) -> Self {
        Self { target_escalation: Some(id.to_owned()), ..self }
    }
}

/// An entry's role as the trail writes it: the role's name, or `none`.
mod role_or_none {
    use super::Role;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(role: &Option<Role>, serializer: S) -> Result<S::Ok, S::Error> {
        match role {
            Some(role) => role.serialize(serializer),
            None => serializer.serialize_str("none"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Role>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Role(Role),
            None(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Role(role) => Ok(Some(role)),
            Written::None(none) if none == "none" => Ok(None),
            Written::None(other) => Err(serde::de::Error::custom(format!("unknown role `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn principal(roles: &[Role]) -> Principal {
        let roles: BTreeSet<Role> = roles.iter().copied().collect();
        Principal { subject: Some("s".into()), object_id: None, name: None, roles, granted_by: Default::default() }
    }

    #[test]
    fn an_entry_records_the_most_trusted_support_role_or_none() {
        let at = time::macros::datetime!(2026-11-25 12:00 UTC);
        let cases = [
            (vec![Role::SupportSpecialist, Role::Admin], Some(Role::Admin), "admin"),
            (vec![Role::SupportEngineer], Some(Role::SupportEngineer), "support-engineer"),
            (vec![Role::Ingest], None, "none"),
            (vec![], None, "none"),
        ];
        for (roles, role, written) in cases {
            let event = AuditEvent::new(&principal(&roles), AuditAction::History, at, "r");
            assert_eq!(event.role, role);
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["role"], written, "{roles:?}");
            assert_eq!(serde_json::from_value::<AuditEvent>(json).unwrap(), event, "read back");
        }
        let unknown =
            serde_json::json!({ "at": "2026-11-25T12:00:00Z", "requestId": "r", "role": "root", "action": "history" });
        assert!(serde_json::from_value::<AuditEvent>(unknown).is_err());
    }
}
