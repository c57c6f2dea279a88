//! A call's detail as each role may see it.
//!
//! [`SpecialistCall`] and [`EngineerCall`] are different types: a specialist's session is a
//! [`SessionOverview`], which has no `advanced` or `debug` field, so no code path can put
//! Advanced or Debug data into a specialist's response.

use super::party::{EngineerParty, PartyView, SpecialistParty, Viewer};
use super::reports::{
    AdvancedSegment, DebugSegment, Failure, Feedback, System, advanced_segments, debug_segments, failure, feedback,
};
use super::timeline::{DeviceReport, NetworkDebug, NetworkReport, SegmentDetail, timeline};
use crate::domain::calls::{CallSummary, IndexedSession, StoredCall};
use crate::domain::classify::cause::{describe_as, main_cause};
use crate::domain::classify::{GradedMetric, Issue, LikelyAt, Rating, SessionRatings, SessionResult};
use crate::domain::graph::parties::{endpoint_party, sessions_by_party};
use crate::domain::graph::{CallType, Endpoint, NetworkInfo, NetworkSource, Party, Session, Side};
use crate::domain::sites::{Building, EndpointRow, Sites};
use serde::Serialize;
use time::OffsetDateTime;

/// The call detail a support specialist gets.
pub type SpecialistCall = CallDetail<SpecialistParty, SessionOverview<SpecialistParty>>;
/// The call detail a support engineer or admin gets.
pub type EngineerCall = CallDetail<EngineerParty, EngineerSession>;

/// A call as seen from the searched user.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallDetail<P, S> {
    pub call_id: String,
    #[serde(rename = "type")]
    pub call_type: CallType,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub duration_seconds: i64,
    /// The searched user's own rating: of the sessions they took part in.
    pub rating: Rating,
    /// The whole call's: its worst session of anyone's.
    pub call_rating: Rating,
    /// The searched user, as this role may see them (every role sees their name).
    pub user: Option<P>,
    pub participant_count: usize,
    /// Everyone, for a call of at most [`INLINE_PARTICIPANTS`]; else the organizer and the
    /// user (`participantsComplete` false: the rest are paged by `/calls/{id}/participants`).
    pub participants: Vec<P>,
    pub participants_complete: bool,
    pub session_count: usize,
    /// How many sessions got each rating, once rated.
    pub session_ratings: Option<SessionRatings>,
    /// Which sessions `sessions` holds: `all` of a call of at most [`INLINE_SESSIONS`], or the
    /// user's `own`.
    pub sessions_included: SessionsIncluded,
    /// Whether sessions of that kind were left out to keep the response under 1 MB (the rest
    /// are paged by `/calls/{id}/sessions`).
    pub more_sessions: bool,
    pub sessions: Vec<S>,
}

/// Which of a call's sessions its detail holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionsIncluded {
    All,
    Own,
}

/// Most sessions a call's detail holds all of; a larger call's detail holds the user's own.
pub const INLINE_SESSIONS: usize = 50;
/// Most parties a call's detail lists all of.
pub const INLINE_PARTICIPANTS: usize = 100;
/// Most JSON bytes the sessions of one response take (after the first), so that a detail or a
/// page of sessions stays under 1 MB whatever the call.
pub const SESSIONS_BUDGET: usize = 900 * 1024;

/// What every role sees of a session.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOverview<P> {
    /// The session's place in the call (0-based): what `/calls/{id}/sessions` pages by.
    pub index: usize,
    pub id: Option<String>,
    pub caller: P,
    pub callee: P,
    #[serde(with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub end_date_time: Option<OffsetDateTime>,
    /// `pending` until classify has rated the call.
    pub rating: Rating,
    pub issues: Vec<Issue>,
    /// The main cause in one sentence, the ends named as this role may see them.
    pub main_cause: String,
    /// The end the main cause most likely lies at (`caller`, `callee`, `both`); never a
    /// service's.
    pub likely_at: Option<LikelyAt>,
    /// The graded metrics of the segments shown.
    pub metrics: Vec<MetricView>,
    /// Where each side was, from the building file: building and city only.
    pub location: Option<Sides<Option<Location>>>,
    /// How many segments the session has.
    pub segment_count: usize,
    /// How many of them (the first) this view shows, when not all: a session's segments are
    /// shown up to [`SEGMENTS_JSON_BUDGET`] of their JSON, so one session of a thousand
    /// segments cannot make a response Lambda refuses.
    pub segments_shown: Option<usize>,
}

