//! Microsoft Graph `callRecord` (v1.0) as typed values.
//!
//! Tolerant by design: every field that Graph may omit or send as `null` is an `Option` (or an
//! empty list), unknown fields are ignored, and unknown enum values map to `Unknown`. The same
//! types are stored in DynamoDB (through serde_dynamo), so a stored record reads back as the
//! record that was accepted. Every field of Graph's `deviceInfo`, `networkInfo`,
//! `participantEndpoint` (with its `userFeedback`), `clientUserAgent`/`serviceUserAgent` and
//! `failureInfo` is kept: the engineer's Advanced and Debug views show them all. Two extras that
//! Graph lacks are accepted: `networkInfo.ssid` and `failureInfo.msDiagCode`.

use super::duration::Millis;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Reads `null` as the type's default, so `"sessions": null` is an empty list.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One call or meeting, with its sessions.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    pub id: String,
    pub version: i64,
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub call_type: CallType,
    #[serde(default, deserialize_with = "null_as_default")]
    pub modalities: Vec<Modality>,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_modified_date_time: Option<OffsetDateTime>,
    pub join_web_url: Option<String>,
    /// The meeting organizer (Graph's current property).
    #[serde(rename = "organizer_v2", default)]
    pub organizer_v2: Option<Participant>,
    /// Every participant (Graph's current property).
    #[serde(rename = "participants_v2", default, deserialize_with = "null_as_default")]
    pub participants_v2: Vec<Participant>,
    /// Deprecated by Graph, still sent by older producers.
    pub organizer: Option<IdentitySet>,
    /// Deprecated by Graph, still sent by older producers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub participants: Vec<IdentitySet>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sessions: Vec<Session>,
}

impl CallRecord {
    /// The meeting's thread id (`19:meeting_...@thread.v2`), decoded from the path segment after
    /// `meetup-join/` of its `joinWebUrl`; `None` for a call without one (Graph's v1.0 record has
    /// no conference id field of its own).
    pub fn conference_id(&self) -> Option<String> {
        let url = self.join_web_url.as_deref()?;
        let (_, rest) = url.split_once("/meetup-join/")?;
        let segment = rest.split(['/', '?', '#']).next().filter(|s| !s.is_empty())?;
        let id = percent_encoding::percent_decode_str(segment).decode_utf8().ok()?;
        Some(id.into_owned())
    }
}

/// `peerToPeer`, `groupCall` (meetings) or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallType {
    PeerToPeer,
    GroupCall,
    #[default]
    #[serde(other)]
    Unknown,
}

/// What a call or session carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Modality {
    Audio,
    Video,
    VideoBasedScreenSharing,
    Data,
    ScreenSharing,
    #[serde(other)]
    Unknown,
}

/// `organizer_v2` and `participants_v2` entries.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: Option<String>,
    pub identity: Option<IdentitySet>,
}

/// Graph's `communicationsIdentitySet`: exactly one of these is usually present.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySet {
    pub user: Option<Identity>,
    pub guest: Option<Identity>,
    pub phone: Option<Identity>,
    pub application: Option<Identity>,
    pub application_instance: Option<Identity>,
    pub device: Option<Identity>,
}

/// A user, guest, phone number, application or device identity.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub tenant_id: Option<String>,
    pub user_principal_name: Option<String>,
}

/// One leg of a call between two endpoints.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub modalities: Vec<Modality>,
    pub caller: Option<Endpoint>,
    pub callee: Option<Endpoint>,
    pub failure_info: Option<FailureInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub segments: Vec<Segment>,
}

/// Which media a network report may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkSource {
    /// Audio media only: where the stream quality the helpdesk judges was measured.
    Audio,
    /// Audio media first, else any medium.
    AudioFirst,
}

impl Session {
    /// The first network report of `side`, from the media `source` allows.
    pub fn first_network(&self, side: Side, source: NetworkSource) -> Option<&NetworkInfo> {
        let media = || self.segments.iter().flat_map(|s| &s.media);
        let audio = media().filter(|m| m.is_audio()).find_map(|m| m.network(side));
        match source {
            NetworkSource::Audio => audio,
            NetworkSource::AudioFirst => audio.or_else(|| media().find_map(|m| m.network(side))),
        }
    }

