//! Graph's `pstnCallLogRow` and `directRoutingLogRow` (v1.0) as typed values, tolerant like the
//! call record: every field Graph may omit or send as `null` is an `Option`, unknown fields are
//! ignored. The same types are stored (through serde_dynamo), so a stored row reads back as the
//! row that was accepted.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One row of `getPstnCalls`: a call over a Calling Plan or Operator Connect number.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PstnCallRow {
    /// The row's id (a GUID): callscope's `callId` for it.
    pub id: String,
    /// The telephony call id (`1835317186_112562680@61.221.3.176`); not a call record id.
    pub call_id: Option<String>,
    pub user_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub user_display_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    /// Seconds.
    pub duration: Option<i64>,
    /// What the call cost, in `currency`.
    pub charge: Option<f64>,
    pub currency: Option<String>,
    /// Type and direction (`user_in`, `user_out`, `conf_in`, `emergency_out`, ...).
    pub call_type: Option<String>,
    pub caller_number: Option<String>,
    pub callee_number: Option<String>,
    pub usage_country_code: Option<String>,
    pub tenant_country_code: Option<String>,
    pub connection_charge: Option<f64>,
    pub destination_context: Option<String>,
    pub destination_name: Option<String>,
    /// The audio conference's id, for a conference dial-in or dial-out.
    pub conference_id: Option<String>,
    /// The licence the call used (`MCOPSTNU`, `MCOPSTN1`, ...).
    pub license_capability: Option<String>,
    /// `Subscriber`, `Service`, ...
    pub inventory_type: Option<String>,
    /// Who carried the call (`Microsoft`, an Operator Connect operator).
    pub operator: Option<String>,
    /// Who measured the duration (`microsoft`, `operator`).
    pub call_duration_source: Option<String>,
}

/// One row of `getDirectRoutingCalls`: a call through one of the tenant's own session border
/// controllers (SBC), successful or not.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectRoutingRow {
    /// The row's id (a GUID): callscope's `callId` for it.
    pub id: String,
    /// What Microsoft support asks for.
    pub correlation_id: Option<String>,
    pub user_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub user_display_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub invite_date_time: Option<OffsetDateTime>,
    /// Only for a call that failed; Graph sends `0001-01-01T00:00:00Z` for none.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub failure_date_time: Option<OffsetDateTime>,
    /// Only for a call that connected; Graph sends `0001-01-01T00:00:00Z` for none.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    /// Seconds.
    pub duration: Option<i64>,
    /// Type and direction (`ByotIn`, `ByotOut`, `ByotOutUserForwarding`, ...).
    pub call_type: Option<String>,
    /// Whether the call was fully established.
    pub successful_call: Option<bool>,
    pub caller_number: Option<String>,
    pub callee_number: Option<String>,
    /// The datacenter the media went through (not bypassed).
    pub media_path_location: Option<String>,
    /// The datacenter the signalling went through.
    pub signaling_location: Option<String>,
    /// The final SIP response code (RFC 3261); `0` for a call that ended normally.
    pub final_sip_code: Option<i64>,
    /// Microsoft's response code: `560xxx` when the SBC sent the final code, else Microsoft did.
    pub call_end_sub_reason: Option<i64>,
    pub final_sip_code_phrase: Option<String>,
    pub trunk_fully_qualified_domain_name: Option<String>,
    pub media_bypass_enabled: Option<bool>,
}

/// A row of either log, as accepted and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "row", rename_all = "camelCase")]
pub enum PhoneRow {
    Pstn(PstnCallRow),
    DirectRouting(DirectRoutingRow),
}
