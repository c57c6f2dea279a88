//! A phone-call row once accepted: what callscope reads from it whatever log it came from —
//! whose call it was, which way it went, the other number, how long, and whether it connected.

use super::row::{DirectRoutingRow, PhoneRow, PstnCallRow};
use crate::domain::calls::{EndSubnets, HistoryEntry, LineType};
use crate::domain::classify::{IssueCode, Rating};
use crate::domain::graph::{Party, PartyKind};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// Which way a phone call went, from the user's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Someone called the user.
    Inbound,
    /// The user called out.
    Outbound,
    /// A `callType` that says neither.
    Unknown,
}

/// Whether a phone call connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Fully established (every PSTN row: Graph logs only calls that connected).
    Connected,
    /// A Direct Routing call that was never fully established.
    Failed,
}

/// An accepted phone-call row: its times normalized (Graph's `0001-01-01` "none" is `None`),
/// empty strings dropped. Built only by parsing a request body, so every `PhoneCall` is one
/// callscope keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneCall {
    row: PhoneRow,
}

impl PhoneCall {
    /// `row` as accepted: Graph's placeholder times and empty strings become `None`.
    pub(crate) fn accepted(row: PhoneRow) -> Self {
        Self { row: normalized(row) }
    }

    /// The row as Graph sent it (normalized).
    pub fn row(&self) -> &PhoneRow {
        &self.row
    }

    /// The row's id: the history line's `callId`.
    pub fn id(&self) -> &str {
        match &self.row {
            PhoneRow::Pstn(r) => &r.id,
            PhoneRow::DirectRouting(r) => &r.id,
        }
    }

    /// `pstn` or `directRouting`.
    pub fn line_type(&self) -> LineType {
        match &self.row {
            PhoneRow::Pstn(_) => LineType::Pstn,
            PhoneRow::DirectRouting(_) => LineType::DirectRouting,
        }
    }

    /// The user whose call it was, as a home-tenant user of `home_tenant` (the rows come from the
    /// tenant's own logs); `None` for a row that names no user.
    pub fn user(&self, home_tenant: &str) -> Option<Party> {
        let (id, upn, name) = match &self.row {
            PhoneRow::Pstn(r) => (&r.user_id, &r.user_principal_name, &r.user_display_name),
            PhoneRow::DirectRouting(r) => (&r.user_id, &r.user_principal_name, &r.user_display_name),
        };
        Some(Party {
            id: id.clone()?,
            kind: PartyKind::User,
            display_name: name.clone(),
            user_principal_name: upn.clone(),
            tenant_id: Some(home_tenant.to_owned()),
        })
    }

    /// When the call started.
    pub fn start(&self) -> OffsetDateTime {
        match &self.row {
            PhoneRow::Pstn(r) => r.start_date_time,
            PhoneRow::DirectRouting(r) => r.start_date_time,
        }
    }

    /// When the call ended: its end time, else when it failed, else its start plus its duration.
    pub fn end(&self) -> OffsetDateTime {
        let (end, failed) = match &self.row {
            PhoneRow::Pstn(r) => (r.end_date_time, None),
            PhoneRow::DirectRouting(r) => (r.end_date_time, r.failure_date_time),
        };
        // A duration past the calendar's end ends the call there (and the row is refused for it).
        let by_duration = || {
            let lasted = Duration::seconds(self.duration_field().unwrap_or(0).max(0));
            self.start().checked_add(lasted).unwrap_or(PrimitiveDateTime::MAX.assume_utc())
        };
        end.or(failed).unwrap_or_else(by_duration).max(self.start())
    }

    fn duration_field(&self) -> Option<i64> {
        match &self.row {
            PhoneRow::Pstn(r) => r.duration,
            PhoneRow::DirectRouting(r) => r.duration,
        }
    }

    /// How long the call lasted, in seconds: Graph's `duration`, else end minus start.
    pub fn duration_seconds(&self) -> i64 {
        self.duration_field().unwrap_or_else(|| (self.end() - self.start()).whole_seconds()).max(0)
    }

    /// Graph's `callType`.
    pub fn call_type(&self) -> Option<&str> {
        match &self.row {
            PhoneRow::Pstn(r) => r.call_type.as_deref(),
            PhoneRow::DirectRouting(r) => r.call_type.as_deref(),
        }
    }

    /// Which way the call went, read from `callType` (`user_in`, `conf_out`, `ByotIn`,
    /// `ByotOutUserForwarding`, ...).
    pub fn direction(&self) -> Direction {
        let Some(kind) = self.call_type().map(str::to_ascii_lowercase) else { return Direction::Unknown };
        let (inbound, outbound) = match kind.strip_prefix("byot") {
            Some(rest) => (rest.starts_with("in"), rest.starts_with("out")),
            None => (kind.split('_').any(|w| w == "in"), kind.split('_').any(|w| w == "out")),
        };
        match (inbound, outbound) {
            (true, false) => Direction::Inbound,
            (false, true) => Direction::Outbound,
            _ => Direction::Unknown,
        }
    }

