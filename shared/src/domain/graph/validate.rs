//! From a parsed call record to a [`ValidCall`], or every problem found, each with its JSON path.

use super::parties::{Party, find_parties, named_identities};
use super::record::{CallRecord, DeviceInfo, Endpoint, MediaStream, NetworkInfo, Session};
use crate::domain::ids::id_problem;
use crate::domain::problem::Problem;
use crate::domain::retention;
use time::OffsetDateTime;

/// Most sessions one call record may hold: a town hall's thousands of attendees, with rejoins.
/// The cap bounds what one record costs to store, classify and fan out (`BENCHMARKS.md`, "A
/// 25,000-session meeting").
pub const MAX_SESSIONS: usize = 25_000;
/// Most segments one session may hold: a session's segments are its stretches between network
/// changes, a handful in practice; the cap bounds what one session costs to show.
pub const MAX_SEGMENTS: usize = 1_000;
/// Most media one segment may hold: Graph gives a segment a handful (audio, video, screen
/// sharing, data); the cap bounds what one segment costs to store and rate.
pub const MAX_MEDIA: usize = 32;
/// Most streams one media may hold: Graph gives a media one per direction, a few more for
/// simulcast video; the cap bounds what one media costs to store and rate.
pub const MAX_STREAMS: usize = 32;
/// Most characters of one user agent field (a client's header, platform, product, version or
/// a service's role): real ones are tens.
pub const MAX_USER_AGENT_FIELD: usize = 1_024;
/// Most characters of a user's feedback text: a few sentences typed after a call.
pub const MAX_FEEDBACK_TEXT: usize = 4_000;
/// Most feedback tokens one endpoint may carry: Graph offers a few dozen.
pub const MAX_FEEDBACK_TOKENS: usize = 64;
/// Most hops of one trace route: IP's own limit on a path is 255, real ones are tens.
pub const MAX_TRACE_ROUTE_HOPS: usize = 255;

/// A call record that passed every check: the only form the store accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCall {
    record: CallRecord,
    parties: Vec<Party>,
    /// Where the record stood in a `{"value": [...]}` batch; `None` for a lone record.
    pub(super) batch_index: Option<usize>,
}

impl ValidCall {
    /// Checks `record` as of `now`. Collects every problem rather than stopping at the first.
    pub fn new(record: CallRecord, now: OffsetDateTime) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        check_id(&record.id, "id", &mut problems);
        if record.version < 0 {
            problems.push(Problem::invalid("version", "must not be negative"));
        }
        check_order(record.start_date_time, record.end_date_time, "", &mut problems);
        // Accepted exactly when it would be visible: items live while `expiresAt > now`.
        if record.end_date_time <= now - retention::HISTORY {
            problems.push(Problem::unacceptable(
                "endDateTime",
                format!(
                    "the call ended more than {} days ago, outside the history window",
                    retention::HISTORY.whole_days()
                ),
            ));
        }
        if record.end_date_time - record.start_date_time > retention::LONGEST_CALL {
            let days = retention::LONGEST_CALL.whole_days();
            let message = format!("the call lasts more than {days} days; callscope keeps calls of up to {days} days");
            problems.push(Problem::unacceptable("endDateTime", message));
        }
        if record.start_date_time > now + retention::FUTURE_TOLERANCE {
            problems.push(Problem::unacceptable("startDateTime", "the call starts more than a day in the future"));
        }
        if record.sessions.len() > MAX_SESSIONS {
            let count = record.sessions.len();
            problems.push(Problem::unacceptable(
                "sessions",
                format!("holds {count} sessions; at most {MAX_SESSIONS} per call record"),
            ));
        } else {
            for (i, session) in record.sessions.iter().enumerate() {
                check_session(session, &format!("sessions[{i}]"), &mut problems);
            }
        }
        let found = find_parties(&record);
        // Every id the record names anyone by, secondary and associated ones too: each may key
        // an erasure's marker and the party index.
        // Each id once, where it first appears.
        let mut seen = std::collections::BTreeSet::new();
        for (id, path) in named_identities(&record) {
            if seen.insert(id.clone()) {
                check_id(&id, &path, &mut problems);
            }
        }
        if problems.is_empty() {
            Ok(Self { record, parties: found.into_iter().map(|f| f.party).collect(), batch_index: None })
        } else {
            Err(problems)
        }
    }

    /// The accepted record.
    pub fn record(&self) -> &CallRecord {
        &self.record
    }

    /// Where the record stood in its batch (`None` for a lone record): what a problem found
    /// after validation reports as its `index`.
    pub fn batch_index(&self) -> Option<usize> {
        self.batch_index
    }

    /// Every distinct party, organizer first.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// The call as it is stored once every person in `erased` has been taken out (their
    /// identity replaced by the placeholder, their side's network and devices dropped): a record
    /// that arrives after someone's erasure never brings them back.
    pub fn without(mut self, erased: &std::collections::BTreeSet<String>) -> Self {
        let mut changed = false;
        for id in erased {
            changed |= self.record.erase_party(id);
        }
        if changed {
            self.parties = find_parties(&self.record).into_iter().map(|f| f.party).collect();
        }
        self
    }
}

