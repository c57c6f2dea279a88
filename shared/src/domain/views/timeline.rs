//! A session's whole story for engineers and admins: segment by segment, what each side reported
//! (every network report, so a change of network within a session shows; every device; the
//! client), and every stream with its codec, bandwidth, packets, transport and media bypass,
//! each graded metric marked as on the overview. Advanced data only: the Debug fields (DNS
//! suffix, SSID, BSSID, MAC, reflexive and relay addresses, ports) stay in `debug`.

use crate::domain::classify::grade::stream_metrics;
use crate::domain::classify::{GradedMetric, SessionResult};
use crate::domain::graph::{
    DeviceInfo, Endpoint, Media, MediaStream, NetworkInfo, Segment, Session, Side, StreamDirection,
};
use serde::Serialize;
use time::OffsetDateTime;

/// One segment of a session, as both sides reported it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentDetail {
    pub id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    pub caller: SideReport,
    pub callee: SideReport,
    pub media: Vec<MediaDetail>,
}

/// What one side of a segment reported: its client, and per medium its network and devices.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SideReport {
    pub client: Option<Client>,
    pub networks: Vec<Reported<NetworkReport>>,
    pub devices: Vec<Reported<DeviceReport>>,
}

/// A report, with the label of the medium it came with (`main-audio`, `main-video`, ...).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Reported<T> {
    pub media: Option<String>,
    #[serde(flatten)]
    pub report: T,
}

/// The client software of an endpoint.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub user_agent: Option<String>,
    pub platform: Option<String>,
    pub product_family: Option<String>,
    pub version: Option<String>,
}

/// One network report, Advanced fields only.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkReport {
    pub connection_type: Option<String>,
    pub ip_address: Option<String>,
    pub subnet: Option<String>,
    pub wifi_band: Option<String>,
    pub wifi_channel: Option<i64>,
    pub wifi_signal_strength: Option<i64>,
    pub wifi_radio_type: Option<String>,
    pub link_speed: Option<i64>,
    pub transport_protocol: Option<String>,
    /// Whether media went through a relay (its address is Debug data).
    pub relay_used: bool,
}

/// The Debug fields of one network report (tier 2 and admin only): what [`NetworkReport`]
/// leaves out, shown in a session's `debug`, never in the timeline.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkDebug {
    pub dns_suffix: Option<String>,
    pub ssid: Option<String>,
    pub bssid: Option<String>,
    pub mac_address: Option<String>,
    pub reflexive_ip_address: Option<String>,
    pub relay_ip_address: Option<String>,
    pub relay_port: Option<i64>,
    pub port: Option<i64>,
}

/// One device report: devices, drivers and how well they worked.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceReport {
    pub capture_device: Option<String>,
    pub capture_device_driver: Option<String>,
    pub render_device: Option<String>,
    pub render_device_driver: Option<String>,
    pub capture_not_functioning_event_ratio: Option<f64>,
    pub render_not_functioning_event_ratio: Option<f64>,
}

/// One medium of a segment and its streams.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaDetail {
    pub label: Option<String>,
    pub streams: Vec<StreamDetail>,
}

/// One stream's full statistics, and its graded metrics as on the overview.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamDetail {
    pub direction: Option<StreamDirection>,
    pub codec: Option<String>,
    /// Average bandwidth estimate, bits per second.
    pub bandwidth_estimate: Option<i64>,
    pub packet_utilization: Option<i64>,
    pub post_fec_packet_loss_rate: Option<f64>,
    pub average_audio_degradation: Option<f64>,
    pub average_ratio_of_concealed_samples: Option<f64>,
    pub average_video_frame_rate: Option<f64>,
    pub average_video_frame_loss_percentage: Option<f64>,
    pub media_bypassed: Option<bool>,
    /// Every graded metric of this stream, with its normal/yellow/red mark.
    pub metrics: Vec<GradedMetric>,
}

/// The first `shown` segments of `session`, with `result`'s grades on their streams.
pub fn timeline(session: &Session, result: Option<&SessionResult>, shown: usize) -> Vec<SegmentDetail> {
    session
        .segments
        .iter()
        .take(shown)
        .enumerate()
        .map(|(index, segment)| SegmentDetail {
            id: segment.id.clone(),
            start_date_time: segment.start_date_time,
            end_date_time: segment.end_date_time,
            // A segment without endpoints of its own runs between the session's: the first one
            // shows their client, the rest do not repeat it (a record of thousands of bare
            // segments must not make a response of thousands of copies).
            caller: side_report(segment, Side::Caller, session.caller.as_ref().filter(|_| index == 0)),
            callee: side_report(segment, Side::Callee, session.callee.as_ref().filter(|_| index == 0)),
            media: segment.media.iter().map(|m| media_detail(m, index as u32, result)).collect(),
        })
        .collect()
}

