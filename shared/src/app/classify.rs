//! Classifying a call: what the classify function does with one change on the table's stream.
//! The store decides whether the change is a call version to rate; this rates it with the
//! domain's rules and publishes the result. Idempotent and safe to run more than once. The same
//! stream carries the hand-over of an erasure too long for its request (its next round runs
//! here) and the changes of the audit trail (judged for tampering).

use crate::domain::classify::{Rating, Thresholds, classify_sessions};
use crate::domain::graph::parties::session_ids;
use crate::store::stream::{Change, Decision, decide};
use crate::store::{DynamoStore, ErasureRun, Erasures, PreparedClassification, Published, StoreError, covers};
use crate::support::deadline::Deadline;
use time::OffsetDateTime;

/// What rating a call version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rated {
    /// The version is rated and its results published.
    Rated(Rating),
    /// A newer version is stored; its own change rates it.
    Superseded,
    /// The call is gone (expired or never stored).
    Gone,
}

/// What one change on the stream came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not a call version to rate.
    Skipped(crate::store::stream::Skip),
    /// Call `call_id` at `version` was rated (or found superseded or gone).
    Rated { call_id: String, version: i64, rated: Rated },
    /// A round of a handed-over erasure ran; `complete` once nothing is left.
    Erased { complete: bool },
    /// The audit trail was changed as the product never changes it (the handler raises the alarm).
    Tampered(crate::store::tamper::Tampering),
}

/// Rates what `change` asks to be rated, if anything; a round of an erasure hands the rest over
/// at `deadline`.
pub async fn rate_change(
    store: &DynamoStore,
    change: &Change,
    thresholds: &Thresholds,
    now: OffsetDateTime,
    home_tenant: &str,
    deadline: Deadline,
) -> Result<Outcome, StoreError> {
    match decide(change)? {
        Decision::Skip(reason) => Ok(Outcome::Skipped(reason)),
        Decision::Tampered(tampering) => Ok(Outcome::Tampered(tampering)),
        Decision::Rate { call_id, version } => {
            let rated = rate_call(store, &call_id, version, thresholds, now, home_tenant).await?;
            Ok(Outcome::Rated { call_id, version, rated })
        }
        Decision::ContinueErasure { user_id } => {
            let erased = store.erase_user(&user_id, home_tenant, now, deadline, ErasureRun::Round).await?;
            Ok(Outcome::Erased { complete: erased.is_none_or(|e| e.complete) })
        }
    }
}

/// Rates call `call_id` at `version` and publishes the result. Idempotent.
pub async fn rate_call(
    store: &DynamoStore,
    call_id: &str,
    version: i64,
    thresholds: &Thresholds,
    now: OffsetDateTime,
    home_tenant: &str,
) -> Result<Rated, StoreError> {
    let Some(mut stored) = store.call(call_id, now).await? else {
        return Ok(Rated::Gone);
    };
    if stored.summary.version != version {
        return Ok(Rated::Superseded);
    }
    // Nobody whose latest erasure is at or after the call's start is published again, even if
    // the erasure has not reached this call yet; afterwards, the markers are read again and the
    // stored call is repaired for anyone they cover (also a call an earlier write left naming
    // them, when its own after-check failed).
    let mut parties = session_ids(&stored.sessions);
    parties.extend(stored.summary.parties.iter().map(|p| p.id.clone()));
    let start = stored.summary.start_date_time;
    let covered = |erased: &Erasures| -> Vec<String> {
        parties.iter().filter(|id| erased.get(*id).is_some_and(|at| covers(*at, start))).cloned().collect()
    };
    let erased = store.erasures_among(parties.iter().map(String::as_str)).await?;
    for id in covered(&erased) {
        stored.erase_party(&id);
    }
    let result = classify_sessions(&stored.sessions, thresholds);
    let rating = result.rating;
    let prepared = PreparedClassification::new(&stored.summary, result, home_tenant)?;
    let published = store.publish(&prepared).await?;
    let after = store.erasures_among(parties.iter().map(String::as_str)).await?;
    for id in covered(&after) {
        tracing::debug!(call_id, "repairing a call that names an erased person");
        store.repair_call(call_id, &id, after[&id], home_tenant).await?;
    }
    Ok(match published {
        Published::Published => Rated::Rated(rating),
        Published::Superseded => Rated::Superseded,
    })
}
