//! The main cause of a poor session, in one plain sentence.

use super::likely::LikelyAt;
use super::rules::{Issue, IssueCode};
use super::thresholds::{Comparison, Metric};
use crate::domain::graph::{MediaKind, Side, StreamDirection};

/// How the main cause is chosen: a failed setup first (the user never got in), then audio
/// (network or device: what people hear), then video and sharing; within a group, the issue
/// furthest past its threshold.
pub fn main_cause(issues: &[Issue]) -> Option<&Issue> {
    let group = |issue: &Issue| match issue.code {
        IssueCode::CallSetupFailed => 0,
        IssueCode::AudioNetworkPoor | IssueCode::DeviceNotFunctioning => 1,
        IssueCode::VideoPoor | IssueCode::VbssPoor | IssueCode::AppsharingPoor => 2,
    };
    issues.iter().min_by(|a, b| group(a).cmp(&group(b)).then(b.excess().total_cmp(&a.excess())))
}

/// The sentence for `issue` with the ends named generically, as classification stores it:
/// "Caller's network, audio received: average packet loss 14 %, above 10 %."
pub fn describe(issue: &Issue, likely_at: Option<LikelyAt>) -> String {
    describe_as(issue, likely_at, |side| match side {
        Side::Caller => "Caller".to_owned(),
        Side::Callee => "Callee".to_owned(),
    })
}

/// The sentence for `issue`, naming each end as `name` shows it (a role's label of the party):
/// the end it most likely lies at (`likely_at`), and whether the poor stream was that end's
/// sending or receiving. Never the service's network: `likely_at` never names a service.
pub fn describe_as(issue: &Issue, likely_at: Option<LikelyAt>, name: impl Fn(Side) -> String) -> String {
    let at = |likely: LikelyAt| match likely {
        LikelyAt::Caller => Some(Side::Caller),
        LikelyAt::Callee => Some(Side::Callee),
        LikelyAt::Both => None,
    };
    let end = likely_at.and_then(at);
    if issue.code == IssueCode::CallSetupFailed {
        let who = end.map_or_else(|| "the user".to_owned(), &name);
        return match issue.value {
            Some(code) => format!("Call setup failed (Ms-diag {code}): {who} could not join."),
            None => format!("Call setup failed: {who} could not join."),
        };
    }
    let (Some(metric), Some(value), Some(threshold)) = (issue.metric, issue.value, issue.threshold) else {
        return "Poor quality.".to_owned();
    };
    let relation = match issue.comparison.unwrap_or(Comparison::Above) {
        Comparison::Above => "above",
        Comparison::AtLeast => "at or above",
        Comparison::Below => "below",
    };
    let (label, unit) = describe_metric(metric);
    let measured = format!("{label} {}, {relation} {}", unit.show(value), unit.show(threshold));
    if issue.code == IssueCode::DeviceNotFunctioning {
        let owner = end.or(issue.side).map_or_else(|| "An endpoint".to_owned(), &name);
        return format!("{owner}'s device: {measured}.");
    }
    let media = match issue.media {
        Some(MediaKind::Audio) | None => "audio",
        Some(MediaKind::Video) => "video",
        Some(MediaKind::ScreenSharing) => "screen sharing",
        Some(MediaKind::AppSharing) => "app sharing",
    };
    let sender = match issue.direction {
        Some(StreamDirection::CallerToCallee) => Some(Side::Caller),
        Some(StreamDirection::CalleeToCaller) => Some(Side::Callee),
        _ => None,
    };
    let stream = match (end, sender) {
        (Some(end), Some(sender)) if end == sender => format!("{media} sent"),
        (Some(_), Some(_)) => format!("{media} received"),
        (None, Some(sender)) => format!("{media} from {}", name(sender)),
        (_, None) => media.to_owned(),
    };
    let owner = match (likely_at, end) {
        (_, Some(end)) => format!("{}'s network", name(end)),
        (Some(LikelyAt::Both), None) => "Both ends' networks".to_owned(),
        _ => "The network between the ends".to_owned(),
    };
    format!("{owner}, {stream}: {measured}.")
}

#[derive(Clone, Copy)]
enum Unit {
    Millis,
    /// A fraction shown as a percentage.
    Fraction,
    Percent,
    Mos,
    Fps,
}

impl Unit {
    fn show(self, value: f64) -> String {
        match self {
            Self::Millis => format!("{} ms", number(value)),
            Self::Fraction => format!("{} %", number(value * 100.0)),
            Self::Percent => format!("{} %", number(value)),
            Self::Mos => format!("{} MOS", number(value)),
            Self::Fps => format!("{} fps", number(value)),
        }
    }
}

/// Up to three decimals, trailing zeros dropped: 14, 0.49, 30.001.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn describe_metric(metric: Metric) -> (&'static str, Unit) {
    match metric {
        Metric::AverageJitter => ("average jitter", Unit::Millis),
        Metric::MaxJitter => ("maximum jitter", Unit::Millis),
        Metric::AveragePacketLossRate => ("average packet loss", Unit::Fraction),
        Metric::MaxPacketLossRate => ("maximum packet loss", Unit::Fraction),
        Metric::AverageRoundTripTime => ("average round trip", Unit::Millis),
        Metric::MaxRoundTripTime => ("maximum round trip", Unit::Millis),
        Metric::AverageAudioDegradation => ("average network MOS degradation", Unit::Mos),
        Metric::AverageRatioOfConcealedSamples => ("concealed samples", Unit::Fraction),
        Metric::RenderNotFunctioningEventRatio => ("speaker (render) not functioning", Unit::Fraction),
        Metric::CaptureNotFunctioningEventRatio => ("microphone (capture) not functioning", Unit::Fraction),
        Metric::AverageVideoFrameRate => ("average frame rate", Unit::Fps),
        Metric::AverageVideoFrameLossPercentage => ("frame loss", Unit::Percent),
        Metric::PostForwardErrorCorrectionPacketLossRate => ("packet loss after FEC", Unit::Fraction),
        Metric::SpoiledTilePercentTotal => ("spoiled tiles", Unit::Percent),
        Metric::RdpTileProcessingLatencyAverage => ("tile processing latency", Unit::Millis),
        Metric::RelativeOneWayAverage => ("relative one-way delay", Unit::Millis),
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(14.000000000000002), "14");
        assert_eq!(number(0.49), "0.49");
        assert_eq!(number(30.001), "30.001");
        assert_eq!(number(0.0), "0");
    }
}
