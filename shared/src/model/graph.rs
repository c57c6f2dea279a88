//! Microsoft Graph `callRecord` (v1.0) as typed values.
//!
//! Tolerant by design: every field that Graph may omit or send as `null` is an `Option` (or an
//! empty list), unknown fields are ignored, and unknown enum values map to `Unknown`. The same
//! types are stored in DynamoDB (through serde_dynamo), so a stored record reads back as the
//! record that was accepted. Two extras that Graph lacks are accepted: `networkInfo.ssid` and
//! `failureInfo.msDiagCode`.

use super::duration::Millis;
use serde::{Deserialize, Deserializer, Serialize};
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
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_web_url: Option<String>,
    /// The meeting organizer (Graph's current property).
    #[serde(rename = "organizer_v2", default, skip_serializing_if = "Option::is_none")]
    pub organizer_v2: Option<Participant>,
    /// Every participant (Graph's current property).
    #[serde(rename = "participants_v2", default, deserialize_with = "null_as_default")]
    pub participants_v2: Vec<Participant>,
    /// Deprecated by Graph, still sent by older producers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<IdentitySet>,
    /// Deprecated by Graph, still sent by older producers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub participants: Vec<IdentitySet>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sessions: Vec<Session>,
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentitySet>,
}

/// Graph's `communicationsIdentitySet`: exactly one of these is usually present.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_instance: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Identity>,
}

/// A user, guest, phone number, application or device identity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
}

/// One leg of a call between two endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub modalities: Vec<Modality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_info: Option<FailureInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub segments: Vec<Segment>,
}

impl Session {
    /// The first network report of the caller (`true`) or callee, from audio media when
    /// `audio_only`, else preferring audio and falling back to any medium.
    pub fn first_network(&self, caller: bool, audio_only: bool) -> Option<&NetworkInfo> {
        fn of(m: &Media, caller: bool) -> Option<&NetworkInfo> {
            if caller { m.caller_network.as_ref() } else { m.callee_network.as_ref() }
        }
        let media = || self.segments.iter().flat_map(|s| &s.media);
        let audio = media().filter(|m| m.is_audio()).find_map(|m| of(m, caller));
        if audio_only { audio } else { audio.or_else(|| media().find_map(|m| of(m, caller))) }
    }

    /// How many audio streams the session reported.
    pub fn audio_stream_count(&self) -> usize {
        self.segments.iter().flat_map(|s| &s.media).filter(|m| m.is_audio()).map(|m| m.streams.len()).sum()
    }
}

impl Media {
    /// Whether this is an audio medium (by its label).
    pub fn is_audio(&self) -> bool {
        self.label.as_deref().and_then(crate::classify::MediaKind::from_label)
            == Some(crate::classify::MediaKind::Audio)
    }
}

/// A participant or service endpoint of a session or segment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentitySet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub associated_identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<UserAgent>,
    /// The machine name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The client software of an endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAgent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_version: Option<String>,
}

/// Why a session or segment failed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInfo {
    #[serde(default, deserialize_with = "null_as_default")]
    pub stage: FailureStage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Extra (not a Graph field): the Ms-diag code, when the producer knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee: Option<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_info: Option<FailureInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub media: Vec<Media>,
}

/// One medium (audio, video, sharing) of a segment, with both sides' network and device.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Media {
    /// `main-audio`, `main-video`, `applicationsharing-video`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_network: Option<NetworkInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee_network: Option<NetworkInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_device: Option<DeviceInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee_device: Option<DeviceInfo>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub streams: Vec<MediaStream>,
}

/// Network facts of one endpoint. IPs, MAC, SSID and BSSID are personal data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_band: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_channel: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_signal_strength: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_radio_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_service_set_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// Graph spells it `reflexiveIPAddress`.
    #[serde(
        rename = "reflexiveIPAddress",
        alias = "reflexiveIpAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reflexive_ip_address: Option<String>,
    /// Graph spells it `relayIPAddress`.
    #[serde(rename = "relayIPAddress", alias = "relayIpAddress", default, skip_serializing_if = "Option::is_none")]
    pub relay_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_speed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_transport_protocol: Option<String>,
    /// Extra (not a Graph field): the Wi-Fi network name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssid: Option<String>,
}

/// Audio devices of one endpoint and how well they worked.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_device_driver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_device_driver: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_not_functioning_event_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_not_functioning_event_ratio: Option<f64>,
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStream {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_direction: Option<StreamDirection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_jitter: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_jitter: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_packet_loss_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_packet_loss_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_round_trip_time: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_round_trip_time: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_audio_degradation: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_ratio_of_concealed_samples: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_utilization: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_video_frame_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_video_frame_loss_percentage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_forward_error_correction_packet_loss_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_bandwidth_estimate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_codec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_codec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_media_bypassed: Option<bool>,
    /// Extra (CQD, not Graph): app sharing spoiled tiles, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoiled_tile_percent_total: Option<f64>,
    /// Extra (CQD, not Graph): app sharing RDP tile processing latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rdp_tile_processing_latency_average: Option<Millis>,
    /// Extra (CQD, not Graph): app sharing relative one-way delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_one_way_average: Option<Millis>,
    /// Extra (CQD, not Graph): ICE connectivity failed; the stream is then unclassified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ice_connectivity_failed: Option<bool>,
}