    /// How many audio streams the session reported.
    pub fn audio_stream_count(&self) -> usize {
        self.segments.iter().flat_map(|s| &s.media).filter(|m| m.is_audio()).map(|m| m.streams.len()).sum()
    }

    /// The endpoint at `side` of the session.
    pub fn endpoint(&self, side: Side) -> Option<&Endpoint> {
        match side {
            Side::Caller => self.caller.as_ref(),
            Side::Callee => self.callee.as_ref(),
        }
    }
}

impl Media {
    /// Whether this is an audio medium (by its label).
    pub fn is_audio(&self) -> bool {
        self.kind() == Some(MediaKind::Audio)
    }

    /// The kind its label names; `None` for media that are not graded (data channels).
    pub fn kind(&self) -> Option<MediaKind> {
        self.label.as_deref().and_then(MediaKind::from_label)
    }

    /// The network report of `side`.
    pub fn network(&self, side: Side) -> Option<&NetworkInfo> {
        match side {
            Side::Caller => self.caller_network.as_ref(),
            Side::Callee => self.callee_network.as_ref(),
        }
    }

    /// The device report of `side`.
    pub fn device(&self, side: Side) -> Option<&DeviceInfo> {
        match side {
            Side::Caller => self.caller_device.as_ref(),
            Side::Callee => self.callee_device.as_ref(),
        }
    }
}

/// One end of a session: the caller or the callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    Caller,
    Callee,
}

impl Side {
    /// Who measured a stream's network metrics: the endpoint receiving it.
    pub fn receiving(direction: Option<StreamDirection>) -> Option<Self> {
        match direction? {
            StreamDirection::CallerToCallee => Some(Self::Callee),
            StreamDirection::CalleeToCaller => Some(Self::Caller),
            StreamDirection::Unknown => None,
        }
    }
}

impl Side {
    /// Both sides, caller first.
    pub const BOTH: [Side; 2] = [Side::Caller, Side::Callee];
}

/// What kind of media a stream carried, from the media `label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaKind {
    Audio,
    Video,
    /// Video-based screen sharing (`applicationsharing-video`).
    ScreenSharing,
    /// RDP-based application sharing.
    AppSharing,
}

impl MediaKind {
    /// The kind a Graph media label names; `None` for labels we do not grade (data channels).
    pub fn from_label(label: &str) -> Option<Self> {
        let label = label.to_ascii_lowercase();
        if label.contains("applicationsharing") || label.contains("appsharing") {
            Some(if label.contains("video") { Self::ScreenSharing } else { Self::AppSharing })
        } else if label.contains("video") {
            Some(Self::Video)
        } else if label.contains("audio") {
            Some(Self::Audio)
        } else {
            None
        }
    }
}

/// A participant or service endpoint of a session or segment.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `#microsoft.graph.callRecords.participantEndpoint` or `...serviceEndpoint`.
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub identity: Option<IdentitySet>,
    pub associated_identity: Option<Identity>,
    pub user_agent: Option<UserAgent>,
    /// The machine name.
    pub name: Option<String>,
    /// The user's own rating of the session (participant endpoints only).
    pub feedback: Option<UserFeedback>,
    /// How many CPU cores the endpoint's machine has.
    pub cpu_cores_count: Option<i64>,
    /// The machine's processor, as the endpoint names it.
    pub cpu_name: Option<String>,
    /// The processor's clock speed, MHz.
    pub cpu_processor_speed_in_mhz: Option<i64>,
}

/// Graph's `userFeedback`: what the user of an endpoint said about the session.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFeedback {
    #[serde(default, deserialize_with = "null_as_default")]
    pub rating: FeedbackRating,
    pub text: Option<String>,
    /// Graph's `feedbackTokenSet`: named yes/no answers ("audio echo", ...) whose names may
    /// change, so kept by name.
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, bool>,
}

/// The user's rating of a session, worst to best; `notRated` when asked and not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeedbackRating {
    NotRated,
    Bad,
    Poor,
    Fair,
    Good,
    Excellent,
    #[default]
    #[serde(other)]
    Unknown,
}

