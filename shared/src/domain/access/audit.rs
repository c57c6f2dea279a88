//! The audit trail's entries: who looked at (or tried to change) which user's or call's data,
//! when, and in what role. Typed, so an entry cannot name a role or action that does not exist.

use super::roles::{Principal, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The role a request was served as; `None` when it was refused for lack of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "support-engineer")]
    SupportEngineer,
    #[serde(rename = "support-specialist")]
    SupportSpecialist,
    #[serde(rename = "none")]
    None,
}

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
    pub role: AuditRole,
    pub action: AuditAction,
    pub target_user: Option<String>,
    pub target_call: Option<String>,
    pub target_escalation: Option<String>,
    /// On a refusal entry: how many attempts the caller made in its minute (refusals are
    /// counted, not listed one by one, so a flood of them cannot flood the trail).
    pub refused_attempts: Option<u32>,
}

impl AuditEvent {
    /// `principal`'s attempt at `action`, served as `role`.
    pub fn new(
        principal: &Principal,
        role: AuditRole,
        action: AuditAction,
        at: OffsetDateTime,
        request_id: &str,
    ) -> Self {
        Self {
            at,
            request_id: request_id.to_owned(),
            subject: principal.subject.clone(),
            role,
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

impl AuditRole {
    /// The role the trail records for `principal`: their most trusted support role (an
    /// admin's reads say `admin`), or `none` without one.
    pub fn of(principal: &Principal) -> Self {
        principal.support_role().map_or(Self::None, Self::from)
    }
}

impl From<Role> for AuditRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::SupportEngineer => Self::SupportEngineer,
            Role::SupportSpecialist => Self::SupportSpecialist,
            Role::Ingest => Self::None,
        }
    }
}