/// Most JSON of one session's segments a view shows (at least the first segment): a view is
/// ~4.5 times the JSON it shows (graded metrics, both sides' reports), so one session's view
/// stays well under the budget of a response of sessions ([`SESSIONS_BUDGET`]).
pub const SEGMENTS_JSON_BUDGET: usize = 150 * 1024;

/// How many of `session`'s segments a view shows: the first whose JSON fits
/// [`SEGMENTS_JSON_BUDGET`], and always the first.
fn shown_segments(session: &Session) -> usize {
    let mut bytes = 0;
    for (index, segment) in session.segments.iter().enumerate() {
        bytes += serde_json::to_vec(segment).map_or(usize::MAX, |json| json.len());
        if index > 0 && bytes > SEGMENTS_JSON_BUDGET {
            return index;
        }
    }
    session.segments.len()
}

/// The site of an endpoint, as every role may see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub building_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub city: String,
}

impl From<&Building> for Location {
    fn from(building: &Building) -> Self {
        Self { building_name: building.building_name.clone(), city: building.city.clone() }
    }
}

/// One graded metric, with the id of the segment it was measured in.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricView {
    pub segment_id: Option<String>,
    #[serde(flatten)]
    pub graded: GradedMetric,
}

/// An engineer's or admin's session: the overview plus Advanced (a summary per side, and the
/// whole timeline of segments) and Debug.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineerSession {
    #[serde(flatten)]
    pub overview: SessionOverview<EngineerParty>,
    pub advanced: Sides<Advanced>,
    /// Every segment shown (`segmentsShown`) as both sides reported it, every stream with its
    /// statistics and grades.
    pub timeline: Vec<SegmentDetail>,
    pub debug: SessionDebug,
}

/// The same facts for both ends of a session.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sides<T> {
    pub caller: T,
    pub callee: T,
}

/// Advanced data of one endpoint (tier 2 and admin only).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Advanced {
    /// The endpoint's client and machine (platform, product family, version, CPU).
    pub system: Option<System>,
    /// The headline device report: the first (devices and drivers, not-functioning ratios).
    #[serde(flatten)]
    pub device: Option<DeviceReport>,
    /// The headline network report: the first, preferring audio (IP, subnet, connection,
    /// Wi-Fi, relay used); the one the building is found by.
    #[serde(flatten)]
    pub network: Option<NetworkReport>,
    /// The building row whose network holds the endpoint's subnet (or IP).
    pub building: Option<Building>,
    /// The endpoint file's row for the machine name: make, model, type, labels.
    pub endpoint: Option<EndpointRow>,
    /// The user's own rating of the session.
    pub feedback: Option<Feedback>,
    /// Every report of every segment shown, per medium, grouped (Device, Connectivity,
    /// Network), with a segment's own System where it differs from the session's.
    pub segments: Vec<AdvancedSegment>,
}

/// Debug data of one endpoint (tier 2 and admin only).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Debug {
    /// The Debug fields of the same network report as Advanced's headline.
    #[serde(flatten)]
    pub network: Option<NetworkDebug>,
    pub user_agent: Option<String>,
    /// The Entra application a client endpoint used.
    pub azure_ad_app_id: Option<String>,
    /// The Azure Communication Services resource of a client endpoint.
    pub communication_service_id: Option<String>,
    /// The Debug fields of every network report of every segment shown, per medium.
    pub segments: Vec<DebugSegment>,
}

