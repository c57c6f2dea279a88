//! Graph's per-record throttling limits, and the pacing that keeps a fetch under them.
//!
//! Graph limits one call record to 10 requests per 20 seconds for its first page and 50
//! requests per 5 minutes for later pages (`docs/decisions.md`, the town-hall fetch). A fetch
//! keeps a log of when each of its requests was answered, and sends the next one only once the
//! request `limit` places before it has left the window (lengthened by [`HEADROOM`]). Times are
//! when the answer arrived, which is never earlier than when Graph counted the request, so the
//! pacing holds whatever the network's delays; and the log travels with a resumed fetch, so
//! it holds across invocations too.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// How much longer than Graph's documented window the fetch waits: the documented limits are
/// ceilings, not promises (`docs/reference`: throttling seen below them in large tenants).
pub const HEADROOM_PERCENT: i64 = 10;

/// At most `requests` in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed in a window.
    pub requests: u32,
    /// The sliding window.
    pub window: Duration,
}

/// The two kinds of request Graph counts per call record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `GET /communications/callRecords/{id}` (with either `$expand`).
    First,
    /// A request to an `@odata.nextLink` of the record's sessions or participants.
    Later,
}

/// Graph's limits for one call record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerRecordLimits {
    /// For the record's first page.
    pub first: Limit,
    /// For every later page.
    pub later: Limit,
}

impl PerRecordLimits {
    /// The documented limits: 10 requests per 20 s for the first page, 50 per 5 minutes for
    /// later pages.
    pub const GRAPH: Self = Self {
        first: Limit { requests: 10, window: Duration::seconds(20) },
        later: Limit { requests: 50, window: Duration::minutes(5) },
    };

    /// The same limits with every window multiplied by `factor` (a stand-in Graph whose time
    /// runs faster, in tests).
    pub fn scaled(self, factor: f64) -> Self {
        let scale = |limit: Limit| Limit { window: limit.window * factor, ..limit };
        Self { first: scale(self.first), later: scale(self.later) }
    }

    /// The limit for `kind`.
    pub fn of(&self, kind: RequestKind) -> Limit {
        match kind {
            RequestKind::First => self.first,
            RequestKind::Later => self.later,
        }
    }
}

/// When a record's recent requests were answered (Unix milliseconds), at most one limit's worth
/// of each kind: all that decides when the next may go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pacer {
    #[serde(default)]
    first: Vec<i64>,
    #[serde(default)]
    later: Vec<i64>,
}

impl Pacer {
    fn log(&self, kind: RequestKind) -> &Vec<i64> {
        match kind {
            RequestKind::First => &self.first,
            RequestKind::Later => &self.later,
        }
    }

    /// The earliest instant a request of `kind` may be sent under `limits`; `None` if it may
    /// go at once.
    pub fn next_slot(&self, kind: RequestKind, limits: &PerRecordLimits) -> Option<OffsetDateTime> {
        let limit = limits.of(kind);
        let log = self.log(kind);
        let requests = usize::try_from(limit.requests).unwrap_or(usize::MAX).max(1);
        if log.len() < requests {
            return None;
        }
        let oldest = log[log.len() - requests];
        let padded = limit.window + limit.window * (HEADROOM_PERCENT as f64 / 100.0);
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(oldest) * 1_000_000).ok()?;
        Some(at + padded)
    }

    /// Notes that a request of `kind` was answered at `at`.
    pub fn record(&mut self, kind: RequestKind, at: OffsetDateTime, limits: &PerRecordLimits) {
        let keep = usize::try_from(limits.of(kind).requests).unwrap_or(usize::MAX).max(1);
        let log = match kind {
            RequestKind::First => &mut self.first,
            RequestKind::Later => &mut self.later,
        };
        log.push((at.unix_timestamp_nanos() / 1_000_000) as i64);
        if log.len() > keep {
            log.drain(..log.len() - keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_burst_up_to_the_limit_goes_at_once_then_the_window_is_waited_out_with_headroom() {
        let limits = PerRecordLimits::GRAPH;
        let start = datetime!(2026-11-24 12:00 UTC);
        let mut pacer = Pacer::default();
        for n in 0..50 {
            assert_eq!(pacer.next_slot(RequestKind::Later, &limits), None, "request {n}");
            pacer.record(RequestKind::Later, start + Duration::seconds(n), &limits);
        }
        // The 51st waits until the first has been out of the window (5 min + 10 %) for good.
        assert_eq!(pacer.next_slot(RequestKind::Later, &limits), Some(start + Duration::seconds(330)));
        assert_eq!(pacer.next_slot(RequestKind::First, &limits), None, "the kinds are counted apart");
        pacer.record(RequestKind::Later, start + Duration::seconds(331), &limits);
        assert_eq!(pacer.next_slot(RequestKind::Later, &limits), Some(start + Duration::seconds(331)));
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        let limits = PerRecordLimits::GRAPH.scaled(0.01);
        let mut pacer = Pacer::default();
        let mut now = datetime!(2026-11-24 12:00 UTC);
        let mut sent = Vec::new();
        for _ in 0..500 {
            if let Some(slot) = pacer.next_slot(RequestKind::First, &limits) {
                now = now.max(slot);
            }
            sent.push(now);
            now += Duration::milliseconds(7);
            pacer.record(RequestKind::First, now, &limits);
        }
        for (n, at) in sent.iter().enumerate() {
            let within = sent[n..].iter().take_while(|later| **later - *at < limits.first.window).count();
            assert!(within <= 10, "{within} requests within one window from request {n}");
        }
    }

    #[test]
    fn scaled_limits_keep_their_counts() {
        let fast = PerRecordLimits::GRAPH.scaled(0.01);
        assert_eq!(fast.later, Limit { requests: 50, window: Duration::seconds(3) });
        assert_eq!(fast.first.window, Duration::milliseconds(200));
    }
}
