//! Everything each endpoint reported, for engineers and admins: the Advanced groups (System,
//! Device, Connectivity, Network; the user's feedback) and the Debug fields, segment by segment
//! and medium by medium, so a change of network or device within a session shows.

use super::timeline::NetworkDebug;
use crate::domain::graph::{
    DeviceInfo, Endpoint, FailureInfo, FailureStage, FeedbackRating, NetworkInfo, Segment, Session, Side,
    TraceRouteHop, UserFeedback,
};
use serde::Serialize;
use time::OffsetDateTime;

/// The client and machine of an endpoint.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct System {
    pub machine_name: Option<String>,
    /// Graph's `clientPlatform` (`windows`, `macOS`, `iOS`, `android`, `web`, ...).
    pub platform: Option<String>,
    /// Graph's `productFamily` (`teams`, `skypeForBusiness`, `lync`, ...).
    pub product_family: Option<String>,
    pub application_version: Option<String>,
    /// What a service endpoint is (Graph's `serviceRole`).
    pub service_role: Option<String>,
    pub cpu_name: Option<String>,
    pub cpu_cores_count: Option<i64>,
    pub cpu_processor_speed_in_mhz: Option<i64>,
}

impl System {
    /// What `endpoint` says of its client and machine; `None` if it says nothing.
    pub fn of(endpoint: &Endpoint) -> Option<Self> {
        let agent = endpoint.user_agent.as_ref();
        let system = Self {
            machine_name: endpoint.name.clone(),
            platform: agent.and_then(|a| a.platform.clone()),
            product_family: agent.and_then(|a| a.product_family.clone()),
            application_version: agent.and_then(|a| a.application_version.clone()),
            service_role: agent.and_then(|a| a.role.clone()),
            cpu_name: endpoint.cpu_name.clone(),
            cpu_cores_count: endpoint.cpu_cores_count,
            cpu_processor_speed_in_mhz: endpoint.cpu_processor_speed_in_mhz,
        };
        (system != Self::default()).then_some(system)
    }
}

/// The user's own rating of the session.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    pub rating: FeedbackRating,
    pub text: Option<String>,
    /// The feedback tokens the user ticked (Graph's names, e.g. `audioEcho`).
    pub tokens: Vec<String>,
}

impl From<&UserFeedback> for Feedback {
    fn from(feedback: &UserFeedback) -> Self {
        Self {
            rating: feedback.rating,
            text: feedback.text.clone(),
            tokens: feedback.tokens.iter().filter(|(_, ticked)| **ticked).map(|(name, _)| name.clone()).collect(),
        }
    }
}

/// Every field of Graph's `deviceInfo`: the audio devices and how well they worked. Ratios are
/// fractions of the call; signal and noise levels are energy levels in dB; glitch rates are per
/// five minutes.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGroup {
    pub capture_device: Option<String>,
    pub capture_device_driver: Option<String>,
    pub render_device: Option<String>,
    pub render_device_driver: Option<String>,
    pub capture_not_functioning_event_ratio: Option<f64>,
    pub render_not_functioning_event_ratio: Option<f64>,
    pub cpu_insufficient_event_ratio: Option<f64>,
    pub device_clipping_event_ratio: Option<f64>,
    pub device_glitch_event_ratio: Option<f64>,
    pub howling_event_count: Option<i64>,
    pub initial_signal_level_root_mean_square: Option<f64>,
    pub low_speech_level_event_ratio: Option<f64>,
    pub low_speech_to_noise_event_ratio: Option<f64>,
    pub mic_glitch_rate: Option<f64>,
    pub received_noise_level: Option<i64>,
    pub received_signal_level: Option<i64>,
    pub render_mute_event_ratio: Option<f64>,
    pub render_zero_volume_event_ratio: Option<f64>,
    pub sent_noise_level: Option<i64>,
    pub sent_signal_level: Option<i64>,
    pub speaker_glitch_rate: Option<f64>,
}

