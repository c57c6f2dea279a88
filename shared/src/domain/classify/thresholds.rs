//! The thresholds of `docs/thresholds.md` as data: one row per (media, metric), serde-loadable so a
//! deployment can override them without a code change, and validated when loaded.

use crate::domain::graph::MediaKind;
use serde::{Deserialize, Serialize};

/// Every metric we grade. Names follow Graph's `mediaStream` / `deviceInfo` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Metric {
    AverageJitter,
    MaxJitter,
    AveragePacketLossRate,
    MaxPacketLossRate,
    AverageRoundTripTime,
    MaxRoundTripTime,
    AverageAudioDegradation,
    AverageRatioOfConcealedSamples,
    RenderNotFunctioningEventRatio,
    CaptureNotFunctioningEventRatio,
    AverageVideoFrameRate,
    AverageVideoFrameLossPercentage,
    PostForwardErrorCorrectionPacketLossRate,
    SpoiledTilePercentTotal,
    RdpTileProcessingLatencyAverage,
    RelativeOneWayAverage,
}

/// How a value is compared with a threshold. Boundaries are exactly as written: with `above`,
/// a value equal to the threshold does not cross it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Comparison {
    /// `value > threshold`
    Above,
    /// `value >= threshold`
    AtLeast,
    /// `value < threshold`
    Below,
}

impl Comparison {
    /// Whether `value` crosses `threshold`.
    pub fn crosses(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Above => value > threshold,
            Self::AtLeast => value >= threshold,
            Self::Below => value < threshold,
        }
    }

    /// How far past `threshold` a value is, as a factor (1.0 at the threshold). Used to pick the
    /// red metric that best explains a poor session.
    pub fn excess(self, value: f64, threshold: f64) -> f64 {
        match self {
            Self::Above | Self::AtLeast if threshold > 0.0 => value / threshold,
            Self::Below if value > 0.0 => threshold / value,
            _ => f64::INFINITY,
        }
    }
}

/// One row of the thresholds table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Threshold {
    pub media: MediaKind,
    pub metric: Metric,
    pub comparison: Comparison,
    /// Outside the normal range; may contribute. `None`: the metric has no yellow band.
    #[serde(default)]
    pub yellow: Option<f64>,
    /// Significant: likely the main cause.
    pub red: f64,
    /// Whether red on this metric makes the session poor (a poor rule), or only grades it.
    pub poor: bool,
}

/// The whole table plus the gates of the poor rules (packet utilization, expected endings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Thresholds {
    pub rows: Vec<Threshold>,
    /// A stream that reports at most this many packets is not judged by the network rule.
    pub min_packet_utilization: i64,
    /// Ms-diag codes that mean the user could not join (inclusive).
    pub setup_failure_ms_diag: (u32, u32),
    /// Failure reasons that end a call as intended — declined, not answered, busy, cancelled,
    /// redirected, transferred: a failure at `callSetup` whose reason contains one of these
    /// (case-insensitively) is not a quality failure.
    #[serde(default = "expected_endings")]
    pub expected_endings: Vec<String>,
}

/// The default expected endings (CQD likewise leaves these out of setup failures).
fn expected_endings() -> Vec<String> {
    ["declined", "not answered", "no answer", "busy", "cancelled", "canceled", "redirected", "forwarded", "transferred"]
        .map(String::from)
        .to_vec()
}

/// A thresholds table that contradicts itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdsError {
    #[error("{media:?}/{metric:?} appears more than once")]
    Duplicate { media: MediaKind, metric: Metric },
    #[error("{media:?}/{metric:?}: yellow {yellow} must be less severe than red {red}")]
    YellowNotMilder { media: MediaKind, metric: Metric, yellow: f64, red: f64 },
    #[error("{media:?}/{metric:?}: thresholds must be finite numbers")]
    NotFinite { media: MediaKind, metric: Metric },
    #[error("the Ms-diag range {0}..={1} is empty")]
    EmptyRange(u32, u32),
    #[error("an expected ending must not be blank")]
    BlankEnding,
    #[error("the thresholds are not valid JSON: {0}")]
    Json(String),
}

