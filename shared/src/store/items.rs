//! The items a call becomes in the table, serialized with serde_dynamo.

use super::keys;
use crate::classify::{IssueCode, SessionResult};
use crate::model::{CallType, Modality, Party, PartyKind, Session};
use crate::rating::Rating;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A call's head: version, summary and parties. Writing it is what commits a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallHeader {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    pub version: i64,
    pub call_type: CallType,
    pub modalities: Vec<Modality>,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer_id: Option<String>,
    pub parties: Vec<Party>,
    pub session_count: u32,
    /// How many `SESSIONS#` pages belong to this version.
    pub session_pages: u32,
    /// `pending` until classify has rated this version.
    pub rating: Rating,
    /// Every issue code of every session, once rated.
    #[serde(default)]
    pub issue_codes: Vec<IssueCode>,
    /// How many `RESULTS#` pages belong to this version, once rated.
    #[serde(default)]
    pub result_pages: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub ingested_at: OffsetDateTime,
    pub expires_at: i64,
}

/// Up to ~350 KB of a call's sessions, so a large meeting is several items, not one oversized one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionPage {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    /// The call version this page belongs to; pages of other versions are ignored on read.
    pub version: i64,
    pub page: u32,
    pub sessions: Vec<Session>,
    pub expires_at: i64,
}

/// Classification results of a call version, one [`SessionResult`] per session in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultPage {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub call_id: String,
    /// The call version these results are for; results of other versions are ignored on read.
    pub version: i64,
    pub page: u32,
    pub results: Vec<SessionResult>,
    pub expires_at: i64,
}

/// One line of a user's history: enough to list the call without reading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub user_id: String,
    pub call_id: String,
    pub version: i64,
    pub call_type: CallType,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub duration_seconds: i64,
    pub participant_count: u32,
    /// The other party of a peer-to-peer call, or the organizer of a meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterpart: Option<Party>,
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
    pub expires_at: i64,
}

/// A user in the directory, under one search token or in the alphabetical listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntry {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub user_id: String,
    pub kind: PartyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_call_at: OffsetDateTime,
    pub expires_at: i64,
}

/// The party `user` sees on the other side of a call: the other party of a peer-to-peer
/// call, the organizer of a meeting.
pub fn counterpart<'a>(header: &'a CallHeader, user: &Party) -> Option<&'a Party> {
    let parties = &header.parties;
    let organizer = header.organizer_id.as_deref().and_then(|id| parties.iter().find(|p| p.id == id));
    let other = parties.iter().find(|p| p.id != user.id || p.kind != user.kind);
    match header.call_type {
        CallType::GroupCall => organizer.or(other),
        _ => other.or(organizer),
    }
}

/// The history entry `user` gets for a call, with the header's rating and issue codes.
pub fn history_entry(header: &CallHeader, user: &Party) -> HistoryEntry {
    HistoryEntry {
        pk: keys::user_pk(&user.id),
        sk: keys::history_sk(&header.call_id),
        gsi1pk: keys::history_gsi_pk(&user.id),
        gsi1sk: keys::history_gsi_sk(header.start_date_time, &header.call_id),
        user_id: user.id.clone(),
        call_id: header.call_id.clone(),
        version: header.version,
        call_type: header.call_type,
        start_date_time: header.start_date_time,
        end_date_time: header.end_date_time,
        duration_seconds: (header.end_date_time - header.start_date_time).whole_seconds(),
        participant_count: header.parties.len() as u32,
        counterpart: counterpart(header, user).cloned(),
        rating: header.rating,
        issue_codes: header.issue_codes.clone(),
        expires_at: header.expires_at,
    }
}

/// Every directory entry of `user` (one per search token, one in the listing).
pub fn directory_entries(user: &Party, last_call_at: OffsetDateTime, expires_at: i64) -> Vec<DirectoryEntry> {
    let entry = |pk: String, sk: String| DirectoryEntry {
        pk,
        sk,
        user_id: user.id.clone(),
        kind: user.kind,
        display_name: user.display_name.clone(),
        user_principal_name: user.user_principal_name.clone(),
        tenant_id: user.tenant_id.clone(),
        last_call_at,
        expires_at,
    };
    let tokens = keys::search_tokens(user.display_name.as_deref(), user.user_principal_name.as_deref());
    let listed_name = user.display_name.as_deref().or(user.user_principal_name.as_deref()).unwrap_or(&user.id);
    tokens
        .iter()
        .map(|t| entry(keys::name_pk(t), keys::name_sk(t, &user.id)))
        .chain([entry(keys::USERS_PK.to_owned(), keys::users_sk(listed_name, &user.id))])
        .collect()
}

/// Who looked at what, when: one item per history or detail request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub request_id: String,
    /// The caller's JWT `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The role the request was served as (`none` when refused for lack of one).
    pub role: String,
    /// `history`, `detail` or `erase`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_call: Option<String>,
    pub expires_at: i64,
}

/// What an audit entry records: the access and who attempted it.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub at: OffsetDateTime,
    pub request_id: &'a str,
    pub subject: Option<&'a str>,
    /// The role the request was served as (`none` when refused for lack of one).
    pub role: &'a str,
    /// `history`, `detail` or `erase`.
    pub action: &'a str,
    pub user: Option<&'a str>,
    pub call: Option<&'a str>,
}

impl AuditEntry {
    /// The entry for `access`, kept for the audit retention.
    pub fn new(access: Access<'_>) -> Self {
        Self {
            pk: keys::AUDIT_PK.to_owned(),
            sk: keys::audit_sk(access.at, access.request_id),
            at: access.at,
            request_id: access.request_id.to_owned(),
            subject: access.subject.map(str::to_owned),
            role: access.role.to_owned(),
            action: access.action.to_owned(),
            target_user: access.user.map(str::to_owned),
            target_call: access.call.map(str::to_owned),
            expires_at: (access.at + crate::retention::AUDIT).unix_timestamp(),
        }
    }
}

/// One session side seen on a subnet: an element of that day's set for the subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetUsage {
    pub pk: String,
    pub subnet: String,
    /// `<callId>#<session><c|e>|<audio streams>`: the same session always adds the same element.
    pub element: String,
    pub expires_at: i64,
}