/// A session's Debug data: both ends', and the ids and failure an engineer quotes to Microsoft.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDebug {
    pub caller: Debug,
    pub callee: Debug,
    pub call_id: String,
    pub session_id: Option<String>,
    /// The meeting's thread id, from its join URL (`19:meeting_...@thread.v2`).
    pub conference_id: Option<String>,
    /// The session's failure (else its first segment's), when it failed.
    pub failure: Option<Failure>,
}

/// A way of showing sessions; one implementation per role.
pub trait SessionView: Serialize + Sized {
    /// Session `index` of the call, with its result once rated.
    fn of(index: usize, session: &Session, result: Option<&SessionResult>, context: &Context) -> Self;
}

/// What a session view draws on besides the session.
pub struct Context<'a> {
    pub summary: &'a CallSummary,
    pub viewer: &'a Viewer<'a>,
    pub sites: &'a Sites,
}

/// Builds the detail of `stored` for `viewer`, in the role's types, with `sites` mapped.
pub fn call_detail<P: PartyView, S: SessionView>(
    stored: &StoredCall,
    viewer: &Viewer,
    sites: &Sites,
) -> CallDetail<P, S> {
    let summary = &stored.summary;
    let context = Context { summary, viewer, sites };
    let count = stored.sessions.len();
    let (included, indexes): (_, Vec<usize>) = if count <= INLINE_SESSIONS {
        (SessionsIncluded::All, (0..count).collect())
    } else {
        let own = sessions_by_party(&stored.sessions).remove(viewer.searched_user).unwrap_or_default();
        (SessionsIncluded::Own, own.into_iter().map(|i| i as usize).collect())
    };
    let (sessions, more_sessions) =
        within_budget(indexes.into_iter().map(|i| session_view(stored, i, &context)), usize::MAX);
    let complete = summary.parties.len() <= INLINE_PARTICIPANTS;
    let listed = |p: &&Party| complete || p.id == viewer.searched_user || summary.organizer_id.as_ref() == Some(&p.id);
    CallDetail {
        call_id: summary.call_id.clone(),
        call_type: summary.call_type,
        version: summary.version,
        start_date_time: summary.start_date_time,
        end_date_time: summary.end_date_time,
        duration_seconds: summary.duration_seconds(),
        rating: stored.verdict_of(viewer.searched_user).rating,
        call_rating: summary.rating,
        user: summary.parties.iter().find(|p| p.id == viewer.searched_user).map(|p| P::of(p, viewer)),
        participant_count: summary.parties.len(),
        participants: summary.parties.iter().filter(listed).map(|p| P::of(p, viewer)).collect(),
        participants_complete: complete,
        session_count: count,
        session_ratings: stored.results.as_deref().map(|r| SessionRatings::of(r.iter())),
        sessions_included: included,
        more_sessions,
        sessions,
    }
}

/// Session `index` of `stored` in the view `S`.
fn session_view<S: SessionView>(stored: &StoredCall, index: usize, context: &Context) -> S {
    let result = stored.results.as_deref().and_then(|r| r.get(index));
    S::of(index, &stored.sessions[index], result, context)
}

/// The first of `views` that fit [`SESSIONS_BUDGET`] (the first always does), at most `limit`;
/// and whether any were left out.
fn within_budget<S: Serialize>(views: impl Iterator<Item = S>, limit: usize) -> (Vec<S>, bool) {
    let (mut kept, mut bytes) = (Vec::new(), 0);
    for view in views {
        let size = serde_json::to_vec(&view).map_or(usize::MAX, |json| json.len());
        if kept.len() == limit || (!kept.is_empty() && bytes + size > SESSIONS_BUDGET) {
            return (kept, true);
        }
        bytes += size;
        kept.push(view);
    }
    (kept, false)
}

