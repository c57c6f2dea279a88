//! Accepting phone-call rows (`POST /pstn-calls`, and every page the Graph worker reads of
//! `getPstnCalls` / `getDirectRoutingCalls`): the whole body is parsed, checked and turned into
//! items before the first write, so a bad row anywhere means nothing is written.

use super::AppError;
use crate::domain::access::{Principal, Role};
use crate::domain::calls::LineType;
use crate::domain::phone::{PhoneCall, parse_phone_rows};
use crate::domain::problem::{Problem, Rejection};
use crate::store::{DynamoStore, Erasures, PhoneStatus, PreparedPhone, covers};
use serde::Serialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// What happened to one row: an element of `POST /pstn-calls`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptedRow {
    pub id: String,
    /// `pstn` or `directRouting`.
    pub kind: LineType,
    pub status: RowStatus,
}

/// What storing a row did, as the API says it (`docs/api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RowStatus {
    /// The row was not stored.
    Created,
    /// The row was stored with other content; it is replaced.
    Updated,
    /// The row was stored as it is; nothing was written.
    Unchanged,
    /// The row names no user: it is in nobody's history, so it is not stored.
    NoUser,
    /// The row's user was erased at or after the call started: it is not stored.
    Erased,
}

impl From<PhoneStatus> for RowStatus {
    fn from(status: PhoneStatus) -> Self {
        match status {
            PhoneStatus::Created => Self::Created,
            PhoneStatus::Updated => Self::Updated,
            PhoneStatus::Unchanged => Self::Unchanged,
        }
    }
}

/// `POST /pstn-calls`: the ingest identity (or an admin) stores every row of `body`.
pub async fn ingest_posted_phone_rows(
    store: &DynamoStore,
    principal: &Principal,
    body: &[u8],
    now: OffsetDateTime,
    home_tenant: &str,
) -> Result<Vec<AcceptedRow>, AppError> {
    principal.require_any(&[Role::Ingest, Role::Admin])?;
    ingest_phone_rows(store, body, now, home_tenant).await
}

/// Stores every row of `body` (Graph's answer to either function, as it is), in input order,
/// each in its user's history; rows of users of `home_tenant`. The erasure markers of every
/// user and number named are read first: a row whose user was erased at or after its start is
/// not stored, a number so erased is left out of the row. After the writes they are read again,
/// and every row stored that one of them covers is repaired (as a call is).
pub async fn ingest_phone_rows(
    store: &DynamoStore,
    body: &[u8],
    now: OffsetDateTime,
    home_tenant: &str,
) -> Result<Vec<AcceptedRow>, AppError> {
    let calls = parse_phone_rows(body, now)?;
    let named: Vec<BTreeSet<String>> = calls.iter().map(|call| named_ids(call, home_tenant)).collect();
    let everyone: BTreeSet<&str> = named.iter().flatten().map(String::as_str).collect();
    let erased = store.erasures_among(everyone.iter().copied()).await?;
    let mut answer = Vec::with_capacity(calls.len());
    let mut prepared = Vec::new();
    let mut problems = Vec::new();
    for (index, call) in calls.into_iter().enumerate() {
        let (id, kind) = (call.id().to_owned(), call.line_type());
        let status = match call.user(home_tenant) {
            None => Some(RowStatus::NoUser),
            Some(user) if covered(&erased, &user.id, call.start()) => Some(RowStatus::Erased),
            Some(user) => {
                let start = call.start();
                let (caller, callee) = call.numbers();
                let numbers: Vec<String> = [caller, callee].into_iter().flatten().map(str::to_owned).collect();
                let call = numbers
                    .iter()
                    .filter(|n| covered(&erased, n, start))
                    .fold(call, |call, number| call.without_number(number).unwrap_or(call));
                match PreparedPhone::new(call, &user, now) {
                    Ok(row) => prepared.push((index, row)),
                    Err(problem) => problems.push(Problem { index: Some(index), ..problem }),
                }
                None
            }
        };
        // A stored row's status is what storing it comes to (below).
        answer.push(AcceptedRow { id, kind, status: status.unwrap_or(RowStatus::Created) });
    }
    let ids: Vec<&str> = prepared.iter().map(|(_, row)| row.row.phone.id()).collect();
    let taken = store.teams_calls_among(&ids).await?;
    for (index, _) in prepared.iter().filter(|(_, row)| taken.contains(row.row.phone.id())) {
        let message = "is the id of a stored Teams call record: a phone row cannot take it";
        problems.push(Problem { index: Some(*index), ..Problem::unacceptable("id", message) });
    }
    if !problems.is_empty() {
        return Err(Rejection { problems }.into());
    }
    let rows: Vec<PreparedPhone> = prepared.iter().map(|(_, row)| row.clone()).collect();
    let statuses = store.store_phone_rows(&rows).await?;
    let after = store.erasures_among(everyone.iter().copied()).await?;
    for ((index, row), status) in prepared.iter().zip(&statuses) {
        let (call_id, start) = (row.row.phone.id(), row.row.phone.start());
        answer[*index].status = (*status).into();
        for id in named[*index].iter().filter(|id| covered(&after, id, start)) {
            // A new row stored without a number erased before it was read needs nothing more.
            if *status == PhoneStatus::Created && covered(&erased, id, start) && erased.get(id) == after.get(id) {
                continue;
            }
            tracing::debug!(call_id, "repairing a phone-call row that names an erased party");
            store.repair_call(call_id, id, after[id], home_tenant).await?;
        }
    }
    Ok(answer)
}

/// Whether the latest erasure of `id` in `erased` covers a call that started at `start`.
fn covered(erased: &Erasures, id: &str, start: OffsetDateTime) -> bool {
    erased.get(id).is_some_and(|at| covers(*at, start))
}

/// Every id a row names anyone by: its user and its numbers.
fn named_ids(call: &PhoneCall, home_tenant: &str) -> BTreeSet<String> {
    let (caller, callee) = call.numbers();
    let numbers = [caller, callee].into_iter().flatten().map(str::to_owned);
    call.user(home_tenant).map(|user| user.id).into_iter().chain(numbers).collect()
}
