//! Graph's per-record limits: at most 10 requests per 20 seconds for a record's first page
//! (`GET /communications/callRecords/{id}`) and 50 per 5 minutes for its later pages (the next
//! links), in sliding windows; a request over a limit is answered `429` with `Retry-After` (in
//! whole seconds, as Graph writes it) and is not counted. The windows are the behaviour's
//! `record_limits`: Graph's own, or scaled down so that tests meet them in a fraction of the
//! time.
//!
//! It counts by record id and kind only; it must not look at what the records hold.

use super::{StandIn, error};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use callscope_core::domain::connector::RequestKind;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// When each record's served requests arrived, by record id and kind.
#[derive(Debug, Default)]
pub(super) struct Log(HashMap<(String, bool), VecDeque<Instant>>);

impl StandIn {
    /// `None` if a request of `kind` for record `id` may be served now (and counts it), else
    /// the `429` to answer.
    pub(super) fn over_record_limit(&self, id: &str, kind: RequestKind) -> Option<Response> {
        let limits = self.behaviour().record_limits?;
        let limit = limits.of(kind);
        let window = Duration::try_from(limit.window).unwrap_or_default();
        let now = Instant::now();
        let wait = {
            let mut state = self.state();
            let log = state.record_requests.0.entry((id.to_owned(), kind == RequestKind::First)).or_default();
            while log.front().is_some_and(|at| now.duration_since(*at) >= window) {
                log.pop_front();
            }
            if log.len() < usize::try_from(limit.requests).unwrap_or(usize::MAX) {
                log.push_back(now);
                return None;
            }
            log.front().map(|oldest| window.saturating_sub(now.duration_since(*oldest))).unwrap_or_default()
        };
        self.stats.record_throttled.fetch_add(1, Ordering::Relaxed);
        let mut reply = error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        reply.headers_mut().insert("retry-after", HeaderValue::from(seconds.max(1)));
        Some(reply)
    }
}