/// Which sessions a page of sessions holds: those whose rating is `rating` (any if `None`),
/// from session `start` on, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFilter {
    pub rating: Option<Rating>,
    pub start: usize,
    pub limit: usize,
}

impl SessionFilter {
    /// Whether a session with `result` (`None` until rated) is one this filter keeps.
    pub fn selects(&self, result: Option<&SessionResult>) -> bool {
        self.rating.is_none_or(|rating| result.map_or(Rating::Pending, |r| r.rating) == rating)
    }

    /// How many selected sessions a page is built from: one more than it shows, so whether
    /// there is a next page is known.
    pub fn wanted(&self) -> usize {
        self.limit.saturating_add(1)
    }

    /// The sessions of `stored` this filter selects, from its start on, at most
    /// [`Self::wanted`]: a page's sessions when the whole call was read.
    pub fn select(&self, stored: &StoredCall) -> Vec<IndexedSession> {
        let result = |i: usize| stored.results.as_deref().and_then(|r| r.get(i));
        (self.start..stored.sessions.len())
            .filter(|&i| self.selects(result(i)))
            .take(self.wanted())
            .map(|i| IndexedSession { index: i, session: stored.sessions[i].clone(), result: result(i).cloned() })
            .collect()
    }
}

/// A page of the call of `summary`'s sessions in the view `S`: the first of `selected` (in call
/// order, as [`SessionFilter::select`] chooses them), at most `limit`, within
/// [`SESSIONS_BUDGET`]; and the index the next page starts at (`None` after the last).
pub fn session_page<S: SessionView>(
    summary: &CallSummary,
    viewer: &Viewer,
    sites: &Sites,
    selected: &[IndexedSession],
    limit: usize,
) -> (Vec<S>, Option<usize>) {
    let context = Context { summary, viewer, sites };
    let views = selected.iter().map(|s| S::of(s.index, &s.session, s.result.as_ref(), &context));
    let (page, more) = within_budget(views, limit);
    let next = more.then(|| selected[page.len()].index);
    (page, next)
}

/// A page of `summary`'s parties in the view `P`: at most `limit` from party `start` on; and
/// where the next page starts (`None` after the last).
pub fn participant_page<P: PartyView>(
    summary: &CallSummary,
    viewer: &Viewer,
    start: usize,
    limit: usize,
) -> (Vec<P>, Option<usize>) {
    let end = start.saturating_add(limit).min(summary.parties.len());
    let page = summary.parties.get(start..end).unwrap_or_default().iter().map(|p| P::of(p, viewer)).collect();
    (page, (end < summary.parties.len()).then_some(end))
}

/// The party behind an endpoint, enriched with what the call's summary knows of it.
fn endpoint_view<P: PartyView>(endpoint: Option<&Endpoint>, summary: &CallSummary, viewer: &Viewer) -> P {
    match endpoint.and_then(endpoint_party) {
        Some(party) => {
            let known = summary.parties.iter().find(|p| p.id == party.id && p.kind == party.kind);
            P::of(known.unwrap_or(&party), viewer)
        }
        None => P::service(),
    }
}

/// The building of the endpoint that reported `network`.
fn building<'a>(network: Option<&NetworkInfo>, sites: &'a Sites) -> Option<&'a Building> {
    let network = network?;
    sites.buildings.locate(network.subnet.as_deref(), network.ip_address.as_deref())
}

