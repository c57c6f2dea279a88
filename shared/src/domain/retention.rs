//! The 30-day history window: how long anything is kept and what counts as too old or too new.

use time::{Duration, OffsetDateTime};

/// How far back a user's history reaches, and how long every stored item lives.
pub const HISTORY: Duration = Duration::days(30);

/// How long audit entries are kept: long enough to answer "who looked at my calls" for a year.
pub const AUDIT: Duration = Duration::days(365);

/// How far in the future a call may start before we call it a producer's clock error.
pub const FUTURE_TOLERANCE: Duration = Duration::days(1);

/// How long an active tenant data set (building or endpoint file) is kept: it must outlive
/// any realistic time between uploads. Once replaced it gets [`HISTORY`] from then.
pub const ACTIVE_DATASET: Duration = Duration::days(3650);

/// The calls a user's history lists at `now`: those that started in the last [`HISTORY`], or
/// up to [`FUTURE_TOLERANCE`] ahead (both ends inclusive).
pub fn history_window(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    (now - HISTORY, now + FUTURE_TOLERANCE)
}

/// When everything about a call that ended at `end` expires: its items, its participants'
/// history and directory entries, the subnet use it reported.
pub fn call_expires_at(end: OffsetDateTime) -> OffsetDateTime {
    end + HISTORY
}

/// The longest call a record may describe: Teams ends a meeting after 30 hours, so a week is
/// a broken sender. Bounded, so that an erasure's marker outlives every record of a call that
/// started before it ([`erasure_expires_at`]).
pub const LONGEST_CALL: Duration = Duration::days(7);

/// When the marker of an erasure asked for at `at` expires: once no record of a call that
/// started before it can still be accepted — one that ended at the latest [`LONGEST_CALL`]
/// after `at` (or a day ahead, by a producer's clock), and is kept [`HISTORY`] from then.
pub fn erasure_expires_at(at: OffsetDateTime) -> OffsetDateTime {
    at + LONGEST_CALL + FUTURE_TOLERANCE + HISTORY + ERASURE_MARGIN
}

/// Margin on an erasure marker's life.
pub const ERASURE_MARGIN: Duration = Duration::days(1);

/// When an audit entry written at `at` expires.
pub fn audit_expires_at(at: OffsetDateTime) -> OffsetDateTime {
    at + AUDIT
}

/// When a tenant data set expires: long after `now` while it is active, [`HISTORY`] after it
/// was replaced at `now`.
pub fn dataset_expires_at(active: bool, now: OffsetDateTime) -> OffsetDateTime {
    now + if active { ACTIVE_DATASET } else { HISTORY }
}

/// Whether an item with TTL `expires_at_epoch` (seconds) is past its life at `now`. DynamoDB
/// deletes expired items up to days late, so every read checks this itself.
pub fn is_expired(expires_at_epoch: i64, now: OffsetDateTime) -> bool {
    expires_at_epoch <= now.unix_timestamp()
}