impl From<&DeviceInfo> for DeviceGroup {
    fn from(d: &DeviceInfo) -> Self {
        Self {
            capture_device: d.capture_device_name.clone(),
            capture_device_driver: d.capture_device_driver.clone(),
            render_device: d.render_device_name.clone(),
            render_device_driver: d.render_device_driver.clone(),
            capture_not_functioning_event_ratio: d.capture_not_functioning_event_ratio,
            render_not_functioning_event_ratio: d.render_not_functioning_event_ratio,
            cpu_insufficient_event_ratio: d.cpu_insufficient_event_ratio,
            device_clipping_event_ratio: d.device_clipping_event_ratio,
            device_glitch_event_ratio: d.device_glitch_event_ratio,
            howling_event_count: d.howling_event_count,
            initial_signal_level_root_mean_square: d.initial_signal_level_root_mean_square,
            low_speech_level_event_ratio: d.low_speech_level_event_ratio,
            low_speech_to_noise_event_ratio: d.low_speech_to_noise_event_ratio,
            mic_glitch_rate: d.mic_glitch_rate,
            received_noise_level: d.received_noise_level,
            received_signal_level: d.received_signal_level,
            render_mute_event_ratio: d.render_mute_event_ratio,
            render_zero_volume_event_ratio: d.render_zero_volume_event_ratio,
            sent_noise_level: d.sent_noise_level,
            sent_signal_level: d.sent_signal_level,
            speaker_glitch_rate: d.speaker_glitch_rate,
        }
    }
}

/// How the endpoint was connected: the connection, its Wi-Fi, the adapter and the transport.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connectivity {
    pub connection_type: Option<String>,
    pub ip_address: Option<String>,
    pub subnet: Option<String>,
    pub wifi_band: Option<String>,
    pub wifi_channel: Option<i64>,
    /// Percent.
    pub wifi_signal_strength: Option<i64>,
    pub wifi_radio_type: Option<String>,
    pub wifi_microsoft_driver: Option<String>,
    pub wifi_microsoft_driver_version: Option<String>,
    pub wifi_vendor_driver: Option<String>,
    pub wifi_vendor_driver_version: Option<String>,
    /// Percent.
    pub wifi_battery_charge: Option<i64>,
    /// Bits per second.
    pub link_speed: Option<i64>,
    pub transport_protocol: Option<String>,
}

/// What the network did to the audio, and the way to the relay.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkGroup {
    pub bandwidth_low_event_ratio: Option<f64>,
    pub delay_event_ratio: Option<f64>,
    pub received_quality_event_ratio: Option<f64>,
    pub sent_quality_event_ratio: Option<f64>,
    /// Whether media went through a relay (its address is Debug data).
    pub relay_used: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace_route: Vec<Hop>,
}

/// One hop of a trace route.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    pub hop_count: Option<i64>,
    pub ip_address: Option<String>,
    pub round_trip_time_ms: Option<f64>,
}

impl From<&TraceRouteHop> for Hop {
    fn from(hop: &TraceRouteHop) -> Self {
        Self {
            hop_count: hop.hop_count,
            ip_address: hop.ip_address.clone(),
            round_trip_time_ms: hop.round_trip_time.map(|t| t.as_ms()),
        }
    }
}

impl From<&NetworkInfo> for Connectivity {
    fn from(n: &NetworkInfo) -> Self {
        Self {
            connection_type: n.connection_type.clone(),
            ip_address: n.ip_address.clone(),
            subnet: n.subnet.clone(),
            wifi_band: n.wifi_band.clone(),
            wifi_channel: n.wifi_channel,
            wifi_signal_strength: n.wifi_signal_strength,
            wifi_radio_type: n.wifi_radio_type.clone(),
            wifi_microsoft_driver: n.wifi_microsoft_driver.clone(),
            wifi_microsoft_driver_version: n.wifi_microsoft_driver_version.clone(),
            wifi_vendor_driver: n.wifi_vendor_driver.clone(),
            wifi_vendor_driver_version: n.wifi_vendor_driver_version.clone(),
            wifi_battery_charge: n.wifi_battery_charge,
            link_speed: n.link_speed,
            transport_protocol: n.network_transport_protocol.clone(),
        }
    }
}

impl From<&NetworkInfo> for NetworkGroup {
    fn from(n: &NetworkInfo) -> Self {
        Self {
            bandwidth_low_event_ratio: n.bandwidth_low_event_ratio,
            delay_event_ratio: n.delay_event_ratio,
            received_quality_event_ratio: n.received_quality_event_ratio,
            sent_quality_event_ratio: n.sent_quality_event_ratio,
            relay_used: n.relay_ip_address.is_some(),
            trace_route: n.trace_route_hops.iter().map(Hop::from).collect(),
        }
    }
}

/// One segment's reports of one side, labelled by the segment's place and start.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentReports<S, M> {
    /// The segment's place in the session (0-based).
    pub index: usize,
    pub id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    /// What the segment's own endpoint says, where it differs from the session's.
    #[serde(flatten)]
    pub own: Option<S>,
    pub media: Vec<Labelled<M>>,
}