/// The client software of an endpoint.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAgent {
    /// `#microsoft.graph.callRecords.clientUserAgent` or `...serviceUserAgent`.
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    pub header_value: Option<String>,
    pub platform: Option<String>,
    pub product_family: Option<String>,
    pub application_version: Option<String>,
    /// What a service endpoint is (`skypeForBusinessAudioVideoMcu`, `mediationServer`,
    /// `gateway`, `skypeForBusinessCallQueues`, `customBot`, ...).
    pub role: Option<String>,
    /// The Entra application a client endpoint used. Graph spells it `azureADAppId`.
    #[serde(rename = "azureADAppId", alias = "azureAdAppId", default)]
    pub azure_ad_app_id: Option<String>,
    /// The Azure Communication Services resource a client endpoint belongs to.
    pub communication_service_id: Option<String>,
}

impl Endpoint {
    /// Whether this end is a service rather than a person's device: a conference server, PSTN or
    /// SBC gateway, call queue, auto attendant, bot or voicemail. Graph says so by the endpoint's
    /// or user agent's type or a service role; an endpoint naming nobody, or an application, is
    /// one too. A service's network is never the cause the helpdesk should chase.
    pub fn is_service(&self) -> bool {
        let typed = |t: &Option<String>| t.as_deref().is_some_and(|t| t.to_ascii_lowercase().contains("service"));
        let agent = self.user_agent.as_ref();
        typed(&self.odata_type)
            || agent.is_some_and(|a| typed(&a.odata_type) || a.role.is_some())
            || super::parties::endpoint_party(self).is_none_or(|p| p.kind == super::parties::PartyKind::Application)
    }
}

/// Why a session or segment failed.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInfo {
    #[serde(default, deserialize_with = "null_as_default")]
    pub stage: FailureStage,
    pub reason: Option<String>,
    /// Extra (not a Graph field): the Ms-diag code, when the producer knows it.
    pub ms_diag_code: Option<u32>,
}

/// Where in the call a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureStage {
    CallSetup,
    Midcall,
    #[default]
    #[serde(other)]
    Unknown,
}

/// A contiguous part of a session between two endpoints.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    pub id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    pub caller: Option<Endpoint>,
    pub callee: Option<Endpoint>,
    pub failure_info: Option<FailureInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub media: Vec<Media>,
}

/// One medium (audio, video, sharing) of a segment, with both sides' network and device.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// `main-audio`, `main-video`, `applicationsharing-video`, ...
    pub label: Option<String>,
    pub caller_network: Option<NetworkInfo>,
    pub callee_network: Option<NetworkInfo>,
    pub caller_device: Option<DeviceInfo>,
    pub callee_device: Option<DeviceInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub streams: Vec<MediaStream>,
}

/// Network facts of one endpoint. IPs, MAC, SSID and BSSID are personal data.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    pub ip_address: Option<String>,
    pub subnet: Option<String>,
    pub connection_type: Option<String>,
    pub dns_suffix: Option<String>,
    pub wifi_band: Option<String>,
    pub wifi_channel: Option<i64>,
    pub wifi_signal_strength: Option<i64>,
    pub wifi_radio_type: Option<String>,
    pub basic_service_set_identifier: Option<String>,
    pub mac_address: Option<String>,
    /// Graph spells it `reflexiveIPAddress`.
    #[serde(rename = "reflexiveIPAddress", alias = "reflexiveIpAddress", default)]
    pub reflexive_ip_address: Option<String>,
    /// Graph spells it `relayIPAddress`.
    #[serde(rename = "relayIPAddress", alias = "relayIpAddress", default)]
    pub relay_ip_address: Option<String>,
    pub relay_port: Option<i64>,
    pub port: Option<i64>,
    /// Bits per second.
    pub link_speed: Option<i64>,
    pub network_transport_protocol: Option<String>,
    /// Extra (not a Graph field): the Wi-Fi network name.
    pub ssid: Option<String>,
    /// Fraction of the call with too little bandwidth for the audio sent.
    pub bandwidth_low_event_ratio: Option<f64>,
    /// Fraction of the call with network delay too long for a two-way conversation.
    pub delay_event_ratio: Option<f64>,
    /// Fraction of the call the network spoiled the audio received.
    pub received_quality_event_ratio: Option<f64>,
    /// Fraction of the call the network spoiled the audio sent.
    pub sent_quality_event_ratio: Option<f64>,
    /// The route to the relay, hop by hop (Graph sends it empty unless Microsoft enables it).
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub trace_route_hops: Vec<TraceRouteHop>,
    /// Percent.
    pub wifi_battery_charge: Option<i64>,
    pub wifi_microsoft_driver: Option<String>,
    pub wifi_microsoft_driver_version: Option<String>,
    pub wifi_vendor_driver: Option<String>,
    pub wifi_vendor_driver_version: Option<String>,
}

