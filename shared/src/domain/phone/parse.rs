//! The body of `POST /pstn-calls` (and of each page the Graph worker reads): Graph's answer to
//! `getPstnCalls` or `getDirectRoutingCalls` as it is — `{"@odata.context", "@odata.count",
//! "value": [rows], "@odata.nextLink"}`. Every row is parsed and checked before the caller may
//! write anything, and every problem of every row is reported (the helpers and the shape of a
//! problem are `POST /calls`' own, `domain/graph/batch.rs`).

use super::call::PhoneCall;
use super::row::{DirectRoutingRow, PhoneRow, PstnCallRow};
use crate::domain::graph::batch::{check_depth, not_utf8, reject, syntax_problem, type_problem};
use crate::domain::ids::id_problem;
use crate::domain::problem::{Problem, Rejection};
use crate::domain::retention;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use time::OffsetDateTime;

/// Most rows one body may carry: a whole page of Graph's (it pages at 1,000).
pub const MAX_ROWS: usize = 1_000;

/// Which of Graph's two logs rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Log {
    Pstn,
    DirectRouting,
}

impl Log {
    /// The log `@odata.context` names (`...#Collection(microsoft.graph.callRecords.pstnCallLogRow)`).
    fn of_context(context: &str) -> Option<Self> {
        if context.contains("pstnCallLogRow") {
            Some(Self::Pstn)
        } else if context.contains("directRoutingLogRow") {
            Some(Self::DirectRouting)
        } else {
            None
        }
    }

    /// The log a row without a context comes from: only Direct Routing rows say whether the
    /// call succeeded and which SIP code ended it.
    fn of_row(raw: &RawValue) -> Self {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Hint<'a> {
            #[serde(borrow, default)]
            successful_call: Option<&'a RawValue>,
            #[serde(borrow, default)]
            final_sip_code: Option<&'a RawValue>,
        }
        match serde_json::from_str::<Hint>(raw.get()) {
            Ok(hint) if hint.successful_call.is_some() || hint.final_sip_code.is_some() => Self::DirectRouting,
            _ => Self::Pstn,
        }
    }
}

/// Graph's collection envelope; `@odata.count` and `@odata.nextLink` (a page's rows are whole
/// without the next page) and any other key are ignored.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "@odata.context", default)]
    context: Option<String>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

/// Parses and checks a body of phone-call rows as of `now`: the accepted rows in order, or every
/// problem found (nothing of the body may then be written).
pub fn parse_phone_rows(body: &[u8], now: OffsetDateTime) -> Result<Vec<PhoneCall>, Rejection> {
    let text = std::str::from_utf8(body).map_err(|e| reject(not_utf8(body, &e)))?;
    check_depth(text).map_err(reject)?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| reject(syntax_problem(text, text, &e)))?;
    let Some(list) = envelope.value else {
        return Err(reject(Problem::invalid("value", "missing: send Graph's answer as it is, with its `value`")));
    };
    let raws: Vec<&RawValue> = serde_json::from_str(list.get())
        .map_err(|_| reject(Problem::invalid("value", "must be an array of phone-call rows")))?;
    if raws.len() > MAX_ROWS {
        let message = format!("holds {} rows; at most {MAX_ROWS} per request", raws.len());
        return Err(reject(Problem::unacceptable("value", message)));
    }
    let log = envelope.context.as_deref().and_then(Log::of_context);
    let mut calls = Vec::with_capacity(raws.len());
    let mut problems = Vec::new();
    for (index, raw) in raws.into_iter().enumerate() {
        let row = match log.unwrap_or_else(|| Log::of_row(raw)) {
            Log::Pstn => read::<PstnCallRow>(text, raw).map(PhoneRow::Pstn),
            Log::DirectRouting => read::<DirectRoutingRow>(text, raw).map(PhoneRow::DirectRouting),
        };
        let checked = row.and_then(|row| {
            let call = PhoneCall::accepted(row);
            let problems = row_problems(&call, now);
            if problems.is_empty() { Ok(call) } else { Err(problems) }
        });
        match checked {
            Ok(call) => calls.push((index, call)),
            Err(found) => problems.extend(found.into_iter().map(|p| Problem { index: Some(index), ..p })),
        }
    }
    problems.extend(repeated_ids(&calls));
    if problems.is_empty() {
        Ok(calls.into_iter().map(|(_, call)| call).collect())
    } else {
        Err(Rejection { problems })
    }
}