    /// `(caller, callee)` as the row gives them.
    pub fn numbers(&self) -> (Option<&str>, Option<&str>) {
        match &self.row {
            PhoneRow::Pstn(r) => (r.caller_number.as_deref(), r.callee_number.as_deref()),
            PhoneRow::DirectRouting(r) => (r.caller_number.as_deref(), r.callee_number.as_deref()),
        }
    }

    /// The number at the other end: the caller of an inbound call, the callee of an outbound one.
    pub fn other_number(&self) -> Option<&str> {
        let (caller, callee) = self.numbers();
        match self.direction() {
            Direction::Inbound => caller,
            Direction::Outbound | Direction::Unknown => callee,
        }
    }

    /// This call without `number` (as caller, callee or both): what an erasure of the number
    /// leaves of it. `None` if the call does not name it.
    pub fn without_number(&self, number: &str) -> Option<Self> {
        let (caller, callee) = match &self.row {
            PhoneRow::Pstn(r) => (&r.caller_number, &r.callee_number),
            PhoneRow::DirectRouting(r) => (&r.caller_number, &r.callee_number),
        };
        let keep = |n: &Option<String>| n.clone().filter(|n| n != number);
        let (caller, callee) = (keep(caller), keep(callee));
        if (caller.as_deref(), callee.as_deref()) == self.numbers() {
            return None;
        }
        let row = match &self.row {
            PhoneRow::Pstn(r) => {
                PhoneRow::Pstn(PstnCallRow { caller_number: caller, callee_number: callee, ..r.clone() })
            }
            PhoneRow::DirectRouting(r) => {
                PhoneRow::DirectRouting(DirectRoutingRow { caller_number: caller, callee_number: callee, ..r.clone() })
            }
        };
        Some(Self { row })
    }

    /// Whether the call connected.
    pub fn outcome(&self) -> Outcome {
        match &self.row {
            PhoneRow::DirectRouting(r) if r.successful_call == Some(false) => Outcome::Failed,
            _ => Outcome::Connected,
        }
    }

    /// `poor` for a Direct Routing call that did not connect; otherwise `unavailable`: a phone
    /// row carries no media quality to rate.
    pub fn rating(&self) -> Rating {
        match self.outcome() {
            Outcome::Failed => Rating::Poor,
            Outcome::Connected => Rating::Unavailable,
        }
    }

    /// `callSetupFailed` for a call that did not connect.
    pub fn issue_codes(&self) -> Vec<IssueCode> {
        match self.outcome() {
            Outcome::Failed => vec![IssueCode::CallSetupFailed],
            Outcome::Connected => Vec::new(),
        }
    }

    /// The line this call is in its user's history: the other number as the counterpart.
    pub fn history_entry(&self) -> HistoryEntry {
        let counterpart = self.other_number().map(|number| Party {
            id: number.to_owned(),
            kind: PartyKind::Phone,
            display_name: None,
            user_principal_name: None,
            tenant_id: None,
        });
        HistoryEntry {
            call_id: self.id().to_owned(),
            call_type: self.line_type(),
            start_date_time: self.start(),
            end_date_time: self.end(),
            duration_seconds: self.duration_seconds(),
            participant_count: 2,
            counterpart,
            rating: self.rating(),
            call_rating: self.rating(),
            issue_codes: self.issue_codes(),
            direction: Some(self.direction()),
            outcome: Some(self.outcome()),
            ends: EndSubnets::default(),
        }
    }
}

/// Graph writes `0001-01-01T00:00:00Z` for a time a row does not have.
fn real(time: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    time.filter(|t| t.year() > 1970)
}

/// `None` for an absent or empty string.
fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn normalized(row: PhoneRow) -> PhoneRow {
    match row {
        PhoneRow::Pstn(r) => PhoneRow::Pstn(PstnCallRow {
            user_id: text(r.user_id),
            caller_number: text(r.caller_number),
            callee_number: text(r.callee_number),
            end_date_time: real(r.end_date_time),
            ..r
        }),
        PhoneRow::DirectRouting(r) => PhoneRow::DirectRouting(DirectRoutingRow {
            user_id: text(r.user_id),
            caller_number: text(r.caller_number),
            callee_number: text(r.callee_number),
            invite_date_time: real(r.invite_date_time),
            failure_date_time: real(r.failure_date_time),
            end_date_time: real(r.end_date_time),
            ..r
        }),
    }
}
