//! List views: a user's history and the user directory.

use super::detail::Location;
use super::party::{EngineerParty, PartyView, SpecialistParty, Viewer};
use crate::domain::calls::{EndSubnets, HistoryEntry};
use crate::domain::graph::Party;
use crate::domain::sites::Sites;
use crate::support::clock::rfc3339;
use serde::Serialize;
use time::OffsetDateTime;

/// One call in a user's history, with the counterpart and the two ends as the role may see them.
pub type HistoryLine<P, E> = HistoryEntry<P, E>;
/// A support specialist's history line: nothing of where either end was.
pub type SpecialistHistoryLine = HistoryLine<SpecialistParty, ()>;
/// A support engineer's or admin's history line: the building of each end whose subnet is mapped.
pub type EngineerHistoryLine = HistoryLine<EngineerParty, EndBuildings>;

/// What a role's history line says of where the user's and the counterpart's endpoints were.
pub trait EndsView: Serialize {
    /// The view of `ends`, their buildings looked up in `sites`.
    fn of(ends: &EndSubnets, sites: &Sites) -> Self;
}

impl EndsView for () {
    fn of(_: &EndSubnets, _: &Sites) {}
}

/// The building of each end of a call, where the building file maps its subnet.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndBuildings {
    pub user_building: Option<Location>,
    pub counterpart_building: Option<Location>,
}

impl EndsView for EndBuildings {
    fn of(ends: &EndSubnets, sites: &Sites) -> Self {
        let building = |subnet: &Option<String>| sites.buildings.locate(subnet.as_deref(), None).map(Location::from);
        Self { user_building: building(&ends.user_subnet), counterpart_building: building(&ends.counterpart_subnet) }
    }
}

/// `entry` for `viewer`, in the views `P` and `E`.
pub fn history_line<P: PartyView, E: EndsView>(
    entry: &HistoryEntry,
    viewer: &Viewer,
    sites: &Sites,
) -> HistoryLine<P, E> {
    entry.shown_as(|party| P::of(party, viewer), |ends| E::of(ends, sites))
}

/// The columns of a history export, in order (`direction` and `outcome` are a phone call's,
/// empty for a Teams call).
pub const HISTORY_CSV_HEADER: [&str; 12] = [
    "startDateTime",
    "endDateTime",
    "type",
    "counterpart",
    "durationSeconds",
    "participantCount",
    "rating",
    "callRating",
    "issueCodes",
    "callId",
    "direction",
    "outcome",
];

/// `items` as CSV with a header row: the same fields the JSON view shows, the counterpart as its
/// label in that view, issue codes space-separated. A cell that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, TAB or CR first, or whitespace then a formula character) is
/// prefixed with `'`: names come from outside.
pub fn history_csv<P: PartyView, E>(items: &[HistoryLine<P, E>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HISTORY_CSV_HEADER).expect("writing to memory");
    for item in items {
        let codes: Vec<String> = item.issue_codes.iter().filter_map(text).collect();
        let record = [
            rfc3339(item.start_date_time),
            rfc3339(item.end_date_time),
            text(&item.call_type).unwrap_or_default(),
            defused(item.counterpart.as_ref().map(P::label).unwrap_or_default()),
            item.duration_seconds.to_string(),
            item.participant_count.to_string(),
            text(&item.rating).unwrap_or_default(),
            text(&item.call_rating).unwrap_or_default(),
            codes.join(" "),
            defused(item.call_id.clone()),
            item.direction.as_ref().and_then(text).unwrap_or_default(),
            item.outcome.as_ref().and_then(text).unwrap_or_default(),
        ];
        writer.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 strings is UTF-8")
}

/// A unit enum's serialized name (`peerToPeer`, `poor`, ...).
fn text<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned))
}

/// `cell`, made inert for spreadsheets if it starts like a formula: a formula character, a TAB
/// or CR (which spreadsheets also treat as a formula start), or whitespace before a formula
/// character.
pub(super) fn defused(cell: String) -> String {
    let formula = cell.starts_with(['\t', '\r']) || cell.trim_start().starts_with(['=', '+', '-', '@']);
    if formula { format!("'{cell}") } else { cell }
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

impl UserSummary {
    /// `user` as search lists them, with the end of their latest call.
    pub fn new(user: &Party, last_call_at: OffsetDateTime) -> Self {
        Self {
            id: user.id.clone(),
            display_name: user.display_name.clone(),
            user_principal_name: user.user_principal_name.clone(),
            last_call_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calls::CallSummary;
    use crate::domain::graph::{Party, PartyKind, parse_calls};
    use time::macros::datetime;

    /// The CSV line of the sample call with its counterpart renamed to `name`, as an engineer sees it.
    fn csv_with_counterpart(name: &str) -> String {
        let body = include_str!("../../../../events/graph/p2p-pstn.json");
        let now = datetime!(2026-11-25 12:00 UTC);
        let summary = CallSummary::of(&parse_calls(body.as_bytes(), now).unwrap()[0], now);
        let user = summary.parties.iter().find(|p| p.kind == PartyKind::User).unwrap();
        let mut entry = summary.history_entry(user, None);
        entry.counterpart = Some(Party { kind: PartyKind::User, display_name: Some(name.into()), ..user.clone() });
        let viewer = Viewer { searched_user: &user.id, home_tenant: "elsewhere" };
        let item: HistoryLine<EngineerParty, ()> = history_line(&entry, &viewer, &Sites::default());
        history_csv(&[item])
    }

    #[test]
    fn a_phone_call_exports_its_direction_and_outcome_and_a_masked_number() {
        let body = include_str!("../../../../events/graph/pstn-calls-docs.json");
        let call = crate::domain::phone::parse_phone_rows(body.as_bytes(), datetime!(2019-11-02 00:00 UTC)).unwrap();
        let entry = call[0].history_entry();
        let viewer = Viewer { searched_user: "db03c14b-06eb-4189-939b-7cbf3a20ba27", home_tenant: "t" };
        let line: HistoryLine<SpecialistParty, ()> = history_line(&entry, &viewer, &Sites::default());
        let csv = history_csv(&[line]);
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().ends_with(",callId,direction,outcome"));
        let row = lines.next().unwrap();
        assert!(row.ends_with(",9c4984c7-6c3c-427d-a30c-bd0b2eacee90,inbound,connected"), "{row}");
        assert!(row.contains(",pstn,'+0123456***,219,2,unavailable,unavailable,,"), "{row}");
        assert!(!row.contains("+0123456789"), "never the whole number: {row}");
        // A Teams call has neither: the two cells are empty.
        let teams = csv_with_counterpart("Bob");
        assert!(teams.lines().nth(1).unwrap().ends_with(",,"), "{teams}");
    }

    #[test]
    fn a_cell_that_would_run_as_a_formula_is_made_inert() {
        for (name, cell) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"\"x\"\")"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\rX", "'\rX"),
            ("  =1", "'  =1"),
            ("Ada Lovelace", "Ada Lovelace"),
            ("Ada - Lovelace", "Ada - Lovelace"),
        ] {
            let csv = csv_with_counterpart(name);
            let row = csv.lines().skip(1).collect::<Vec<_>>().join("\n");
            assert!(row.contains(&format!(",{cell},")) || row.contains(&format!(",\"{cell}\",")), "{name:?} → {row:?}");
        }
    }
}
