//! The body of `POST /calls`: one Graph call record, or `{"value": [record, ...]}`.
//!
//! Every record is parsed and validated before the caller may write anything, and every problem
//! of every record is reported: syntax errors with line and column, type errors and rule
//! violations with the record's index and a JSON path.

use super::record::CallRecord;
use super::validate::ValidCall;
use crate::domain::problem::{Problem, Rejection, WHOLE, json_value_free};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use time::OffsetDateTime;

/// Most records one request may carry (Graph pages hold up to 60; leave room for merged pages).
pub const MAX_BATCH: usize = 100;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

/// Parses and validates a request body as of `now`.
pub fn parse_calls(body: &[u8], now: OffsetDateTime) -> Result<Vec<ValidCall>, Rejection> {
    let text = std::str::from_utf8(body).map_err(|e| reject(not_utf8(body, &e)))?;
    check_depth(text).map_err(reject)?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| reject(syntax_problem(text, text, &e)))?;
    let raws: Vec<(Option<usize>, &RawValue)> = match envelope.value {
        None => vec![(None, serde_json::from_str(text).map_err(|e| reject(syntax_problem(text, text, &e)))?)],
        Some(list) => {
            let list: Vec<&RawValue> = serde_json::from_str(list.get())
                .map_err(|_| reject(Problem::invalid("value", "must be an array of call records")))?;
            if list.is_empty() {
                return Err(reject(Problem::invalid("value", "must hold at least one call record")));
            }
            if list.len() > MAX_BATCH {
                return Err(reject(Problem::invalid(
                    "value",
                    format!("holds {} records; at most {MAX_BATCH} per request", list.len()),
                )));
            }
            list.into_iter().enumerate().map(|(i, raw)| (Some(i), raw)).collect()
        }
    };
    let mut calls = Vec::with_capacity(raws.len());
    let mut problems = Vec::new();
    for (index, raw) in raws {
        if let Some(link) = unfollowed_link(raw) {
            problems.push(Problem { index, ..link });
            continue;
        }
        let record = CallRecord::deserialize(&mut serde_json::Deserializer::from_str(raw.get()));
        let outcome = match record {
            Ok(record) => ValidCall::new(record, now).map(|mut call| {
                call.batch_index = index;
                call
            }),
            Err(_) => Err(vec![type_problem::<CallRecord>(text, raw.get())]),
        };
        match outcome {
            Ok(call) => calls.push(call),
            Err(found) => problems.extend(found.into_iter().map(|p| Problem { index, ..p })),
        }
    }
    problems.extend(repeated_ids(&calls));
    if problems.is_empty() { Ok(calls) } else { Err(Rejection { problems }) }
}

/// The page links Graph leaves in a record it hands out in parts.
#[derive(Deserialize)]
struct PageLinks<'a> {
    #[serde(rename = "sessions@odata.nextLink", borrow, default)]
    sessions: Option<&'a RawValue>,
    #[serde(rename = "participants_v2@odata.nextLink", borrow, default)]
    participants: Option<&'a RawValue>,
}

/// A record that still links to more of its sessions or participants is half a record: it is
/// refused rather than stored as if it were whole.
fn unfollowed_link(raw: &RawValue) -> Option<Problem> {
    let links: PageLinks = serde_json::from_str(raw.get()).ok()?;
    let present = |link: Option<&RawValue>| link.is_some_and(|l| l.get() != "null");
    let path = if present(links.sessions) {
        "sessions@odata.nextLink"
    } else if present(links.participants) {
        "participants_v2@odata.nextLink"
    } else {
        return None;
    };
    Some(Problem::incomplete(path, "the record has more pages: follow every nextLink and send the whole record"))
}

/// A batch naming one call twice (in any versions) is refused: which of the two should win
/// would depend on timing, so the sender must say.
fn repeated_ids(calls: &[ValidCall]) -> Vec<Problem> {
    let mut first_seen: HashMap<&str, Option<usize>> = HashMap::new();
    let mut problems = Vec::new();
    for call in calls {
        match first_seen.entry(&call.record().id) {
            Entry::Vacant(slot) => {
                slot.insert(call.batch_index());
            }
            Entry::Occupied(first) => problems.push(Problem {
                index: call.batch_index(),
                ..Problem::invalid(
                    "id",
                    format!(
                        "repeats the id of value[{}]; send one version of a call per batch",
                        first.get().unwrap_or(0)
                    ),
                )
            }),
        }
    }
    problems
}

/// Deepest nesting of arrays and objects accepted anywhere in a body, unknown fields included.
/// A Graph batch nests about a dozen levels; serde_json would stop at 128 in what it reads but
/// skips ignored fields at any depth, so the limit is enforced here, once, for the whole body.
pub const MAX_DEPTH: usize = 64;

