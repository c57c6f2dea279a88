//! The poor rules (`docs/thresholds.md`): which graded metrics and failures make a session poor.

use super::grade::{Grade, GradedMetric};
use super::thresholds::{Comparison, Metric, Thresholds};
use crate::domain::graph::{FailureInfo, FailureStage, MediaKind, Session, Side, StreamDirection};
use serde::{Deserialize, Serialize};

/// Why a session is poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    CallSetupFailed,
    AudioNetworkPoor,
    DeviceNotFunctioning,
    VideoPoor,
    VbssPoor,
    AppsharingPoor,
}

/// Where the problem lies, as the reference groups the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Area {
    Session,
    Device,
}

/// One poor rule that fired.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub code: IssueCode,
    pub area: Area,
    pub side: Option<Side>,
    pub direction: Option<StreamDirection>,
    pub media: Option<MediaKind>,
    pub metric: Option<Metric>,
    /// The metric's value, or the Ms-diag code of a failed setup.
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub comparison: Option<Comparison>,
}

impl Issue {
    /// How far past its threshold the value is (1.0 at the threshold).
    pub fn excess(&self) -> f64 {
        match (self.comparison, self.value, self.threshold) {
            (Some(c), Some(v), Some(t)) => c.excess(v, t),
            _ => f64::INFINITY,
        }
    }

    /// Whether `graded` is the metric this issue was raised by (any segment's reading of it).
    pub fn raised_by(&self, graded: &GradedMetric) -> bool {
        self.metric == Some(graded.metric)
            && self.media == Some(graded.media)
            && self.side == graded.side
            && self.direction == graded.direction
    }

    /// The issue a red metric raises under `code`.
    pub fn from_metric(code: IssueCode, graded: &GradedMetric) -> Self {
        Self {
            code,
            area: if code == IssueCode::DeviceNotFunctioning { Area::Device } else { Area::Session },
            side: graded.side,
            direction: graded.direction,
            media: Some(graded.media),
            metric: Some(graded.metric),
            value: Some(graded.value),
            threshold: Some(graded.threshold),
            comparison: Some(graded.comparison),
        }
    }
}

/// The failed-setup issue, if the session or any segment failed with an Ms-diag code in the
/// setup range, or at stage `callSetup` for a reason that is not an expected ending (a declined
/// or unanswered call is not a quality failure).
pub fn setup_failure(session: &Session, thresholds: &Thresholds) -> Option<Issue> {
    let (low, high) = thresholds.setup_failure_ms_diag;
    let failures = session.failure_info.iter().chain(session.segments.iter().filter_map(|s| s.failure_info.as_ref()));
    let mut failed_stage = false;
    for failure in failures {
        if let Some(code) = ms_diag(failure).filter(|c| (low..=high).contains(c)) {
            return Some(setup_issue(Some(code)));
        }
        failed_stage |=
            failure.stage == FailureStage::CallSetup && !thresholds.is_expected_ending(failure.reason.as_deref());
    }
    failed_stage.then(|| setup_issue(None))
}

fn setup_issue(code: Option<u32>) -> Issue {
    Issue {
        code: IssueCode::CallSetupFailed,
        area: Area::Session,
        side: None,
        direction: None,
        media: None,
        metric: None,
        value: code.map(f64::from),
        threshold: None,
        comparison: None,
    }
}

/// The Ms-diag code: the `msDiagCode` extra, else read from `reason` text like "ms-diag: 21 ...".
pub fn ms_diag(failure: &FailureInfo) -> Option<u32> {
    failure.ms_diag_code.or_else(|| {
        let reason = failure.reason.as_deref()?.to_ascii_lowercase();
        let rest = &reason[reason.find("ms-diag")? + "ms-diag".len()..];
        let digits: String =
            rest.trim_start_matches([':', ' ', '=']).chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The issues one stream's graded metrics raise. `ice_failed`/`gated` streams raise none.
pub fn stream_issues(
    kind: MediaKind,
    graded: &[GradedMetric],
    codec: Option<&str>,
    thresholds: &Thresholds,
) -> Vec<Issue> {
    let red_poor = |g: &&GradedMetric| g.grade == Grade::Red && thresholds.row(kind, g.metric).is_some_and(|r| r.poor);
    match kind {
        MediaKind::Audio => {
            graded.iter().filter(red_poor).map(|g| Issue::from_metric(IssueCode::AudioNetworkPoor, g)).collect()
        }
        MediaKind::AppSharing => {
            graded.iter().filter(red_poor).map(|g| Issue::from_metric(IssueCode::AppsharingPoor, g)).collect()
        }
        MediaKind::Video => {
            // The first metric the stream reports decides, in this order.
            let order = [
                Metric::AverageVideoFrameLossPercentage,
                Metric::AverageVideoFrameRate,
                Metric::PostForwardErrorCorrectionPacketLossRate,
            ];
            let deciding = order.iter().find_map(|m| graded.iter().find(|g| g.metric == *m));
            deciding.filter(red_poor).map(|g| Issue::from_metric(IssueCode::VideoPoor, g)).into_iter().collect()
        }
        MediaKind::ScreenSharing => {
            let h264s = codec.is_some_and(|c| c.eq_ignore_ascii_case("h264s"));
            graded
                .iter()
                .filter(red_poor)
                .filter(|g| match g.metric {
                    // Outbound is the sharer's stream: caller to callee.
                    Metric::AverageVideoFrameRate => h264s || g.direction == Some(StreamDirection::CallerToCallee),
                    Metric::AverageVideoFrameLossPercentage => {
                        !h264s && g.direction == Some(StreamDirection::CalleeToCaller)
                    }
                    _ => true,
                })
                .map(|g| Issue::from_metric(IssueCode::VbssPoor, g))
                .collect()
        }
    }
}