fn check_id(id: &str, path: &str, problems: &mut Vec<Problem>) {
    problems.extend(id_problem(id).map(|message| Problem::invalid(path, message)));
}

fn check_order(start: OffsetDateTime, end: OffsetDateTime, path: &str, problems: &mut Vec<Problem>) {
    if end < start {
        let at = if path.is_empty() { "endDateTime".to_owned() } else { format!("{path}.endDateTime") };
        problems.push(Problem::invalid(at, "ends before it starts"));
    }
}

fn check_session(session: &Session, path: &str, problems: &mut Vec<Problem>) {
    if let Some(id) = &session.id {
        check_id(id, &format!("{path}.id"), problems);
    }
    if let (Some(start), Some(end)) = (session.start_date_time, session.end_date_time) {
        check_order(start, end, path, problems);
    }
    if session.segments.len() > MAX_SEGMENTS {
        let message = format!("holds {} segments; at most {MAX_SEGMENTS} per session", session.segments.len());
        problems.push(Problem::unacceptable(format!("{path}.segments"), message));
        return;
    }
    let endpoints =
        [("caller", &session.caller), ("callee", &session.callee)].into_iter().map(|(n, e)| (n.to_owned(), e));
    let segment_endpoints = session.segments.iter().enumerate().flat_map(|(s, segment)| {
        [("caller", &segment.caller), ("callee", &segment.callee)].map(|(n, e)| (format!("segments[{s}].{n}"), e))
    });
    for (side, endpoint) in endpoints.chain(segment_endpoints) {
        if let Some(endpoint) = endpoint {
            check_endpoint(endpoint, &format!("{path}.{side}"), problems);
        }
    }
    for (s, segment) in session.segments.iter().enumerate() {
        let segment_path = format!("{path}.segments[{s}]");
        if let (Some(start), Some(end)) = (segment.start_date_time, segment.end_date_time) {
            check_order(start, end, &segment_path, problems);
        }
        if segment.media.len() > MAX_MEDIA {
            let message = format!("holds {} media; at most {MAX_MEDIA} per segment", segment.media.len());
            problems.push(Problem::unacceptable(format!("{segment_path}.media"), message));
            continue;
        }
        for (m, media) in segment.media.iter().enumerate() {
            let media_path = format!("{segment_path}.media[{m}]");
            if media.streams.len() > MAX_STREAMS {
                let message = format!("holds {} streams; at most {MAX_STREAMS} per media", media.streams.len());
                problems.push(Problem::unacceptable(format!("{media_path}.streams"), message));
                continue;
            }
            for (side, device) in [("callerDevice", &media.caller_device), ("calleeDevice", &media.callee_device)] {
                if let Some(device) = device {
                    check_device(device, &format!("{media_path}.{side}"), problems);
                }
            }
            for (side, network) in [("callerNetwork", &media.caller_network), ("calleeNetwork", &media.callee_network)]
            {
                if let Some(network) = network {
                    check_network(network, &format!("{media_path}.{side}"), problems);
                }
            }
            for (k, stream) in media.streams.iter().enumerate() {
                check_stream(stream, &format!("{media_path}.streams[{k}]"), problems);
            }
        }
    }
}

