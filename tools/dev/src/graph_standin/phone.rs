//! Graph's PSTN and Direct Routing call logs: `getPstnCalls(fromDateTime=…,toDateTime=…)` and
//! `getDirectRoutingCalls(…)` under `/communications/callRecords`, the rows whose call started in
//! `[from, to)` (from inclusive, to exclusive), paged with `@odata.nextLink` (`$skip`), 1,000 a
//! page unless [`Behaviour::phone_page`](super::Behaviour) says otherwise, with the
//! `@odata.context` and `@odata.count` Graph answers with. Rows are published through the
//! control endpoint (`POST /_standin/phone-rows/{function}`), late ones too: a row may start
//! inside a window a poll has already read, as Graph's rows appear once their call ended.

use super::{StandIn, error, parse_instant, reply};
use axum::http::StatusCode;
use axum::response::Response;
use callscope_core::domain::connector::PhoneLog;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use time::OffsetDateTime;

impl StandIn {
    /// Publishes `rows` to `log` (a row with an id already published replaces it).
    pub fn publish_phone_rows(&self, log: PhoneLog, rows: Vec<Value>) {
        let mut state = self.state();
        let kept = state.phone_rows.entry(log).or_default();
        for row in rows {
            match kept.iter_mut().find(|r| r["id"] == row["id"]) {
                Some(same) => *same = row,
                None => kept.push(row),
            }
        }
    }
}

/// Which log a function's name asks for.
pub(super) fn log_named(function: &str) -> Option<PhoneLog> {
    PhoneLog::ALL.into_iter().find(|log| log.function() == function)
}

/// The function call a path segment names, `getPstnCalls(fromDateTime=X,toDateTime=Y)`: its
/// log and window; `None` if the segment names no call-log function.
fn call(segment: &str) -> Option<Result<(PhoneLog, OffsetDateTime, OffsetDateTime), ()>> {
    let (function, arguments) = segment.split_once('(')?;
    let log = log_named(function)?;
    let arguments = arguments.strip_suffix(')').ok_or(());
    Some(arguments.and_then(|arguments| {
        let mut bounds = HashMap::new();
        for argument in arguments.split(',') {
            let (name, value) = argument.split_once('=').ok_or(())?;
            bounds.insert(name.trim(), parse_instant(value.trim().trim_matches('\'')).ok_or(())?);
        }
        Ok((log, *bounds.get("fromDateTime").ok_or(())?, *bounds.get("toDateTime").ok_or(())?))
    }))
}

/// Answers `segment` if it calls one of the call-log functions; `None` if it is no such call
/// (a record's id).
pub(super) fn answer(stand_in: &StandIn, segment: &str, query: &HashMap<String, String>) -> Option<Response> {
    let (log, from, to) = match call(segment)? {
        Ok(call) => call,
        Err(()) => return Some(error(StatusCode::BAD_REQUEST, "BadRequest")),
    };
    stand_in.stats.phone_pages.fetch_add(1, Ordering::Relaxed);
    let rows: Vec<Value> = stand_in
        .state()
        .phone_rows
        .get(&log)
        .into_iter()
        .flatten()
        .filter(|row| row["startDateTime"].as_str().and_then(parse_instant).is_some_and(|s| s >= from && s < to))
        .cloned()
        .collect();
    let skip: usize = query.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let behaviour = stand_in.behaviour();
    let size = behaviour.phone_page.max(1);
    let value: Vec<Value> = rows.iter().skip(skip).take(size).cloned().collect();
    let kind = match log {
        PhoneLog::Pstn => "pstnCallLogRow",
        PhoneLog::DirectRouting => "directRoutingLogRow",
    };
    let mut page = json!({
        "@odata.context": format!("{}/$metadata#Collection(microsoft.graph.callRecords.{kind})", stand_in.api_url()),
        "@odata.count": value.len(),
        "value": value,
    });
    let next = if behaviour.phone_page_links_itself { skip } else { skip + size };
    if rows.len() > skip + size {
        page["@odata.nextLink"] =
            json!(format!("{}/communications/callRecords/{segment}?$skip={next}", stand_in.api_url()));
    }
    Some(reply(StatusCode::OK, page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_call_names_its_log_and_window() {
        let (log, from, to) =
            call("getPstnCalls(fromDateTime=2026-12-01T00:00:00Z,toDateTime=2026-12-02T00:00:00Z)").unwrap().unwrap();
        assert_eq!(log, PhoneLog::Pstn);
        assert_eq!(
            (from, to),
            (time::macros::datetime!(2026-12-01 0:00 UTC), time::macros::datetime!(2026-12-02 0:00 UTC))
        );
        assert!(call("getDirectRoutingCalls(fromDateTime=2026-12-01T00:00:00Z)").unwrap().is_err());
        assert!(call("2f1a0a6e-0000-4000-8000-000000000001").is_none());
    }
}
