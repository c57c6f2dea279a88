//! List views: a user's history and the user directory.

use super::party::{PartyView, Viewer};
use crate::domain::calls::{DirectoryEntry, HistoryEntry};
use serde::Serialize;
use time::OffsetDateTime;

/// One call in a user's history, with the counterpart as the role may see it.
pub type HistoryItem<P> = HistoryEntry<P>;

/// `entry` for `viewer`, in the view `P`.
pub fn history_item<P: PartyView>(entry: &HistoryEntry, viewer: &Viewer) -> HistoryItem<P> {
    entry.shown_as(|party| P::of(party, viewer))
}

/// The columns of a history export, in order.
pub const HISTORY_CSV_HEADER: [&str; 9] = [
    "startDateTime",
    "endDateTime",
    "type",
    "counterpart",
    "durationSeconds",
    "participantCount",
    "rating",
    "issueCodes",
    "callId",
];

/// `items` as CSV with a header row: the same fields the JSON view shows, the counterpart as its
/// label in that view, issue codes space-separated. A cell that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@` first) is prefixed with `'`: names come from outside.
pub fn history_csv<P: PartyView>(items: &[HistoryItem<P>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HISTORY_CSV_HEADER).expect("writing to memory");
    for item in items {
        let rfc3339 = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let codes: Vec<String> = item.issue_codes.iter().filter_map(text).collect();
        let record = [
            rfc3339(item.start_date_time),
            rfc3339(item.end_date_time),
            text(&item.call_type).unwrap_or_default(),
            defused(item.counterpart.as_ref().map(P::label).unwrap_or_default()),
            item.duration_seconds.to_string(),
            item.participant_count.to_string(),
            text(&item.rating).unwrap_or_default(),
            codes.join(" "),
            defused(item.call_id.clone()),
        ];
        writer.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings is UTF-8")
}

/// A unit enum's serialized name (`peerToPeer`, `poor`, ...).
fn text<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned))
}

/// `cell`, made inert for spreadsheets if it starts like a formula.
fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}") } else { cell }
}

/// A user found by search: what an agent needs to pick the right person.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: String,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub last_call_at: OffsetDateTime,
}

impl From<&DirectoryEntry> for UserSummary {
    fn from(entry: &DirectoryEntry) -> Self {
        Self {
            id: entry.user.id.clone(),
            display_name: entry.user.display_name.clone(),
            user_principal_name: entry.user.user_principal_name.clone(),
            last_call_at: entry.last_call_at,
        }
    }
}
