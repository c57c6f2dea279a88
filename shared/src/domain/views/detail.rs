//! A call's detail as each role may see it.
//!
//! [`SpecialistCall`] and [`EngineerCall`] are different types: a specialist's session is a
//! [`SessionOverview`], which has no `advanced` or `debug` field, so no code path can put
//! Advanced or Debug data into a specialist's response.

use super::party::{EngineerParty, PartyView, SpecialistParty, Viewer};
use super::timeline::{DeviceReport, NetworkDebug, NetworkReport, SegmentDetail, timeline};
use crate::domain::calls::{CallSummary, StoredCall};
use crate::domain::classify::cause::{describe_as, main_cause};
use crate::domain::classify::{GradedMetric, Issue, LikelyAt, Rating, SessionResult};
use crate::domain::graph::{CallType, Endpoint, NetworkInfo, NetworkSource, Session, Side, parties::endpoint_party};
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
    pub participant_count: usize,
    pub participants: Vec<P>,
    pub sessions: Vec<S>,
}

/// What every role sees of a session.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOverview<P> {
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
    pub metrics: Vec<MetricView>,
    /// Where each side was, from the building file: building and city only.
    pub location: Option<Sides<Option<Location>>>,
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
    /// Every segment as both sides reported it, every stream with its statistics and grades.
    pub timeline: Vec<SegmentDetail>,
    pub debug: Sides<Debug>,
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
    pub machine_name: Option<String>,
    pub platform: Option<String>,
    /// The first device report (devices and drivers, not-functioning ratios).
    #[serde(flatten)]
    pub device: Option<DeviceReport>,
    /// The first network report, preferring audio (IP, subnet, connection, Wi-Fi, relay used).
    #[serde(flatten)]
    pub network: Option<NetworkReport>,
    /// The building row whose network holds the endpoint's subnet (or IP).
    pub building: Option<Building>,
    /// The endpoint file's row for the machine name: make, model, type, labels.
    pub endpoint: Option<EndpointRow>,
}

/// Debug data of one endpoint (tier 2 and admin only).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Debug {
    /// The Debug fields of the same network report as Advanced's.
    #[serde(flatten)]
    pub network: Option<NetworkDebug>,
    pub user_agent: Option<String>,
}

/// A way of showing sessions; one implementation per role.
pub trait SessionView: Serialize + Sized {
    fn of(session: &Session, result: Option<&SessionResult>, context: &Context) -> Self;
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
    let results = stored.results.as_deref();
    let context = Context { summary, viewer, sites };
    CallDetail {
        call_id: summary.call_id.clone(),
        call_type: summary.call_type,
        version: summary.version,
        start_date_time: summary.start_date_time,
        end_date_time: summary.end_date_time,
        duration_seconds: summary.duration_seconds(),
        rating: stored.verdict_of(viewer.searched_user).rating,
        call_rating: summary.rating,
        participant_count: summary.parties.len(),
        participants: summary.parties.iter().map(|p| P::of(p, viewer)).collect(),
        sessions: stored
            .sessions
            .iter()
            .enumerate()
            .map(|(i, session)| S::of(session, results.and_then(|r| r.get(i)), &context))
            .collect(),
    }
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
    fn of(session: &Session, result: Option<&SessionResult>, context: &Context) -> Self {
        let (summary, viewer) = (context.summary, context.viewer);
        let location = |side| building(first_network(session, side), context.sites).map(Location::from);
        let location = Sides { caller: location(Side::Caller), callee: location(Side::Callee) };
        let location = (location.caller.is_some() || location.callee.is_some()).then_some(location);
        let metrics = result
            .map(|r| {
                r.metrics
                    .iter()
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
        }
    }
}

impl SessionView for EngineerSession {
    fn of(session: &Session, result: Option<&SessionResult>, context: &Context) -> Self {
        let (caller_net, callee_net) = (first_network(session, Side::Caller), first_network(session, Side::Callee));
        Self {
            overview: SessionOverview::of(session, result, context),
            advanced: Sides {
                caller: advanced(session, Side::Caller, caller_net, context.sites),
                callee: advanced(session, Side::Callee, callee_net, context.sites),
            },
            timeline: timeline(session, result),
            debug: Sides {
                caller: debug(session.caller.as_ref(), caller_net),
                callee: debug(session.callee.as_ref(), callee_net),
            },
        }
    }
}

/// The first network report of one side, preferring audio (the stream quality is judged on).
fn first_network(session: &Session, side: Side) -> Option<&NetworkInfo> {
    session.first_network(side, NetworkSource::AudioFirst)
}

fn advanced(session: &Session, side: Side, network: Option<&NetworkInfo>, sites: &Sites) -> Advanced {
    let endpoint = session.endpoint(side);
    let device = session.segments.iter().flat_map(|s| &s.media).find_map(|m| m.device(side));
    Advanced {
        machine_name: endpoint.and_then(|e| e.name.clone()),
        platform: endpoint.and_then(|e| e.user_agent.as_ref()).and_then(|u| u.platform.clone()),
        device: device.map(DeviceReport::of),
        network: network.map(NetworkReport::of),
        building: building(network, sites).cloned(),
        endpoint: endpoint.and_then(|e| e.name.as_deref()).and_then(|name| sites.endpoints.lookup(name)).cloned(),
    }
}

fn debug(endpoint: Option<&Endpoint>, network: Option<&NetworkInfo>) -> Debug {
    Debug {
        network: network.map(NetworkDebug::of),
        user_agent: endpoint.and_then(|e| e.user_agent.as_ref()).and_then(|u| u.header_value.clone()),
    }
}
