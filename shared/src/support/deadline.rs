//! When an invocation must be done: the Graph worker stops taking messages, and an erasure
//! hands the rest over, before Lambda's own deadline.

use time::OffsetDateTime;

/// When an invocation must be done, by the system clock (Lambda's context gives it in
/// milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(pub OffsetDateTime);

impl Deadline {
    /// The deadline Lambda's context names (milliseconds since the epoch). One already past
    /// when the invocation starts is no deadline Lambda would give (`cargo lambda watch` sends
    /// a constant 600,000, in 1970): it is read as `timeout` (the function's) from now.
    pub fn from_lambda(millis: u64, timeout: std::time::Duration) -> Self {
        let nanos = i128::from(millis) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(at) if at > OffsetDateTime::now_utc() => Self(at),
            _ => Self::after(timeout),
        }
    }

    /// `left` from now (tests, benchmarks, a local invocation); past any clock, no deadline.
    pub fn after(left: std::time::Duration) -> Self {
        OffsetDateTime::now_utc()
            .checked_add(left.try_into().unwrap_or(time::Duration::MAX))
            .map_or(Self::never(), Self)
    }

    /// Whether no more than `margin` is left: too late to take new work.
    pub fn is_within(&self, margin: std::time::Duration) -> bool {
        OffsetDateTime::now_utc() + margin >= self.0
    }

    /// Whether it has come: what was not done by now is handed over.
    pub fn passed(&self) -> bool {
        self.is_within(std::time::Duration::ZERO)
    }

    /// `margin` earlier: what must be left for the invocation to save and answer.
    pub fn less(self, margin: std::time::Duration) -> Self {
        Self(self.0 - margin)
    }

    /// No deadline: work that must finish in one go (the repair of one call by a writer).
    pub const fn never() -> Self {
        Self(time::PrimitiveDateTime::MAX.assume_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_past_any_clock_is_no_deadline() {
        assert_eq!(Deadline::after(std::time::Duration::from_secs(u64::MAX)), Deadline::never());
        assert!(!Deadline::never().less(std::time::Duration::from_secs(10)).passed());
    }
}