/// A medium's report, with the medium's label (`main-audio`, `main-video`, ...).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct Labelled<M> {
    pub label: Option<String>,
    #[serde(flatten)]
    pub report: M,
}

/// The Advanced groups of one medium of one side.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct AdvancedMedia {
    pub device: Option<DeviceGroup>,
    pub connectivity: Option<Connectivity>,
    pub network: Option<NetworkGroup>,
}

/// A segment endpoint's own System group.
#[derive(Debug, Clone, Serialize)]
pub struct OwnSystem {
    pub system: System,
}

/// A segment endpoint's own user agent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnAgent {
    pub user_agent: String,
}

/// Advanced reports of one side, per segment.
pub type AdvancedSegment = SegmentReports<OwnSystem, AdvancedMedia>;
/// Debug reports of one side, per segment.
pub type DebugSegment = SegmentReports<OwnAgent, NetworkDebug>;

/// The endpoint of `side` of `segment` (`None` when the segment has none of its own).
fn segment_endpoint(segment: &Segment, side: Side) -> Option<&Endpoint> {
    match side {
        Side::Caller => segment.caller.as_ref(),
        Side::Callee => segment.callee.as_ref(),
    }
}

/// The first `shown` segments of `session` as `side` reported them, each medium through
/// `report`, the segment's own endpoint through `own`; segments reporting nothing left out.
fn per_segment<S, M>(
    session: &Session,
    side: Side,
    shown: usize,
    own: impl Fn(&Endpoint) -> Option<S>,
    report: impl Fn(&crate::domain::graph::Media) -> Option<M>,
) -> Vec<SegmentReports<S, M>> {
    session
        .segments
        .iter()
        .take(shown)
        .enumerate()
        .map(|(index, segment)| SegmentReports {
            index,
            id: segment.id.clone(),
            start_date_time: segment.start_date_time,
            own: segment_endpoint(segment, side).and_then(&own),
            media: segment
                .media
                .iter()
                .filter_map(|m| report(m).map(|report| Labelled { label: m.label.clone(), report }))
                .collect(),
        })
        .filter(|s| s.own.is_some() || !s.media.is_empty())
        .collect()
}

/// Every Advanced report of `side` in the first `shown` segments.
pub fn advanced_segments(session: &Session, side: Side, shown: usize) -> Vec<AdvancedSegment> {
    let session_system = session.endpoint(side).and_then(System::of);
    per_segment(
        session,
        side,
        shown,
        |endpoint| {
            System::of(endpoint).filter(|s| Some(s) != session_system.as_ref()).map(|system| OwnSystem { system })
        },
        |media| {
            let (device, network) = (media.device(side), media.network(side));
            (device.is_some() || network.is_some()).then(|| AdvancedMedia {
                device: device.map(DeviceGroup::from),
                connectivity: network.map(Connectivity::from),
                network: network.map(NetworkGroup::from),
            })
        },
    )
}

/// Every Debug report of `side` in the first `shown` segments.
pub fn debug_segments(session: &Session, side: Side, shown: usize) -> Vec<DebugSegment> {
    let header = |e: &Endpoint| e.user_agent.as_ref().and_then(|a| a.header_value.clone());
    let session_agent = session.endpoint(side).and_then(header);
    per_segment(
        session,
        side,
        shown,
        |endpoint| {
            header(endpoint).filter(|h| Some(h) != session_agent.as_ref()).map(|user_agent| OwnAgent { user_agent })
        },
        |media| media.network(side).map(NetworkDebug::of).filter(|d| !d.is_empty()),
    )
}

/// The feedback the user at `side` gave: the session endpoint's, else the first segment's.
pub fn feedback(session: &Session, side: Side) -> Option<Feedback> {
    let segments = session.segments.iter().filter_map(|s| segment_endpoint(s, side));
    session.endpoint(side).into_iter().chain(segments).find_map(|e| e.feedback.as_ref()).map(Feedback::from)
}

/// Why a session failed, and where.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub stage: FailureStage,
    pub reason: Option<String>,
    /// Extra (not Graph's): the Ms-diag code, when the producer knew it.
    pub ms_diag_code: Option<u32>,
}

impl From<&FailureInfo> for Failure {
    fn from(f: &FailureInfo) -> Self {
        Self { stage: f.stage, reason: f.reason.clone(), ms_diag_code: f.ms_diag_code }
    }
}

/// The session's failure: its own, else the first segment's.
pub fn failure(session: &Session) -> Option<Failure> {
    let segments = session.segments.iter().filter_map(|s| s.failure_info.as_ref());
    session.failure_info.iter().chain(segments).next().map(Failure::from)
}