/// A participant's or service's endpoint: its user agent's text fields bounded, its machine's
/// figures not negative, its user's feedback bounded.
fn check_endpoint(endpoint: &Endpoint, path: &str, problems: &mut Vec<Problem>) {
    let too_long = |value: &Option<String>, max: usize| value.as_ref().is_some_and(|v| v.chars().count() > max);
    let mut texts = vec![("cpuName", &endpoint.cpu_name, MAX_USER_AGENT_FIELD)];
    if let Some(agent) = &endpoint.user_agent {
        texts.extend([
            ("userAgent.headerValue", &agent.header_value, MAX_USER_AGENT_FIELD),
            ("userAgent.platform", &agent.platform, MAX_USER_AGENT_FIELD),
            ("userAgent.productFamily", &agent.product_family, MAX_USER_AGENT_FIELD),
            ("userAgent.applicationVersion", &agent.application_version, MAX_USER_AGENT_FIELD),
            ("userAgent.role", &agent.role, MAX_USER_AGENT_FIELD),
            ("userAgent.azureADAppId", &agent.azure_ad_app_id, MAX_USER_AGENT_FIELD),
            ("userAgent.communicationServiceId", &agent.communication_service_id, MAX_USER_AGENT_FIELD),
        ]);
    }
    if let Some(feedback) = &endpoint.feedback {
        texts.push(("feedback.text", &feedback.text, MAX_FEEDBACK_TEXT));
        if feedback.tokens.len() > MAX_FEEDBACK_TOKENS {
            let message = format!("holds {} tokens; at most {MAX_FEEDBACK_TOKENS}", feedback.tokens.len());
            problems.push(Problem::unacceptable(format!("{path}.feedback.tokens"), message));
        }
    }
    for (name, value, max) in texts {
        if too_long(value, max) {
            problems.push(Problem::unacceptable(format!("{path}.{name}"), format!("is longer than {max} characters")));
        }
    }
    check_not_negative(endpoint.cpu_cores_count, path, "cpuCoresCount", problems);
    check_not_negative(endpoint.cpu_processor_speed_in_mhz, path, "cpuProcessorSpeedInMhz", problems);
}

/// Event ratios are fractions of the call; counts and glitch rates are not negative.
fn check_device(device: &DeviceInfo, path: &str, problems: &mut Vec<Problem>) {
    let ratios = [
        ("captureNotFunctioningEventRatio", device.capture_not_functioning_event_ratio),
        ("renderNotFunctioningEventRatio", device.render_not_functioning_event_ratio),
        ("cpuInsufficentEventRatio", device.cpu_insufficient_event_ratio),
        ("deviceClippingEventRatio", device.device_clipping_event_ratio),
        ("deviceGlitchEventRatio", device.device_glitch_event_ratio),
        ("lowSpeechLevelEventRatio", device.low_speech_level_event_ratio),
        ("lowSpeechToNoiseEventRatio", device.low_speech_to_noise_event_ratio),
        ("renderMuteEventRatio", device.render_mute_event_ratio),
        ("renderZeroVolumeEventRatio", device.render_zero_volume_event_ratio),
    ];
    for (field, value) in ratios {
        check_range(value, 0.0, 1.0, path, field, problems);
    }
    check_not_negative(device.howling_event_count, path, "howlingEventCount", problems);
    for (field, value) in [("micGlitchRate", device.mic_glitch_rate), ("speakerGlitchRate", device.speaker_glitch_rate)]
    {
        if value.is_some_and(|v| v < 0.0) {
            problems.push(Problem::invalid(format!("{path}.{field}"), "must not be negative"));
        }
    }
}

/// Event ratios are fractions of the call, signal strength and battery charge percentages,
/// ports 0..=65535; a trace route is bounded.
fn check_network(network: &NetworkInfo, path: &str, problems: &mut Vec<Problem>) {
    let ratios = [
        ("bandwidthLowEventRatio", network.bandwidth_low_event_ratio),
        ("delayEventRatio", network.delay_event_ratio),
        ("receivedQualityEventRatio", network.received_quality_event_ratio),
        ("sentQualityEventRatio", network.sent_quality_event_ratio),
    ];
    for (field, value) in ratios {
        check_range(value, 0.0, 1.0, path, field, problems);
    }
    let integers = [
        ("wifiSignalStrength", network.wifi_signal_strength, 0, 100),
        ("wifiBatteryCharge", network.wifi_battery_charge, 0, 100),
        ("port", network.port, 0, 65_535),
        ("relayPort", network.relay_port, 0, 65_535),
    ];
    for (field, value, min, max) in integers {
        check_range(value.map(|v| v as f64), min as f64, max as f64, path, field, problems);
    }
    check_not_negative(network.wifi_channel, path, "wifiChannel", problems);
    check_not_negative(network.link_speed, path, "linkSpeed", problems);
    if network.trace_route_hops.len() > MAX_TRACE_ROUTE_HOPS {
        let message = format!("holds {} hops; at most {MAX_TRACE_ROUTE_HOPS}", network.trace_route_hops.len());
        problems.push(Problem::unacceptable(format!("{path}.traceRouteHops"), message));
        return;
    }
    for (i, hop) in network.trace_route_hops.iter().enumerate() {
        check_not_negative(hop.hop_count, &format!("{path}.traceRouteHops[{i}]"), "hopCount", problems);
    }
}