impl<P: PartyView> SessionView for SessionOverview<P> {
    fn of(index: usize, session: &Session, result: Option<&SessionResult>, context: &Context) -> Self {
        let (summary, viewer) = (context.summary, context.viewer);
        let location = |side| building(first_network(session, side), context.sites).map(Location::from);
        let location = Sides { caller: location(Side::Caller), callee: location(Side::Callee) };
        let location = (location.caller.is_some() || location.callee.is_some()).then_some(location);
        let shown = shown_segments(session);
        let metrics = result
            .map(|r| {
                r.metrics
                    .iter()
                    .filter(|m| (m.segment as usize) < shown)
                    .map(|m| MetricView {
                        segment_id: session.segments.get(m.segment as usize).and_then(|s| s.id.clone()),
                        graded: m.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let caller: P = endpoint_view(session.caller.as_ref(), summary, viewer);
        let callee: P = endpoint_view(session.callee.as_ref(), summary, viewer);
        let likely_at = result.and_then(|r| r.likely_at);
        let main_cause = result
            .and_then(|r| main_cause(&r.issues))
            .map(|main| {
                describe_as(main, likely_at, |side| match side {
                    Side::Caller => caller.label(),
                    Side::Callee => callee.label(),
                })
            })
            .unwrap_or_default();
        Self {
            index,
            id: session.id.clone(),
            caller,
            callee,
            start_date_time: session.start_date_time,
            end_date_time: session.end_date_time,
            rating: result.map_or(Rating::Pending, |r| r.rating),
            issues: result.map(|r| r.issues.clone()).unwrap_or_default(),
            main_cause,
            likely_at,
            metrics,
            location,
            segment_count: session.segments.len(),
            segments_shown: (shown < session.segments.len()).then_some(shown),
        }
    }
}

impl SessionView for EngineerSession {
    fn of(index: usize, session: &Session, result: Option<&SessionResult>, context: &Context) -> Self {
        let (caller_net, callee_net) = (first_network(session, Side::Caller), first_network(session, Side::Callee));
        let overview: SessionOverview<EngineerParty> = SessionOverview::of(index, session, result, context);
        // The segments the overview's metrics show, measured once.
        let shown = overview.segments_shown.unwrap_or(overview.segment_count);
        Self {
            overview,
            advanced: Sides {
                caller: advanced(session, Side::Caller, caller_net, context.sites, shown),
                callee: advanced(session, Side::Callee, callee_net, context.sites, shown),
            },
            timeline: timeline(session, result, shown),
            debug: SessionDebug {
                caller: debug(session, Side::Caller, caller_net, shown),
                callee: debug(session, Side::Callee, callee_net, shown),
                call_id: context.summary.call_id.clone(),
                session_id: session.id.clone(),
                conference_id: context.summary.conference_id.clone(),
                failure: failure(session),
            },
        }
    }
}

/// The first network report of one side, preferring audio (the stream quality is judged on).
fn first_network(session: &Session, side: Side) -> Option<&NetworkInfo> {
    session.first_network(side, NetworkSource::AudioFirst)
}

/// The Advanced data of `side`: the headline reports (`network` the one chosen), the building,
/// and every report of the first `shown` segments.
fn advanced(session: &Session, side: Side, network: Option<&NetworkInfo>, sites: &Sites, shown: usize) -> Advanced {
    let endpoint = session.endpoint(side);
    let device = session.segments.iter().flat_map(|s| &s.media).find_map(|m| m.device(side));
    Advanced {
        system: endpoint.and_then(System::of),
        device: device.map(DeviceReport::of),
        network: network.map(NetworkReport::of),
        building: building(network, sites).cloned(),
        endpoint: endpoint.and_then(|e| e.name.as_deref()).and_then(|name| sites.endpoints.lookup(name)).cloned(),
        feedback: feedback(session, side),
        segments: advanced_segments(session, side, shown),
    }
}

/// The Debug data of `side`: the headline report's, the client's, and every report of the first
/// `shown` segments.
fn debug(session: &Session, side: Side, network: Option<&NetworkInfo>, shown: usize) -> Debug {
    let agent = session.endpoint(side).and_then(|e| e.user_agent.as_ref());
    Debug {
        network: network.map(NetworkDebug::of),
        user_agent: agent.and_then(|u| u.header_value.clone()),
        azure_ad_app_id: agent.and_then(|u| u.azure_ad_app_id.clone()),
        communication_service_id: agent.and_then(|u| u.communication_service_id.clone()),
        segments: debug_segments(session, side, shown),
    }
}
