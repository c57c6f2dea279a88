//! Classification: a pure function from a call's sessions to a rating per session, the poor
//! rules that fired, every metric graded, and the main cause in words. The rules and their
//! thresholds: `docs/thresholds.md`.

pub mod cause;
pub mod grade;
pub mod likely;
pub mod rules;
pub mod thresholds;
pub mod verdict;

pub use grade::{Grade, GradedMetric};
pub use likely::LikelyAt;
pub use rules::{Area, Issue, IssueCode};
pub use thresholds::{Comparison, Metric, Thresholds, ThresholdsError};
pub use verdict::{CallResult, Rating, SessionRatings, SessionResult, Verdict};

use crate::domain::graph::parties::sessions_by_party;
use crate::domain::graph::{MediaKind, Session, Side};
use std::collections::BTreeMap;

/// Classifies every session; the call is rated by its worst session (`unavailable` if none),
/// and each party by the worst of the sessions they took part in.
pub fn classify_sessions(sessions: &[Session], thresholds: &Thresholds) -> CallResult {
    let results: Vec<SessionResult> = sessions.iter().map(|s| classify_session(s, thresholds)).collect();
    let Verdict { rating, issue_codes } = Verdict::of(results.iter());
    let parties = party_verdicts(sessions, &results);
    CallResult { rating, issue_codes, sessions: results, parties }
}

/// Each party's own verdict, by party id: the worst rating and every issue code of the sessions
/// they were the caller or callee of. A party with no session of their own is not listed.
pub fn party_verdicts(sessions: &[Session], results: &[SessionResult]) -> BTreeMap<String, Verdict> {
    sessions_by_party(sessions)
        .into_iter()
        .map(|(id, indexes)| (id, Verdict::of(indexes.iter().filter_map(|&i| results.get(i as usize)))))
        .collect()
}

/// Classifies one session: the poor rules, every metric graded, the main cause.
pub fn classify_session(session: &Session, thresholds: &Thresholds) -> SessionResult {
    let mut metrics = Vec::new();
    let mut issues: Vec<Issue> = rules::setup_failure(session, thresholds).into_iter().collect();
    let mut audio_qoe = false;
    for (index, segment) in session.segments.iter().enumerate() {
        for media in &segment.media {
            let Some(kind) = media.kind() else {
                continue;
            };
            let graded = |metric, value, side, direction| {
                thresholds.row(kind, metric).map(|row| {
                    let (grade, threshold) = grade::grade(value, row);
                    GradedMetric {
                        media: kind,
                        segment: index as u32,
                        side,
                        direction,
                        metric,
                        value,
                        grade,
                        threshold,
                        comparison: row.comparison,
                    }
                })
            };
            if kind == MediaKind::Audio {
                for side in Side::BOTH {
                    let Some(device) = media.device(side) else { continue };
                    for (metric, value) in grade::device_metrics(device) {
                        let Some(g) = graded(metric, value, Some(side), None) else {
                            continue;
                        };
                        if g.grade == Grade::Red && thresholds.row(kind, metric).is_some_and(|r| r.poor) {
                            issues.push(Issue::from_metric(IssueCode::DeviceNotFunctioning, &g));
                        }
                        metrics.push(g);
                    }
                }
            }
            for stream in &media.streams {
                let side = Side::receiving(stream.stream_direction);
                let start = metrics.len();
                let mut reported = false;
                for (metric, value) in grade::stream_metrics(stream) {
                    reported = true;
                    metrics.extend(graded(metric, value, side, stream.stream_direction));
                }
                audio_qoe |= kind == MediaKind::Audio && reported;
                let ice_failed = stream.ice_connectivity_failed == Some(true);
                let muted = kind == MediaKind::Audio
                    && stream.packet_utilization.is_some_and(|p| p <= thresholds.min_packet_utilization);
                if !ice_failed && !muted {
                    let codec = stream.video_codec.as_deref();
                    issues.extend(rules::stream_issues(kind, &metrics[start..], codec, thresholds));
                }
            }
        }
    }
    let mut issues = worst_per_kind(issues);
    issues.sort_by_key(|i| i.code);
    for metric in metrics.iter_mut().filter(|m| m.grade == Grade::Red) {
        if let Some(row) =
            thresholds.row(metric.media, metric.metric).filter(|_| !issues.iter().any(|i| i.raised_by(metric)))
        {
            metric.soften(row);
        }
    }
    let rating = if !issues.is_empty() {
        Rating::Poor
    } else if audio_qoe {
        Rating::Good
    } else {
        Rating::Unavailable
    };
    let main = cause::main_cause(&issues);
    let likely_at = main.and_then(|main| likely::likely_at(session, main, &issues));
    let main_cause = main.map(|main| cause::describe(main, likely_at)).unwrap_or_default();
    SessionResult { session_id: session.id.clone(), rating, issues, metrics, main_cause, likely_at }
}

/// One issue per (code, side, direction, metric): the worst value across segments, so a long
/// call does not list the same fault once per segment.
fn worst_per_kind(issues: Vec<Issue>) -> Vec<Issue> {
    let mut kept: Vec<Issue> = Vec::with_capacity(issues.len());
    for issue in issues {
        let same = |k: &&mut Issue| {
            k.code == issue.code && k.side == issue.side && k.direction == issue.direction && k.metric == issue.metric
        };
        match kept.iter_mut().find(|k| same(k)) {
            Some(existing) if issue.excess() > existing.excess() => *existing = issue,
            Some(_) => {}
            None => kept.push(issue),
        }
    }
    kept
}
