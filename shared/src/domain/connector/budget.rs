//! The Graph worker fleet's shared request budget: how many Graph requests the whole fleet may
//! send, counted in short fixed windows, live work first (`docs/decisions.md`, decision 71).
//!
//! Graph throttles one app in one tenant at 1,500 requests per 20 seconds ([`GRAPH_APP_LIMIT`]),
//! whichever worker sends them. Every worker takes a request from a counter kept per window (the
//! store's `take_graph_request`), which grants it only while the window's count is below its
//! lane's cap. Graph's window slides; ours are fixed, so any 20 seconds overlap one window more
//! than fit in them: [`FleetBudget::GRAPH`]'s caps are Graph's limit less headroom, divided by
//! that many windows, so no 20 seconds ever hold more than 90 % of the limit however the grants
//! fall. Backfill stops at a lower cap than live work, so a backfill never leaves a notified call
//! waiting.

use super::Lane;
use super::pacing::{HEADROOM_PERCENT, Limit};
use time::{Duration, OffsetDateTime};

/// Graph's documented limit for one app in one tenant, over all its requests: the fleet's, not
/// one record's ([`super::PerRecordLimits`]).
pub const GRAPH_APP_LIMIT: Limit = Limit { requests: 1_500, window: Duration::seconds(20) };

/// The window [`FleetBudget::GRAPH`] counts in: short, so that the extra window any 20 seconds
/// overlap costs little (a tenth), and a refused request waits at most two seconds.
const GRAPH_WINDOW: Duration = Duration::seconds(2);

/// The share of Graph's limit backfill may use (the rest is live work's alone).
const BACKFILL_PERCENT: u32 = 60;

/// A cap per [`GRAPH_WINDOW`] such that any [`GRAPH_APP_LIMIT`] window holds at most `percent`
/// of its requests: a sliding window of whole windows' length overlaps one more of them.
const fn per_window(percent: u32) -> u32 {
    let overlapped = (GRAPH_APP_LIMIT.window.whole_milliseconds() / GRAPH_WINDOW.whole_milliseconds()) as u32 + 1;
    GRAPH_APP_LIMIT.requests * percent / 100 / overlapped
}

/// How many Graph requests the whole fleet may send per window, by lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetBudget {
    /// The fixed window requests are counted in (windows start at multiples of it since the Unix
    /// epoch); positive.
    pub window: Duration,
    /// Live requests are granted while the window has counted fewer than this (of both lanes).
    pub live: u32,
    /// Backfill requests are granted while the window has counted fewer than this (of both
    /// lanes): at most `live`, so the rest of the window is live work's.
    pub backfill: u32,
}

impl FleetBudget {
    /// Graph's limit for the fleet: 2-second windows of 122 live or 81 backfill requests, so any
    /// 20 seconds (11 windows at most) hold at most 1,342 requests (90 % of 1,500, the headroom
    /// of the per-record pacing), of which at most 891 backfill's (60 %).
    pub const GRAPH: Self = Self {
        window: GRAPH_WINDOW,
        live: per_window(100 - HEADROOM_PERCENT as u32),
        backfill: per_window(BACKFILL_PERCENT),
    };

    /// The count below which a request of `lane` is granted.
    pub fn cap(&self, lane: Lane) -> u32 {
        match lane {
            Lane::Live => self.live,
            Lane::Backfill => self.backfill,
        }
    }

    /// When the window `now` falls in started: the window the request is counted in.
    pub fn window_start(&self, now: OffsetDateTime) -> OffsetDateTime {
        let window = self.window.whole_nanoseconds().max(1);
        let into = now.unix_timestamp_nanos().rem_euclid(window);
        now - Duration::nanoseconds(into as i64)
    }

    /// When the window after `now`'s starts: when a request refused at `now` may try again.
    pub fn next_window(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.window_start(now) + self.window
    }
}