/// Refuses a body nested deeper than [`MAX_DEPTH`], naming the line and column where it does.
/// Strings are skipped with `memchr` (to the next quote or backslash), so the scan costs a few
/// microseconds for a typical record rather than a branch per byte.
pub(crate) fn check_depth(text: &str) -> Result<(), Problem> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => loop {
                i += 1;
                match memchr::memchr2(b'"', b'\\', bytes.get(i..).unwrap_or_default()) {
                    // Unterminated: serde_json reports it with its position.
                    None => return Ok(()),
                    Some(at) if bytes[i + at] == b'"' => {
                        i += at;
                        break;
                    }
                    // A backslash: the loop's `i += 1` steps over the escaped byte.
                    Some(at) => i += at + 1,
                }
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let before = &text[..i];
                    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
                    let mut problem = Problem::invalid(WHOLE, format!("nested deeper than {MAX_DEPTH} levels"));
                    problem.line = Some(before.matches('\n').count() + 1);
                    problem.column = Some(i - line_start + 1);
                    return Err(problem);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The first byte that is not UTF-8, by line and column (columns count bytes here).
pub(crate) fn not_utf8(body: &[u8], error: &std::str::Utf8Error) -> Problem {
    let before = &body[..error.valid_up_to()];
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut problem = Problem::invalid(WHOLE, format!("the body is not UTF-8: {error}"));
    problem.line = Some(before.iter().filter(|b| **b == b'\n').count() + 1);
    problem.column = Some(before.len() - line_start + 1);
    problem
}

pub(crate) fn reject(problem: Problem) -> Rejection {
    Rejection { problems: vec![problem] }
}

/// Re-reads a record (of type `T`: a call record, a phone-call row) that failed to deserialize,
/// this time tracking the path to the failure. (The fast path does not pay for path tracking on
/// the records that are fine.)
pub(crate) fn type_problem<T: serde::de::DeserializeOwned>(body: &str, record: &str) -> Problem {
    let mut de = serde_json::Deserializer::from_str(record);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => Problem::invalid(WHOLE, "the record could not be read"),
        Err(e) => {
            let mut problem = syntax_problem(body, record, e.inner());
            let path = e.path().to_string();
            let at = if path == "." { String::new() } else { path };
            // serde names a missing field in its message and stops the path at its parent.
            problem.path = match missing_field(&problem.message) {
                Some(field) if at.is_empty() => field.to_owned(),
                Some(field) => format!("{at}.{field}"),
                None if at.is_empty() => WHOLE.to_owned(),
                None => at,
            };
            problem
        }
    }
}

/// The field a "missing field `x`" message names.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// A problem at the text position of a serde_json error inside `slice`, a part of `body`,
/// with line and column counted in the whole body.
pub(crate) fn syntax_problem(body: &str, slice: &str, error: &serde_json::Error) -> Problem {
    let full = error.to_string();
    let message = full.rsplit_once(" at line ").map_or(full.as_str(), |(m, _)| m).to_owned();
    let mut problem = Problem::invalid(WHOLE, message).quoting(json_value_free(error));
    if error.line() > 0 {
        let offset = slice.as_ptr() as usize - body.as_ptr() as usize;
        let before = &body[..offset];
        let start_line = before.matches('\n').count() + 1;
        let start_column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        problem.line = Some(start_line + error.line() - 1);
        problem.column = Some(if error.line() == 1 { start_column + error.column() - 1 } else { error.column() });
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{{\"id\": \"[{{\\\"\", \"x\": {}{}}}", "[".repeat(depth - 1), "]".repeat(depth - 1))
    }

    #[test]
    fn nesting_is_counted_outside_strings_up_to_the_limit() {
        assert_eq!(check_depth(&nested(MAX_DEPTH)), Ok(()));
        let problem = check_depth(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!((problem.line, problem.column), (Some(1), Some(21 + MAX_DEPTH - 1)));
        assert_eq!(check_depth("\"\\\\\" ["), Ok(()), "an escaped backslash closes nothing early");
        assert_eq!(
            check_depth(&format!("\"\\\"{}\"", "[".repeat(100))),
            Ok(()),
            "brackets in a string with an escaped quote"
        );
        assert_eq!(check_depth("\"unterminated \\"), Ok(()), "left to serde_json to report");
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_located() {
        let body = b"{\n  \"id\": \"a\xffb\"}";
        let problem = parse_calls(body, time::OffsetDateTime::UNIX_EPOCH).unwrap_err().problems.remove(0);
        assert_eq!((problem.line, problem.column), (Some(2), Some(11)));
    }
}