fn side_report(segment: &Segment, side: Side, session_endpoint: Option<&Endpoint>) -> SideReport {
    let endpoint = match side {
        Side::Caller => segment.caller.as_ref(),
        Side::Callee => segment.callee.as_ref(),
    }
    .or(session_endpoint);
    SideReport {
        client: endpoint.and_then(|e| e.user_agent.as_ref()).map(|agent| Client {
            user_agent: agent.header_value.clone(),
            platform: agent.platform.clone(),
            product_family: agent.product_family.clone(),
            version: agent.application_version.clone(),
        }),
        networks: segment.media.iter().filter_map(|m| reported(m, NetworkReport::of(m.network(side)?))).collect(),
        devices: segment.media.iter().filter_map(|m| reported(m, DeviceReport::of(m.device(side)?))).collect(),
    }
}

fn reported<T>(media: &Media, report: T) -> Option<Reported<T>> {
    Some(Reported { media: media.label.clone(), report })
}

impl NetworkReport {
    /// The Advanced fields of `network`.
    pub fn of(network: &NetworkInfo) -> Self {
        Self {
            connection_type: network.connection_type.clone(),
            ip_address: network.ip_address.clone(),
            subnet: network.subnet.clone(),
            wifi_band: network.wifi_band.clone(),
            wifi_channel: network.wifi_channel,
            wifi_signal_strength: network.wifi_signal_strength,
            wifi_radio_type: network.wifi_radio_type.clone(),
            link_speed: network.link_speed,
            transport_protocol: network.network_transport_protocol.clone(),
            relay_used: network.relay_ip_address.is_some(),
        }
    }
}

impl NetworkDebug {
    /// Whether the report holds no Debug field at all.
    pub fn is_empty(&self) -> bool {
        [
            &self.dns_suffix,
            &self.ssid,
            &self.bssid,
            &self.mac_address,
            &self.reflexive_ip_address,
            &self.relay_ip_address,
        ]
        .iter()
        .all(|f| f.is_none())
            && self.relay_port.is_none()
            && self.port.is_none()
    }

    /// The Debug fields of `network`.
    pub fn of(network: &NetworkInfo) -> Self {
        Self {
            dns_suffix: network.dns_suffix.clone(),
            ssid: network.ssid.clone(),
            bssid: network.basic_service_set_identifier.clone(),
            mac_address: network.mac_address.clone(),
            reflexive_ip_address: network.reflexive_ip_address.clone(),
            relay_ip_address: network.relay_ip_address.clone(),
            relay_port: network.relay_port,
            port: network.port,
        }
    }
}

impl DeviceReport {
    /// What `device` reported.
    pub fn of(device: &DeviceInfo) -> Self {
        Self {
            capture_device: device.capture_device_name.clone(),
            capture_device_driver: device.capture_device_driver.clone(),
            render_device: device.render_device_name.clone(),
            render_device_driver: device.render_device_driver.clone(),
            capture_not_functioning_event_ratio: device.capture_not_functioning_event_ratio,
            render_not_functioning_event_ratio: device.render_not_functioning_event_ratio,
        }
    }
}

fn media_detail(media: &Media, segment: u32, result: Option<&SessionResult>) -> MediaDetail {
    MediaDetail {
        label: media.label.clone(),
        streams: media.streams.iter().map(|stream| stream_detail(media, stream, segment, result)).collect(),
    }
}

fn stream_detail(media: &Media, stream: &MediaStream, segment: u32, result: Option<&SessionResult>) -> StreamDetail {
    let graded = result.map(|r| r.metrics.as_slice()).unwrap_or_default();
    // A stream's grades are the ones of its segment, medium and direction with its values.
    let metrics = stream_metrics(stream)
        .filter_map(|(metric, value)| {
            graded.iter().find(|g| {
                g.segment == segment
                    && Some(g.media) == media.kind()
                    && g.direction == stream.stream_direction
                    && g.metric == metric
                    && g.value == value
            })
        })
        .cloned()
        .collect();
    StreamDetail {
        direction: stream.stream_direction,
        codec: stream.audio_codec.clone().or_else(|| stream.video_codec.clone()),
        bandwidth_estimate: stream.average_bandwidth_estimate,
        packet_utilization: stream.packet_utilization,
        post_fec_packet_loss_rate: stream.post_forward_error_correction_packet_loss_rate,
        average_audio_degradation: stream.average_audio_degradation,
        average_ratio_of_concealed_samples: stream.average_ratio_of_concealed_samples,
        average_video_frame_rate: stream.average_video_frame_rate,
        average_video_frame_loss_percentage: stream.average_video_frame_loss_percentage,
        media_bypassed: stream.was_media_bypassed,
        metrics,
    }
}