/// The budget's answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Grant {
    /// Counted: the request may be sent now.
    Granted,
    /// The window is full for this lane: not counted; ask again at (not before) this instant.
    RetryAt(OffsetDateTime),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use time::macros::datetime;

    /// The store's counter, in memory: one count per window, a request granted (and counted)
    /// while the count is below its lane's cap, as the conditional update decides it.
    #[derive(Default)]
    struct Counter {
        counts: BTreeMap<OffsetDateTime, u32>,
    }

    impl Counter {
        fn take(&mut self, budget: &FleetBudget, lane: Lane, now: OffsetDateTime) -> Grant {
            let count = self.counts.entry(budget.window_start(now)).or_default();
            if *count < budget.cap(lane) {
                *count += 1;
                Grant::Granted
            } else {
                Grant::RetryAt(budget.next_window(now))
            }
        }
    }

    #[test]
    fn the_graph_budget_keeps_any_twenty_seconds_under_ninety_percent_of_the_limit() {
        let budget = FleetBudget::GRAPH;
        assert_eq!((budget.window, budget.live, budget.backfill), (Duration::seconds(2), 122, 81));
        // Any 20 s overlap at most 11 two-second windows.
        let overlapped = 20 / 2 + 1;
        assert!(budget.live * overlapped <= GRAPH_APP_LIMIT.requests * 90 / 100);
        assert!(budget.backfill * overlapped <= GRAPH_APP_LIMIT.requests * 60 / 100);
        assert!(budget.backfill < budget.live, "live work always has room of its own");
    }

    #[test]
    fn windows_start_at_multiples_of_the_window_and_a_refusal_retries_at_the_next() {
        let budget = FleetBudget::GRAPH;
        let start = datetime!(2026-12-04 12:00:00 UTC);
        assert_eq!(budget.window_start(start), start, "exactly at the edge: the window it opens");
        assert_eq!(budget.next_window(start), start + Duration::seconds(2));
        let last = start + Duration::seconds(2) - Duration::nanoseconds(1);
        assert_eq!(budget.window_start(last), start, "the last instant of a window is still in it");
        assert_eq!(budget.next_window(last), start + Duration::seconds(2));
        let odd = datetime!(2026-12-04 12:00:01.5 UTC);
        assert_eq!(budget.window_start(odd), start);
        let before_epoch = datetime!(1969-12-31 23:59:59 UTC);
        assert_eq!(budget.window_start(before_epoch), datetime!(1969-12-31 23:59:58 UTC));
        let elsewhere = datetime!(2026-12-04 13:00:01 +01:00);
        assert_eq!(budget.window_start(elsewhere), start, "the same instant, whatever the offset");
    }

    #[test]
    fn a_window_grants_up_to_the_cap_exactly_then_backfill_waits_before_live() {
        let budget = FleetBudget { window: Duration::seconds(20), live: 3, backfill: 2 };
        let start = datetime!(2026-12-04 12:00:00 UTC);
        let next = start + Duration::seconds(20);
        let mut counter = Counter::default();
        assert_eq!(counter.take(&budget, Lane::Backfill, start), Grant::Granted);
        assert_eq!(counter.take(&budget, Lane::Backfill, start), Grant::Granted);
        assert_eq!(counter.take(&budget, Lane::Backfill, start), Grant::RetryAt(next), "at the backfill cap");
        assert_eq!(counter.take(&budget, Lane::Live, start), Grant::Granted, "live has room of its own");
        assert_eq!(counter.take(&budget, Lane::Live, next - Duration::milliseconds(1)), Grant::RetryAt(next));
        assert_eq!(counter.take(&budget, Lane::Backfill, next), Grant::Granted, "a new window grants again");
    }

    fn lane() -> impl Strategy<Value = Lane> {
        prop_oneof![Just(Lane::Live), Just(Lane::Backfill)]
    }

    proptest! {
        /// However the requests of one window fall, it grants at most the live cap in all and at
        /// most the backfill cap to backfill, and refuses only once full for that lane.
        #[test]
        fn one_window_never_grants_more_than_its_caps(
            backfill in 0u32..6,
            reserved in 0u32..6,
            requests in prop::collection::vec((lane(), 0i64..20_000), 0..40),
        ) {
            let budget = FleetBudget { window: Duration::seconds(20), live: backfill + reserved, backfill };
            let start = datetime!(2026-12-04 12:00:00 UTC);
            let mut counter = Counter::default();
            let (mut live, mut back) = (0, 0);
            for (lane, ms) in requests {
                let grant = counter.take(&budget, lane, start + Duration::milliseconds(ms));
                match (grant, lane) {
                    (Grant::Granted, Lane::Live) => live += 1,
                    (Grant::Granted, Lane::Backfill) => back += 1,
                    (Grant::RetryAt(at), _) => {
                        prop_assert_eq!(at, start + Duration::seconds(20));
                        prop_assert!(live + back >= budget.cap(lane), "refused only when full for its lane");
                    }
                }
                prop_assert!(live + back <= budget.live && back <= budget.backfill);
            }
        }

        /// With Graph's budget, a fleet asking as fast as it likes never has more than 90 % of
        /// Graph's limit granted in any 20 seconds (sliding, as Graph counts), nor backfill more
        /// than 60 %.
        #[test]
        fn any_twenty_seconds_hold_at_most_ninety_percent_of_graphs_limit(
            requests in prop::collection::vec((lane(), prop_oneof![9 => 0i64..5, 1 => 0i64..3_000]), 1..3_000),
            from in 0i64..2_000,
        ) {
            let budget = FleetBudget::GRAPH;
            let mut counter = Counter::default();
            let mut at = datetime!(2026-12-04 12:00:00 UTC) + Duration::milliseconds(from);
            let mut granted = Vec::new();
            for (lane, gap) in requests {
                at += Duration::milliseconds(gap);
                if counter.take(&budget, lane, at) == Grant::Granted {
                    granted.push((at, lane));
                }
            }
            let span = GRAPH_APP_LIMIT.window;
            let mut first = 0;
            for last in 0..granted.len() {
                while granted[last].0 - granted[first].0 >= span {
                    first += 1;
                }
                let within = &granted[first..=last];
                let backfill = within.iter().filter(|(_, lane)| *lane == Lane::Backfill).count();
                prop_assert!(within.len() <= 1_350, "{} granted within 20 s", within.len());
                prop_assert!(backfill <= 900, "{backfill} backfill granted within 20 s");
            }
        }
    }
}