/// One hop of a network trace route.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceRouteHop {
    pub hop_count: Option<i64>,
    pub ip_address: Option<String>,
    pub round_trip_time: Option<Millis>,
}

/// Audio devices of one endpoint and how well they worked. `...Ratio` fields are fractions of
/// the call (0..=1); signal and noise levels are energy levels in dB.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub capture_device_name: Option<String>,
    pub capture_device_driver: Option<String>,
    pub render_device_name: Option<String>,
    pub render_device_driver: Option<String>,
    pub capture_not_functioning_event_ratio: Option<f64>,
    pub render_not_functioning_event_ratio: Option<f64>,
    /// Graph spells it `cpuInsufficentEventRatio` (sic).
    #[serde(rename = "cpuInsufficentEventRatio", alias = "cpuInsufficientEventRatio", default)]
    pub cpu_insufficient_event_ratio: Option<f64>,
    pub device_clipping_event_ratio: Option<f64>,
    pub device_glitch_event_ratio: Option<f64>,
    pub howling_event_count: Option<i64>,
    pub initial_signal_level_root_mean_square: Option<f64>,
    pub low_speech_level_event_ratio: Option<f64>,
    pub low_speech_to_noise_event_ratio: Option<f64>,
    /// Glitches per five minutes.
    pub mic_glitch_rate: Option<f64>,
    pub received_noise_level: Option<i64>,
    pub received_signal_level: Option<i64>,
    pub render_mute_event_ratio: Option<f64>,
    pub render_zero_volume_event_ratio: Option<f64>,
    pub sent_noise_level: Option<i64>,
    pub sent_signal_level: Option<i64>,
    /// Glitches per five minutes.
    pub speaker_glitch_rate: Option<f64>,
}

/// Which way a stream flowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StreamDirection {
    CallerToCallee,
    CalleeToCaller,
    #[serde(other)]
    Unknown,
}

/// Quality metrics of one media stream. Durations are milliseconds once parsed.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStream {
    pub stream_id: Option<String>,
    pub stream_direction: Option<StreamDirection>,
    pub average_jitter: Option<Millis>,
    pub max_jitter: Option<Millis>,
    pub average_packet_loss_rate: Option<f64>,
    pub max_packet_loss_rate: Option<f64>,
    pub average_round_trip_time: Option<Millis>,
    pub max_round_trip_time: Option<Millis>,
    pub average_audio_degradation: Option<f64>,
    pub average_ratio_of_concealed_samples: Option<f64>,
    pub packet_utilization: Option<i64>,
    pub average_video_frame_rate: Option<f64>,
    pub average_video_frame_loss_percentage: Option<f64>,
    pub post_forward_error_correction_packet_loss_rate: Option<f64>,
    pub average_bandwidth_estimate: Option<i64>,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    pub was_media_bypassed: Option<bool>,
    /// Extra (CQD, not Graph): app sharing spoiled tiles, percent.
    pub spoiled_tile_percent_total: Option<f64>,
    /// Extra (CQD, not Graph): app sharing RDP tile processing latency.
    pub rdp_tile_processing_latency_average: Option<Millis>,
    /// Extra (CQD, not Graph): app sharing relative one-way delay.
    pub relative_one_way_average: Option<Millis>,
    /// Extra (CQD, not Graph): ICE connectivity failed; the stream is then unclassified.
    pub ice_connectivity_failed: Option<bool>,
}