/// One row as `T`, or the problem with the path to what does not read.
fn read<T: DeserializeOwned>(text: &str, raw: &RawValue) -> Result<T, Vec<Problem>> {
    serde_json::from_str(raw.get()).map_err(|_| vec![type_problem::<T>(text, raw.get())])
}

/// Everything wrong with one row as of `now`, each problem at the row's field: the rules of a
/// call record's times (`domain/graph/validate.rs`) and ids (`domain/ids.rs`).
fn row_problems(call: &PhoneCall, now: OffsetDateTime) -> Vec<Problem> {
    let mut problems = Vec::new();
    let fields = Fields::of(call.row());
    let ids = [
        ("id", Some(fields.id)),
        ("userId", fields.user_id),
        ("callerNumber", fields.caller),
        ("calleeNumber", fields.callee),
    ];
    // (A blank user or number is none, since `PhoneCall::accepted`; a blank row id is not.)
    for (path, id) in ids {
        problems.extend(id.and_then(id_problem).map(|message| Problem::invalid(path, message)));
    }
    let start = fields.start;
    for (path, at) in [("endDateTime", fields.end), ("failureDateTime", fields.failure)] {
        if at.is_some_and(|at| at < start) {
            problems.push(Problem::invalid(path, "ends before the call starts"));
        }
    }
    if fields.duration.is_some_and(|d| d < 0) {
        problems.push(Problem::invalid("duration", "must not be negative"));
    }
    if !problems.is_empty() {
        return problems;
    }
    // The end the stored row is kept by: its end, else its failure, else start + duration.
    let end_path = if fields.end.is_some() || fields.failure.is_none() { "endDateTime" } else { "failureDateTime" };
    // Accepted exactly when it would be visible: items live while `expiresAt > now`.
    if call.end() <= now - retention::HISTORY {
        let days = retention::HISTORY.whole_days();
        problems.push(Problem::unacceptable(
            end_path,
            format!("the call ended more than {days} days ago, outside the history window"),
        ));
    }
    // Graph's `duration` counts even where an end is given (the end alone could hide it).
    let lasted = (call.end() - call.start()).max(time::Duration::seconds(fields.duration.unwrap_or(0)));
    if lasted > retention::LONGEST_CALL {
        let days = retention::LONGEST_CALL.whole_days();
        let message = format!("the call lasts more than {days} days; callscope keeps calls of up to {days} days");
        problems.push(Problem::unacceptable(if fields.duration.is_some() { "duration" } else { end_path }, message));
    }
    if start > now + retention::FUTURE_TOLERANCE {
        problems.push(Problem::unacceptable("startDateTime", "the call starts more than a day in the future"));
    }
    problems
}

/// The fields of either kind of accepted row the rules read.
struct Fields<'a> {
    id: &'a str,
    user_id: Option<&'a str>,
    caller: Option<&'a str>,
    callee: Option<&'a str>,
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
    failure: Option<OffsetDateTime>,
    duration: Option<i64>,
}

impl<'a> Fields<'a> {
    fn of(row: &'a PhoneRow) -> Self {
        match row {
            PhoneRow::Pstn(r) => Self {
                id: &r.id,
                user_id: r.user_id.as_deref(),
                caller: r.caller_number.as_deref(),
                callee: r.callee_number.as_deref(),
                start: r.start_date_time,
                end: r.end_date_time,
                failure: None,
                duration: r.duration,
            },
            PhoneRow::DirectRouting(r) => Self {
                id: &r.id,
                user_id: r.user_id.as_deref(),
                caller: r.caller_number.as_deref(),
                callee: r.callee_number.as_deref(),
                start: r.start_date_time,
                end: r.end_date_time,
                failure: r.failure_date_time,
                duration: r.duration,
            },
        }
    }
}

