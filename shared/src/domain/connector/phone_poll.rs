//! The phone-call poll: which window of Graph's PSTN and Direct Routing call logs one poll
//! reads. Graph pushes no notifications for these logs (`getPstnCalls`,
//! `getDirectRoutingCalls`): the worker polls each function on a schedule, remembering per
//! function a watermark (the end of the last window read whole) and, while a window is being
//! read, where it stopped, so a poll cut off by its deadline resumes there.

use crate::domain::retention;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How far before the watermark a poll starts reading again. Graph ranges these logs by call
/// start, and a row appears only once its call has ended and Graph has processed it: a phone
/// call (or a Teams meeting dialled into, whose PSTN leg is a row) that lasts hours, ended
/// after the last poll and started before its window's end, is found by the next poll only
/// if that poll reads back past its start. A day covers the longest call Teams keeps up
/// (30 hours end a meeting, rare) and Graph's delay; duplicates it reads again are stored
/// once (ingest answers `unchanged`).
pub const OVERLAP: Duration = Duration::days(1);
/// How far behind now a window ends: rows of calls that started in the last moments are
/// read by the next poll (the overlap would find them anyway; this only spares a read).
pub const LAG: Duration = Duration::minutes(5);

/// One of Graph's two call-log functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PhoneLog {
    /// `getPstnCalls`: Microsoft's Calling Plans and Operator Connect.
    Pstn,
    /// `getDirectRoutingCalls`: the tenant's own SBCs.
    DirectRouting,
}

impl PhoneLog {
    /// Both logs, in the order a poll reads them.
    pub const ALL: [Self; 2] = [Self::Pstn, Self::DirectRouting];

    /// The Graph function's name (also the watermark's key).
    pub fn function(self) -> &'static str {
        match self {
            Self::Pstn => "getPstnCalls",
            Self::DirectRouting => "getDirectRoutingCalls",
        }
    }
}

/// A window of a log being read: calls that started in `[from, to)`, and where the reading
/// stopped (`next_link`, the next page's link; `None` before the first page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The window a poll at `now` reads, given the end of the last window read whole
/// (`through`) and the reading in progress, if one was cut off: that reading, where it
/// stopped; else `[through − OVERLAP, now − LAG)`, or on a first run (or after 30 idle days)
/// `[now − 30 days, now − LAG)`; never older than the 30 days a row is kept. `None` when
/// there is nothing to read yet.
pub fn plan(through: Option<OffsetDateTime>, reading: Option<&Reading>, now: OffsetDateTime) -> Option<Reading> {
    if let Some(reading) = reading {
        return Some(reading.clone());
    }
    let oldest = now - retention::HISTORY;
    let from = through.map_or(oldest, |through| (through - OVERLAP).max(oldest));
    let to = now - LAG;
    (from < to).then_some(Reading { from, to, next_link: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-04 12:00 UTC);

    #[test]
    fn a_first_poll_backfills_the_30_days_up_to_the_lag() {
        let window = plan(None, None, NOW).unwrap();
        assert_eq!(
            window,
            Reading { from: datetime!(2026-11-04 12:00 UTC), to: datetime!(2026-12-04 11:55 UTC), next_link: None }
        );
    }

    #[test]
    fn a_later_poll_reads_back_one_overlap_before_the_watermark() {
        let window = plan(Some(datetime!(2026-12-04 11:40 UTC)), None, NOW).unwrap();
        assert_eq!((window.from, window.to), (datetime!(2026-12-03 11:40 UTC), datetime!(2026-12-04 11:55 UTC)));
    }

    #[test]
    fn a_watermark_older_than_the_retention_starts_at_the_retention() {
        let window = plan(Some(datetime!(2026-10-01 00:00 UTC)), None, NOW).unwrap();
        assert_eq!(window.from, NOW - retention::HISTORY);
        // One second inside the retention plus the overlap: still clamped.
        let window = plan(Some(NOW - retention::HISTORY + OVERLAP - Duration::SECOND), None, NOW).unwrap();
        assert_eq!(window.from, NOW - retention::HISTORY);
        // Exactly at the edge: read from the edge.
        let window = plan(Some(NOW - retention::HISTORY + OVERLAP), None, NOW).unwrap();
        assert_eq!(window.from, NOW - retention::HISTORY);
    }

    #[test]
    fn a_reading_cut_off_resumes_where_it_stopped() {
        let cut = Reading {
            from: datetime!(2026-12-03 10:00 UTC),
            to: datetime!(2026-12-04 09:55 UTC),
            next_link: Some("https://graph/next".into()),
        };
        assert_eq!(plan(Some(datetime!(2026-12-04 10:00 UTC)), Some(&cut), NOW), Some(cut.clone()));
        // Even a cut-off reading with no page read yet resumes as it was planned.
        let fresh = Reading { next_link: None, ..cut };
        assert_eq!(plan(None, Some(&fresh), NOW), Some(fresh));
    }

    #[test]
    fn nothing_to_read_when_the_window_would_be_empty() {
        // A watermark in the future (a clock gone backwards) more than the overlap ahead.
        assert_eq!(plan(Some(NOW + OVERLAP), None, NOW), None);
        assert_eq!(plan(Some(NOW + OVERLAP - LAG), None, NOW), None);
        assert!(plan(Some(NOW + OVERLAP - LAG - Duration::SECOND), None, NOW).is_some());
    }

    #[test]
    fn the_functions_are_named_as_graph_names_them() {
        assert_eq!(PhoneLog::Pstn.function(), "getPstnCalls");
        assert_eq!(PhoneLog::DirectRouting.function(), "getDirectRoutingCalls");
    }
}
