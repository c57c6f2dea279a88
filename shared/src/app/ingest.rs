//! Accepting call records: the whole batch is parsed, validated and turned into items before
//! the first write, so a bad record anywhere means nothing is written.

use super::AppError;
use crate::domain::access::{Principal, Role};
use crate::domain::graph::parties::named_ids;
use crate::domain::graph::{ValidCall, parse_calls};
use crate::domain::problem::{Problem, Rejection};
use crate::store::{DynamoStore, Erasures, PreparedCall, StoreError, UpsertStatus, covers};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// How many records of one batch are stored concurrently.
const RECORD_CONCURRENCY: usize = 8;

/// What happened to one accepted record: an element of `POST /calls`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub id: String,
    pub version: i64,
    pub status: RecordStatus,
}

/// What storing a record did, as the API says it (`docs/api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordStatus {
    /// No version of this call was stored.
    Created,
    /// A lower version was replaced.
    Updated,
    /// This very version was already stored.
    Unchanged,
    /// A higher version is stored; nothing was written.
    Stale,
}

impl From<UpsertStatus> for RecordStatus {
    fn from(status: UpsertStatus) -> Self {
        match status {
            UpsertStatus::Created => Self::Created,
            UpsertStatus::Updated => Self::Updated,
            UpsertStatus::Unchanged => Self::Unchanged,
            UpsertStatus::Stale => Self::Stale,
        }
    }
}

/// Parses, validates and prepares every record of `body`; the pure half of ingest.
pub fn prepare_calls(body: &[u8], now: OffsetDateTime, home_tenant: &str) -> Result<Vec<PreparedCall>, Rejection> {
    prepare(parse_calls(body, now)?, now, home_tenant)
}

/// Prepares every call, collecting every problem: nothing is written unless all can be.
fn prepare(calls: Vec<ValidCall>, now: OffsetDateTime, home_tenant: &str) -> Result<Vec<PreparedCall>, Rejection> {
    let mut problems = Vec::new();
    let mut prepared = Vec::with_capacity(calls.len());
    for call in &calls {
        match PreparedCall::new(call, now, home_tenant) {
            Ok(p) => prepared.push(p),
            Err(problem) => problems.push(Problem { index: call.batch_index(), ..problem }),
        }
    }
    if problems.is_empty() { Ok(prepared) } else { Err(Rejection { problems }) }
}

/// `POST /calls`: the ingest identity (or an admin) stores every record of `body`.
pub async fn ingest_posted_calls(
    store: &DynamoStore,
    principal: &Principal,
    body: &[u8],
    now: OffsetDateTime,
    home_tenant: &str,
) -> Result<Vec<Accepted>, AppError> {
    principal.require_any(&[Role::Ingest, Role::Admin])?;
    ingest_calls(store, body, now, home_tenant).await
}

/// Stores every record of `body` (one record or a `{"value": [...]}` batch), in input order.
/// Anyone (of any kind) whose latest erasure is at or after a call's start is stored already
/// replaced by the placeholder; afterwards, the markers are read again, and every call that one
/// of them covers is repaired: an erasure that landed while the batch was written, and a call
/// stored earlier by a write whose own after-check failed, both lose the person here.
pub(crate) async fn ingest_calls(
    store: &DynamoStore,
    body: &[u8],
    now: OffsetDateTime,
    home_tenant: &str,
) -> Result<Vec<Accepted>, AppError> {
    let calls = parse_calls(body, now)?;
    let named: Vec<Named> = calls.iter().map(Named::of).collect();
    let everyone: BTreeSet<&str> = named.iter().flat_map(|n| n.parties.iter().map(String::as_str)).collect();
    let erased = store.erasures_among(everyone.iter().copied()).await?;
    let calls = calls.into_iter().zip(&named).map(|(call, named)| call.without(&named.covered_by(&erased)));
    let prepared = prepare(calls.collect(), now, home_tenant)?;
    let stores: Vec<_> = prepared.iter().map(|call| store_one(store, call)).collect();
    let accepted: Vec<Accepted> = futures::stream::iter(stores).buffered(RECORD_CONCURRENCY).try_collect().await?;
    let after = store.erasures_among(everyone.iter().copied()).await?;
    for ((named, accepted), call) in named.iter().zip(&accepted).zip(&prepared) {
        let replaced = named.covered_by(&erased);
        for id in named.covered_by(&after) {
            // A new call stored without someone erased before it read needs nothing more.
            if accepted.status == RecordStatus::Created && replaced.contains(&id) && erased.get(&id) == after.get(&id) {
                continue;
            }
            tracing::debug!(call_id = %named.call_id, "repairing a call that names an erased person");
            store.repair_call(&named.call_id, &id, after[&id], home_tenant).await?;
            store.forget_written_directory(call, &id).await?;
        }
    }
    Ok(accepted)
}

/// Every id a record names anyone by, before anyone is taken out of it.
struct Named {
    call_id: String,
    start: OffsetDateTime,
    parties: BTreeSet<String>,
}

impl Named {
    fn of(call: &ValidCall) -> Self {
        let record = call.record();
        Self { call_id: record.id.clone(), start: record.start_date_time, parties: named_ids(record) }
    }

    /// The parties whose erasure in `erased` covers this call.
    fn covered_by(&self, erased: &Erasures) -> BTreeSet<String> {
        self.parties.iter().filter(|id| erased.get(*id).is_some_and(|at| covers(*at, self.start))).cloned().collect()
    }
}

async fn store_one(store: &DynamoStore, call: &PreparedCall) -> Result<Accepted, StoreError> {
    let status = store.upsert(call).await?;
    tracing::debug!(call_id = %call.writes.call_id, version = call.writes.version, ?status, "stored call record");
    Ok(Accepted { id: call.writes.call_id.clone(), version: call.writes.version, status: status.into() })
}
