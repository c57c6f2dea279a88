//! The call records as Graph serves them: one record with `$expand` and its first page of
//! sessions or participants, the following pages by `$skiptoken`, and the `$filter` listing of
//! a `startDateTime` window; a record older than 30 days is `404`, as in Graph. A record's
//! requests are held to its per-record limits (`limits`) first.
//!
//! Read-only: records arrive through `notifications` (publishing) and are never changed here.

use super::{StandIn, error, parse_instant, reply};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use callscope_core::domain::connector::RequestKind;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use time::Duration;

/// A request's query parameters (`$expand`, `$skiptoken`, `$filter`), decoded.
type Parameters = Query<HashMap<String, String>>;

/// The parts of a record Graph pages.
const PARTS: [&str; 2] = ["sessions", "participants_v2"];

impl StandIn {
    /// The record as Graph keeps it: `None` once it is older than 30 days.
    fn stored(&self, id: &str) -> Option<Arc<Value>> {
        let record = self.state().records.get(id).cloned()?;
        let ended = record["endDateTime"].as_str().and_then(parse_instant)?;
        (ended > self.clock.now() - Duration::days(30)).then_some(record)
    }

    fn page_size(&self, part: &str) -> usize {
        let behaviour = self.behaviour();
        if part == "sessions" { behaviour.session_page } else { behaviour.participant_page }
    }

    /// Puts the first page of `all` into `object` as `part`, with a next link if there is more.
    fn first_page(&self, object: &mut Map<String, Value>, id: &str, part: &str, all: &[Value]) {
        let size = self.page_size(part);
        object.insert(part.to_owned(), Value::Array(all.iter().take(size).cloned().collect()));
        if all.len() > size {
            object.insert(format!("{part}@odata.nextLink"), json!(self.part_link(id, part, size)));
        }
    }

    fn part_link(&self, id: &str, part: &str, skip: usize) -> String {
        let expand = if part == "sessions" { "$expand=segments&" } else { "" };
        let id = utf8_percent_encode(id, NON_ALPHANUMERIC);
        format!("{}/communications/callRecords/{id}/{part}?{expand}$skiptoken={skip}", self.api_url())
    }
}

fn skip(query: &HashMap<String, String>) -> usize {
    query.get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `GET /communications/callRecords/{id}`, with `$expand` of sessions or participants (or a
/// call-log function's page: `phone`).
pub(super) async fn record(
    State(stand_in): State<Arc<StandIn>>,
    Path(id): Path<String>,
    Query(query): Parameters,
) -> Response {
    // `getPstnCalls(…)` and `getDirectRoutingCalls(…)` sit where a record's id does.
    if let Some(answer) = super::phone::answer(&stand_in, &id, &query) {
        return answer;
    }
    let Some(stored) = stand_in.stored(&id) else { return error(StatusCode::NOT_FOUND, "NotFound") };
    if let Some(refused) = stand_in.over_record_limit(&id, RequestKind::First) {
        return refused;
    }
    let expand = query.get("$expand").cloned().unwrap_or_default();
    let mut object: Map<String, Value> = stored
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !PARTS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    object.insert(
        "@odata.context".into(),
        json!(format!("{}/$metadata#communications/callRecords/$entity", stand_in.api_url())),
    );
    for part in PARTS {
        if expand.starts_with(part) {
            stand_in.first_page(&mut object, &id, part, items(&stored, part));
        }
    }
    reply(StatusCode::OK, Value::Object(object))
}

/// The items of a record's collection `part` (none if it has none).
fn items<'a>(record: &'a Value, part: &str) -> &'a [Value] {
    record[part].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `GET /communications/callRecords/{id}/{sessions|participants_v2}?$skiptoken=N`.
pub(super) async fn page(
    State(stand_in): State<Arc<StandIn>>,
    Path((id, part)): Path<(String, String)>,
    Query(query): Parameters,
) -> Response {
    if !PARTS.contains(&part.as_str()) {
        return error(StatusCode::NOT_FOUND, "NotFound");
    }
    let Some(record) = stand_in.stored(&id) else { return error(StatusCode::NOT_FOUND, "NotFound") };
    if let Some(refused) = stand_in.over_record_limit(&id, RequestKind::Later) {
        return refused;
    }
    let all = items(&record, &part);
    let (skip, size) = (skip(&query), stand_in.page_size(&part));
    let mut page = json!({ "value": all.iter().skip(skip).take(size).cloned().collect::<Vec<_>>() });
    if all.len() > skip + size {
        page["@odata.nextLink"] = json!(stand_in.part_link(&id, &part, skip + size));
    }
    reply(StatusCode::OK, page)
}

/// `GET /communications/callRecords?$filter=startDateTime ge X and startDateTime lt Y`, paged
/// with `$skiptoken`; records older than 30 days are left out.
pub(super) async fn list(State(stand_in): State<Arc<StandIn>>, Query(query): Parameters) -> Response {
    let filter = query.get("$filter").cloned().unwrap_or_default();
    let bound = |op: &str| {
        let start = filter.find(&format!("startDateTime {op} "))? + "startDateTime ".len() + op.len() + 1;
        parse_instant(filter[start..].split_whitespace().next()?)
    };
    let (Some(from), Some(to)) = (bound("ge"), bound("lt")) else {
        return error(StatusCode::BAD_REQUEST, "BadRequest");
    };
    let oldest = stand_in.clock.now() - Duration::days(30);
    // Each listed record as `$select=id,version` asks: the list carries no sessions.
    let listed: Vec<Value> = stand_in
        .state()
        .records
        .values()
        .filter(|r| {
            let at = |k: &str| r[k].as_str().and_then(parse_instant);
            at("startDateTime").is_some_and(|s| s >= from && s < to) && at("endDateTime").is_some_and(|e| e > oldest)
        })
        .map(|r| json!({ "id": r["id"], "version": r["version"] }))
        .collect();
    let (skip, size) = (skip(&query), stand_in.behaviour().list_page);
    let value: Vec<Value> = listed.iter().skip(skip).take(size).cloned().collect();
    let mut page = json!({ "value": value });
    if listed.len() > skip + size {
        let filter = utf8_percent_encode(&filter, NON_ALPHANUMERIC);
        page["@odata.nextLink"] = json!(format!(
            "{}/communications/callRecords?$filter={filter}&$skiptoken={}",
            stand_in.api_url(),
            skip + size
        ));
    }
    reply(StatusCode::OK, page)
}