impl Default for Thresholds {
    /// The defaults of `docs/thresholds.md`.
    fn default() -> Self {
        use Comparison::{Above, AtLeast, Below};
        use MediaKind::{AppSharing, Audio, ScreenSharing, Video};
        use Metric::*;
        let row =
            |media, metric, comparison, yellow, red, poor| Threshold { media, metric, comparison, yellow, red, poor };
        Self {
            rows: vec![
                row(Audio, AverageJitter, Above, Some(15.0), 30.0, true),
                row(Audio, MaxJitter, Above, Some(30.0), 50.0, false),
                row(Audio, AveragePacketLossRate, Above, Some(0.01), 0.10, true),
                row(Audio, MaxPacketLossRate, Above, Some(0.05), 0.10, false),
                row(Audio, AverageRoundTripTime, Above, Some(100.0), 500.0, true),
                row(Audio, MaxRoundTripTime, Above, Some(200.0), 1000.0, false),
                row(Audio, AverageAudioDegradation, Above, Some(0.5), 1.0, true),
                row(Audio, AverageRatioOfConcealedSamples, Above, Some(0.03), 0.07, true),
                row(Audio, RenderNotFunctioningEventRatio, AtLeast, None, 0.005, true),
                row(Audio, CaptureNotFunctioningEventRatio, AtLeast, None, 0.005, true),
                row(Video, AverageVideoFrameLossPercentage, Above, Some(10.0), 50.0, true),
                row(Video, AverageVideoFrameRate, Below, Some(15.0), 7.0, true),
                row(Video, PostForwardErrorCorrectionPacketLossRate, Above, Some(0.10), 0.15, true),
                row(ScreenSharing, AverageVideoFrameRate, Below, None, 1.0, true),
                row(ScreenSharing, AverageVideoFrameLossPercentage, Above, None, 50.0, true),
                row(AppSharing, SpoiledTilePercentTotal, Above, Some(11.0), 36.0, true),
                row(AppSharing, RdpTileProcessingLatencyAverage, Above, None, 400.0, true),
                row(AppSharing, RelativeOneWayAverage, Above, None, 1750.0, true),
            ],
            min_packet_utilization: 500,
            setup_failure_ms_diag: (20, 29),
            expected_endings: expected_endings(),
        }
    }
}

impl Thresholds {
    /// Reads a table from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Self, ThresholdsError> {
        let table: Self = serde_json::from_str(text).map_err(|e| ThresholdsError::Json(e.to_string()))?;
        table.validate()?;
        Ok(table)
    }

    /// Checks that rows are unique, finite, and yellow is milder than red.
    pub fn validate(&self) -> Result<(), ThresholdsError> {
        for (i, row) in self.rows.iter().enumerate() {
            let (media, metric) = (row.media, row.metric);
            if self.rows[..i].iter().any(|r| r.media == media && r.metric == metric) {
                return Err(ThresholdsError::Duplicate { media, metric });
            }
            if !row.red.is_finite() || row.yellow.is_some_and(|y| !y.is_finite()) {
                return Err(ThresholdsError::NotFinite { media, metric });
            }
            if let Some(yellow) = row.yellow {
                let milder = match row.comparison {
                    Comparison::Above | Comparison::AtLeast => yellow < row.red,
                    Comparison::Below => yellow > row.red,
                };
                if !milder {
                    return Err(ThresholdsError::YellowNotMilder { media, metric, yellow, red: row.red });
                }
            }
        }
        let (low, high) = self.setup_failure_ms_diag;
        if low > high {
            return Err(ThresholdsError::EmptyRange(low, high));
        }
        if self.expected_endings.iter().any(|e| e.trim().is_empty()) {
            return Err(ThresholdsError::BlankEnding);
        }
        Ok(())
    }

    /// Whether a failure `reason` says the call ended as intended (declined, not answered, ...).
    pub fn is_expected_ending(&self, reason: Option<&str>) -> bool {
        let Some(reason) = reason.map(str::to_lowercase) else { return false };
        self.expected_endings.iter().any(|ending| reason.contains(&ending.to_lowercase()))
    }

    /// The row for `metric` on `media`, if graded.
    pub fn row(&self, media: MediaKind, metric: Metric) -> Option<&Threshold> {
        self.rows.iter().find(|r| r.media == media && r.metric == metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_round_trip_through_json() {
        let defaults = Thresholds::default();
        defaults.validate().unwrap();
        let json = serde_json::to_string(&defaults).unwrap();
        assert_eq!(Thresholds::from_json(&json).unwrap(), defaults);
    }

    #[test]
    fn contradictory_tables_are_refused() {
        let mut t = Thresholds::default();
        t.rows[0].yellow = Some(30.0);
        assert!(matches!(t.validate(), Err(ThresholdsError::YellowNotMilder { .. })));
        let mut t = Thresholds::default();
        t.rows[11].yellow = Some(5.0); // video frame rate: yellow below red is more severe
        assert!(matches!(t.validate(), Err(ThresholdsError::YellowNotMilder { .. })));
        let mut t = Thresholds::default();
        t.rows.push(t.rows[0].clone());
        assert!(matches!(t.validate(), Err(ThresholdsError::Duplicate { .. })));
        let t = Thresholds { setup_failure_ms_diag: (30, 20), ..Thresholds::default() };
        assert!(t.validate().is_err());
        assert!(
            Thresholds::from_json(
                r#"{"rows": [], "minPacketUtilization": 500, "setupFailureMsDiag": [20, 29], "extra": 1}"#
            )
            .is_err()
        );
    }

    #[test]
    fn media_kinds_come_from_labels() {
        assert_eq!(MediaKind::from_label("main-audio"), Some(MediaKind::Audio));
        assert_eq!(MediaKind::from_label("main-video"), Some(MediaKind::Video));
        assert_eq!(MediaKind::from_label("applicationsharing-video"), Some(MediaKind::ScreenSharing));
        assert_eq!(MediaKind::from_label("applicationsharing"), Some(MediaKind::AppSharing));
        assert_eq!(MediaKind::from_label("data"), None);
    }
}
