//! The one clock: TTLs, the 30-day window and "in the future" checks all read it, and tests
//! set it.

use std::sync::Arc;
use time::OffsetDateTime;

/// `at` as RFC 3339 (`2026-11-25T12:00:00Z`): how the product writes an instant, in items,
/// answers, CSV and Graph requests alike. Any `OffsetDateTime` formats; an impossible failure
/// gives an empty string rather than a panic.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Where "now" comes from.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    /// A clock stopped at `at`, for tests.
    pub fn fixed(at: OffsetDateTime) -> Self {
        Self(Arc::new(move || at))
    }

    /// A clock that reads `now` (tests that move time forward).
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}