/// A body naming one row twice is refused: which of the two should be kept would depend on
/// their order, so the sender must say.
fn repeated_ids(calls: &[(usize, PhoneCall)]) -> Vec<Problem> {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (index, call) in calls {
        match first_seen.entry(call.id()) {
            Entry::Vacant(slot) => {
                slot.insert(*index);
            }
            Entry::Occupied(first) => problems.push(Problem {
                index: Some(*index),
                ..Problem::invalid("id", format!("repeats the id of value[{}]; send each row once", first.get()))
            }),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calls::LineType;
    use crate::domain::phone::{Direction, Outcome};
    use crate::domain::problem::Severity;
    use serde_json::{Value, json};
    use time::Duration;
    use time::macros::datetime;

    const PSTN_DOCS: &str = include_str!("../../../../events/graph/pstn-calls-docs.json");
    const DIRECT_ROUTING_DOCS: &str = include_str!("../../../../events/graph/direct-routing-calls-docs.json");
    const NOW: OffsetDateTime = datetime!(2019-11-02 12:00 UTC);

    fn problems(body: &Value, now: OffsetDateTime) -> Vec<Problem> {
        parse_phone_rows(body.to_string().as_bytes(), now).unwrap_err().problems
    }

    fn docs_row(text: &str) -> Value {
        serde_json::from_str::<Value>(text).unwrap()["value"][0].clone()
    }

    #[test]
    fn graphs_pstn_example_is_accepted_as_published() {
        let calls = parse_phone_rows(PSTN_DOCS.as_bytes(), NOW).unwrap();
        assert_eq!(calls.len(), 1);
        let call = &calls[0];
        assert_eq!(call.id(), "9c4984c7-6c3c-427d-a30c-bd0b2eacee90");
        assert_eq!(call.line_type(), LineType::Pstn);
        assert_eq!(call.direction(), Direction::Inbound);
        assert_eq!(call.other_number(), Some("+0123456789"));
        assert_eq!((call.duration_seconds(), call.outcome()), (219, Outcome::Connected));
        assert_eq!(call.end(), datetime!(2019-11-01 00:03:47.2589935 UTC));
        assert_eq!(call.user("t").unwrap().display_name.as_deref(), Some("Richard Malk"));
    }

    #[test]
    fn graphs_direct_routing_example_is_accepted_as_published() {
        let calls = parse_phone_rows(DIRECT_ROUTING_DOCS.as_bytes(), NOW).unwrap();
        let call = &calls[0];
        assert_eq!(call.id(), "9e8bba57-dc14-533a-a7dd-f0da6575eed1");
        assert_eq!(call.line_type(), LineType::DirectRouting);
        assert_eq!((call.direction(), call.outcome()), (Direction::Inbound, Outcome::Connected));
        assert_eq!(call.numbers(), (Some("+12345678***"), Some("+01234567***")));
        // failureDateTime 0001-01-01 is Graph's "none": the call ended at its end.
        assert_eq!(call.end(), datetime!(2019-11-01 00:00:30.105 UTC));
        let PhoneRow::DirectRouting(row) = call.row() else { panic!("a Direct Routing row") };
        assert_eq!((row.failure_date_time, row.final_sip_code), (None, Some(0)));
    }

    #[test]
    fn the_kind_comes_from_the_context_else_from_each_row() {
        let mut pstn = docs_row(PSTN_DOCS);
        let mut direct = docs_row(DIRECT_ROUTING_DOCS);
        direct["id"] = json!("d-1");
        pstn["id"] = json!("p-1");
        let body = json!({"value": [pstn.clone(), direct.clone()], "@odata.count": 2, "somethingNew": [1]});
        let kinds: Vec<LineType> =
            parse_phone_rows(body.to_string().as_bytes(), NOW).unwrap().iter().map(PhoneCall::line_type).collect();
        assert_eq!(kinds, [LineType::Pstn, LineType::DirectRouting]);
        // The context says Direct Routing: a row read as one (its own extra fields ignored).
        let context =
            "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.callRecords.directRoutingLogRow)";
        let body = json!({"@odata.context": context, "value": [pstn]});
        let calls = parse_phone_rows(body.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(calls[0].line_type(), LineType::DirectRouting);
    }

    #[test]
    fn every_problem_of_every_row_is_reported_with_its_path() {
        let mut bad = docs_row(DIRECT_ROUTING_DOCS);
        bad["endDateTime"] = json!("2019-11-01T00:00:20Z");
        bad["duration"] = json!(-5);
        bad["id"] = json!(" ");
        let mut typed = docs_row(DIRECT_ROUTING_DOCS);
        typed["finalSipCode"] = json!("404");
        let mut missing = docs_row(DIRECT_ROUTING_DOCS);
        missing.as_object_mut().unwrap().remove("startDateTime");
        let found = problems(&json!({"value": [docs_row(DIRECT_ROUTING_DOCS), bad, typed, missing]}), NOW);
        let at: Vec<(Option<usize>, &str)> = found.iter().map(|p| (p.index, p.path.as_str())).collect();
        assert_eq!(
            at,
            [
                (Some(1), "id"),
                (Some(1), "endDateTime"),
                (Some(1), "duration"),
                (Some(2), "finalSipCode"),
                (Some(3), "startDateTime")
            ]
        );
        assert!(found[3].line.is_some() && found[3].column.is_some(), "a type error is located: {:?}", found[3]);
        assert!(found.iter().all(|p| p.severity == Severity::Invalid));
    }

    #[test]
    fn a_syntax_error_is_located_by_line_and_column() {
        let body = PSTN_DOCS.replace("\"duration\": 219,", "\"duration\": 219");
        let problem = parse_phone_rows(body.as_bytes(), NOW).unwrap_err().problems.remove(0);
        assert_eq!((problem.line, problem.column), (Some(14), Some(13)), "{problem:?}");
        let problem = problems(&json!({"value": {"id": "x"}}), NOW).remove(0);
        assert_eq!(problem.path, "value");
        assert_eq!(problems(&json!([docs_row(PSTN_DOCS)]), NOW)[0].path, "$");
        assert_eq!(problems(&json!({"@odata.count": 0}), NOW)[0].path, "value");
    }

    #[test]
    fn a_repeated_id_is_refused_at_its_second_row() {
        let row = docs_row(PSTN_DOCS);
        let found = problems(&json!({"value": [row.clone(), row]}), NOW);
        assert_eq!((found[0].index, found[0].path.as_str()), (Some(1), "id"));
        assert!(found[0].message.contains("value[0]"));
    }

    #[test]
    fn ids_and_numbers_are_checked_as_call_record_ids() {
        let mut row = docs_row(PSTN_DOCS);
        row["userId"] = json!("a\nb");
        row["callerNumber"] = json!("x".repeat(crate::domain::ids::MAX_ID_LEN + 1));
        row["calleeNumber"] = json!("");
        let paths: Vec<String> = problems(&json!({"value": [row]}), NOW).into_iter().map(|p| p.path).collect();
        assert_eq!(paths, ["userId", "callerNumber"], "a blank number is none");
    }

    #[test]
    fn a_thousand_rows_are_accepted_and_one_more_is_refused() {
        let rows = |n: usize| {
            let rows: Vec<Value> = (0..n)
                .map(|i| {
                    let mut row = docs_row(PSTN_DOCS);
                    row["id"] = json!(format!("row-{i}"));
                    row
                })
                .collect();
            json!({"value": rows})
        };
        assert_eq!(parse_phone_rows(rows(MAX_ROWS).to_string().as_bytes(), NOW).unwrap().len(), MAX_ROWS);
        let found = problems(&rows(MAX_ROWS + 1), NOW);
        assert_eq!((found.len(), found[0].path.as_str(), found[0].severity), (1, "value", Severity::Unacceptable));
        assert!(parse_phone_rows(br#"{"value": []}"#, NOW).unwrap().is_empty(), "an empty page is fine");
    }

    #[test]
    fn a_row_is_kept_until_thirty_days_after_it_ended() {
        let end = datetime!(2019-11-01 00:03:47.2589935 UTC);
        let body: Value = serde_json::from_str(PSTN_DOCS).unwrap();
        let at = |now: OffsetDateTime| parse_phone_rows(body.to_string().as_bytes(), now);
        assert!(at(end + retention::HISTORY - Duration::seconds(1)).is_ok());
        // Exactly 30 days: its items would expire at that very moment, as a call record's would.
        let refused = at(end + retention::HISTORY).unwrap_err().problems;
        assert_eq!((refused[0].path.as_str(), refused[0].severity), ("endDateTime", Severity::Unacceptable));
        assert!(at(end + retention::HISTORY + Duration::seconds(1)).is_err());
    }

    #[test]
    fn a_failed_call_is_kept_by_its_failure_time() {
        let mut row = docs_row(DIRECT_ROUTING_DOCS);
        row["endDateTime"] = json!("0001-01-01T00:00:00Z");
        row["failureDateTime"] = json!("2019-11-01T00:00:26Z");
        row["successfulCall"] = json!(false);
        row["duration"] = json!(0);
        let now = datetime!(2019-11-01 00:00:26 UTC) + retention::HISTORY;
        let found = problems(&json!({"value": [row]}), now);
        assert_eq!(found[0].path, "failureDateTime");
    }

    #[test]
    fn a_duration_or_start_past_the_calendars_end_is_a_problem_not_a_panic() {
        let mut longest = docs_row(PSTN_DOCS);
        longest["duration"] = json!(i64::MAX);
        let found = problems(&json!({"value": [longest]}), NOW);
        assert_eq!((found.len(), found[0].path.as_str(), found[0].severity), (1, "duration", Severity::Unacceptable));
        let mut last_second = docs_row(DIRECT_ROUTING_DOCS);
        for (field, value) in [("startDateTime", json!("9999-12-31T23:59:59Z")), ("duration", json!(1))] {
            last_second[field] = value;
        }
        for field in ["endDateTime", "failureDateTime"] {
            last_second.as_object_mut().unwrap().remove(field);
        }
        let found = problems(&json!({"value": [last_second]}), NOW);
        assert!(found.iter().any(|p| p.path == "startDateTime"), "{found:?}");
        let mut a_week = docs_row(PSTN_DOCS);
        a_week["duration"] = json!(retention::LONGEST_CALL.whole_seconds());
        assert!(
            parse_phone_rows(json!({"value": [a_week.clone()]}).to_string().as_bytes(), NOW).is_ok(),
            "a week is kept"
        );
        a_week["duration"] = json!(retention::LONGEST_CALL.whole_seconds() + 1);
        assert!(problems(&json!({"value": [a_week]}), NOW).iter().any(|p| p.path == "duration"));
    }

    #[test]
    fn a_call_from_the_future_is_refused_past_the_tolerance() {
        let start = datetime!(2019-11-01 00:00:08.2589935 UTC);
        let body: Value = serde_json::from_str(PSTN_DOCS).unwrap();
        let at = |now: OffsetDateTime| parse_phone_rows(body.to_string().as_bytes(), now);
        assert!(at(start - retention::FUTURE_TOLERANCE).is_ok());
        let refused = at(start - retention::FUTURE_TOLERANCE - Duration::seconds(1)).unwrap_err().problems;
        assert_eq!((refused[0].path.as_str(), refused[0].severity), ("startDateTime", Severity::Unacceptable));
    }
}