fn check_not_negative(value: Option<i64>, path: &str, field: &str, problems: &mut Vec<Problem>) {
    if value.is_some_and(|v| v < 0) {
        problems.push(Problem::invalid(format!("{path}.{field}"), "must not be negative"));
    }
}

/// Rates are fractions, percentages are 0..=100, MOS degradation is 0..=5: anything else is a
/// producer bug that would otherwise grade as a false red or a false normal.
fn check_stream(stream: &MediaStream, path: &str, problems: &mut Vec<Problem>) {
    let ranges = [
        ("averagePacketLossRate", stream.average_packet_loss_rate, 0.0, 1.0),
        ("maxPacketLossRate", stream.max_packet_loss_rate, 0.0, 1.0),
        ("averageRatioOfConcealedSamples", stream.average_ratio_of_concealed_samples, 0.0, 1.0),
        ("averageAudioDegradation", stream.average_audio_degradation, 0.0, 5.0),
        ("averageVideoFrameRate", stream.average_video_frame_rate, 0.0, 1_000.0),
        ("averageVideoFrameLossPercentage", stream.average_video_frame_loss_percentage, 0.0, 100.0),
        ("postForwardErrorCorrectionPacketLossRate", stream.post_forward_error_correction_packet_loss_rate, 0.0, 1.0),
    ];
    for (field, value, min, max) in ranges {
        check_range(value, min, max, path, field, problems);
    }
    check_not_negative(stream.packet_utilization, path, "packetUtilization", problems);
}

fn check_range(value: Option<f64>, min: f64, max: f64, path: &str, field: &str, problems: &mut Vec<Problem>) {
    if let Some(v) = value.filter(|v| !(min..=max).contains(v)) {
        let problem = Problem::invalid(format!("{path}.{field}"), format!("{v} is outside {min}..={max}"));
        problems.push(problem.quoting(format!("is outside {min}..={max}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A call of one session of one segment holding `media` media of `streams` streams each;
    /// the paths of the problems validation finds.
    fn problems(media: usize, streams: usize) -> Vec<String> {
        let stream = json!({ "streamDirection": "callerToCallee", "averagePacketLossRate": 0.01 });
        let one = json!({ "label": "main-audio", "streams": vec![stream; streams] });
        let (start, end) = ("2026-12-04T08:00:00Z", "2026-12-04T08:30:00Z");
        let json = json!({
            "id": "c", "version": 1, "type": "groupCall", "modalities": ["audio"],
            "startDateTime": start, "endDateTime": end,
            "sessions": [{ "id": "s", "startDateTime": start, "endDateTime": end,
                "segments": [{ "id": "g", "startDateTime": start, "endDateTime": end, "media": vec![one; media] }] }],
        });
        let record: CallRecord = serde_json::from_value(json).unwrap();
        match ValidCall::new(record, time::macros::datetime!(2026-12-04 10:00 UTC)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.path).collect(),
        }
    }

    #[test]
    fn media_and_streams_are_accepted_up_to_their_caps_and_refused_past_them() {
        assert_eq!(problems(MAX_MEDIA, MAX_STREAMS), Vec::<String>::new());
        assert_eq!(problems(MAX_MEDIA + 1, 1), ["sessions[0].segments[0].media"]);
        let streams = problems(1, MAX_STREAMS + 1);
        assert_eq!(streams, ["sessions[0].segments[0].media[0].streams"]);
    }

    #[test]
    fn a_call_lasting_the_longest_accepted_is_kept_and_one_second_more_is_refused() {
        let end = time::macros::datetime!(2026-12-04 09:00 UTC);
        let problems_of = |start: time::OffsetDateTime| {
            let rfc = |t: time::OffsetDateTime| crate::support::clock::rfc3339(t);
            let json = json!({ "id": "c", "version": 1, "type": "groupCall", "modalities": ["audio"],
                "startDateTime": rfc(start), "endDateTime": rfc(end), "sessions": [] });
            let record: CallRecord = serde_json::from_value(json).unwrap();
            match ValidCall::new(record, time::macros::datetime!(2026-12-04 10:00 UTC)) {
                Ok(_) => Vec::new(),
                Err(problems) => problems.into_iter().map(|p| p.path).collect(),
            }
        };
        assert_eq!(problems_of(end - retention::LONGEST_CALL), Vec::<String>::new());
        let longer = problems_of(end - retention::LONGEST_CALL - time::Duration::seconds(1));
        assert_eq!(longer, ["endDateTime"]);
    }
}
