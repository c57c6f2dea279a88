//! Metrics as graded values: which metrics a stream or device reports, and their grade.

use super::thresholds::{Comparison, Metric, Threshold};
use crate::domain::graph::{DeviceInfo, MediaKind, MediaStream, Side, StreamDirection};
use serde::{Deserialize, Serialize};

/// Normal, yellow (may contribute) or red (likely the main cause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Grade {
    Normal,
    Yellow,
    Red,
}

/// One metric value of a session with its grade and the threshold it was compared against.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GradedMetric {
    pub media: MediaKind,
    /// Position of the segment in the session's `segments` (an index keeps results compact).
    pub segment: u32,
    pub side: Option<Side>,
    pub direction: Option<StreamDirection>,
    pub metric: Metric,
    pub value: f64,
    pub grade: Grade,
    /// Red's threshold when red, else yellow's (or red's, for metrics without a yellow band).
    pub threshold: f64,
    pub comparison: Comparison,
}

impl GradedMetric {
    /// Grades a red reading that raised no issue as yellow: red means "likely the main cause",
    /// and a metric that is not a poor rule (a maximum), a stream too short or unconnected to be
    /// judged, or a video metric after the deciding one cannot be the cause of a poor session.
    pub fn soften(&mut self, row: &Threshold) {
        self.grade = Grade::Yellow;
        self.threshold = row.yellow.unwrap_or(row.red);
    }
}

/// Grades `value` against `row`.
pub fn grade(value: f64, row: &Threshold) -> (Grade, f64) {
    if row.comparison.crosses(value, row.red) {
        (Grade::Red, row.red)
    } else {
        match row.yellow {
            Some(yellow) if row.comparison.crosses(value, yellow) => (Grade::Yellow, yellow),
            Some(yellow) => (Grade::Normal, yellow),
            None => (Grade::Normal, row.red),
        }
    }
}

/// Every metric a stream reports. Missing metrics are absent, never zero.
pub fn stream_metrics(stream: &MediaStream) -> impl Iterator<Item = (Metric, f64)> {
    let ms = |m: Option<crate::domain::graph::Millis>| m.map(|m| m.as_ms());
    [
        (Metric::AverageJitter, ms(stream.average_jitter)),
        (Metric::MaxJitter, ms(stream.max_jitter)),
        (Metric::AveragePacketLossRate, stream.average_packet_loss_rate),
        (Metric::MaxPacketLossRate, stream.max_packet_loss_rate),
        (Metric::AverageRoundTripTime, ms(stream.average_round_trip_time)),
        (Metric::MaxRoundTripTime, ms(stream.max_round_trip_time)),
        (Metric::AverageAudioDegradation, stream.average_audio_degradation),
        (Metric::AverageRatioOfConcealedSamples, stream.average_ratio_of_concealed_samples),
        (Metric::AverageVideoFrameLossPercentage, stream.average_video_frame_loss_percentage),
        (Metric::AverageVideoFrameRate, stream.average_video_frame_rate),
        (Metric::PostForwardErrorCorrectionPacketLossRate, stream.post_forward_error_correction_packet_loss_rate),
        (Metric::SpoiledTilePercentTotal, stream.spoiled_tile_percent_total),
        (Metric::RdpTileProcessingLatencyAverage, ms(stream.rdp_tile_processing_latency_average)),
        (Metric::RelativeOneWayAverage, ms(stream.relative_one_way_average)),
    ]
    .into_iter()
    .filter_map(|(metric, value)| Some((metric, value?)))
}

/// Every metric a device reports.
pub fn device_metrics(device: &DeviceInfo) -> impl Iterator<Item = (Metric, f64)> {
    [
        (Metric::RenderNotFunctioningEventRatio, device.render_not_functioning_event_ratio),
        (Metric::CaptureNotFunctioningEventRatio, device.capture_not_functioning_event_ratio),
    ]
    .into_iter()
    .filter_map(|(metric, value)| Some((metric, value?)))
}
