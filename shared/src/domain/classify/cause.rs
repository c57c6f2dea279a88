//! The main cause of a poor session, in one plain sentence.

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

/// The sentence for `issue`, e.g. "Callee's network, caller-to-callee audio: average packet
/// loss 14 %, above 10 %."
pub fn describe(issue: &Issue) -> String {
    if issue.code == IssueCode::CallSetupFailed {
        return match issue.value {
            Some(code) => format!("Call setup failed (Ms-diag {code}): the user could not join."),
            None => "Call setup failed: the user could not join.".to_owned(),
        };
    }
    let (Some(metric), Some(value), Some(threshold)) = (issue.metric, issue.value, issue.threshold) else {
        return "Poor quality.".to_owned();
    };
    let side = match issue.side {
        Some(Side::Caller) => "Caller's",
        Some(Side::Callee) => "Callee's",
        None => "An endpoint's",
    };
    let relation = match issue.comparison.unwrap_or(Comparison::Above) {
        Comparison::Above => "above",
        Comparison::AtLeast => "at or above",
        Comparison::Below => "below",
    };
    let (label, unit) = describe_metric(metric);
    let measured = format!("{label} {}, {relation} {}", unit.show(value), unit.show(threshold));
    if issue.code == IssueCode::DeviceNotFunctioning {
        return format!("{side} device: {measured}.");
    }
    let direction = match issue.direction {
        Some(StreamDirection::CallerToCallee) => "caller-to-callee ",
        Some(StreamDirection::CalleeToCaller) => "callee-to-caller ",
        _ => "",
    };
    let media = match issue.media {
        Some(MediaKind::Audio) | None => "audio",
        Some(MediaKind::Video) => "video",
        Some(MediaKind::ScreenSharing) => "screen sharing",
        Some(MediaKind::AppSharing) => "app sharing",
    };
    format!("{side} network, {direction}{media}: {measured}.")
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
