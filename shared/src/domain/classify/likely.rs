//! Which end of a session its main cause most likely lies at (`docs/thresholds.md`, "Which
//! end").
//!
//! A stream's metrics are measured by the end receiving it, so "the callee measured 14 % loss"
//! says nothing yet about whose network lost the packets. A service (conference server, gateway,
//! call queue, bot) is never the end to chase: in a meeting every session runs from a
//! participant to the conference server, and loss on that path is the participant's network.
//! Between two people's endpoints the evidence both sides report decides.

use super::rules::{Issue, IssueCode};
use crate::domain::graph::{NetworkInfo, NetworkSource, Session, Side, StreamDirection};
use serde::{Deserialize, Serialize};

/// The end a session's main cause most likely lies at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LikelyAt {
    Caller,
    Callee,
    /// Both ends show the same evidence.
    Both,
}

impl From<Side> for LikelyAt {
    fn from(side: Side) -> Self {
        match side {
            Side::Caller => Self::Caller,
            Side::Callee => Self::Callee,
        }
    }
}

/// A Wi-Fi signal below this (Graph reports it in percent) counts against its end.
pub const WEAK_WIFI_SIGNAL: i64 = 50;

/// Where `main`, the main cause of `session` among `issues`, most likely lies; `None` when
/// nothing tells (two services, or two people's endpoints with no evidence either way).
pub fn likely_at(session: &Session, main: &Issue, issues: &[Issue]) -> Option<LikelyAt> {
    let person = |side| session.endpoint(side).is_some_and(|e| !e.is_service());
    match (person(Side::Caller), person(Side::Callee)) {
        (false, false) => None,
        (true, false) => Some(LikelyAt::Caller),
        (false, true) => Some(LikelyAt::Callee),
        (true, true) => between_people(session, main, issues),
    }
}

/// Two people's endpoints: a device fault is where the device is; a failed setup says nothing
/// of which end; a network fault goes to the end with more evidence against it.
fn between_people(session: &Session, main: &Issue, issues: &[Issue]) -> Option<LikelyAt> {
    match main.code {
        IssueCode::DeviceNotFunctioning => main.side.map(LikelyAt::from),
        IssueCode::CallSetupFailed => None,
        IssueCode::AudioNetworkPoor | IssueCode::VideoPoor | IssueCode::VbssPoor | IssueCode::AppsharingPoor => {
            let sending = sending_side(issues);
            let score = |side| {
                evidence(session.first_network(side, NetworkSource::AudioFirst)) + u32::from(sending == Some(side))
            };
            let (caller, callee) = (score(Side::Caller), score(Side::Callee));
            match caller.cmp(&callee) {
                std::cmp::Ordering::Greater => Some(LikelyAt::Caller),
                std::cmp::Ordering::Less => Some(LikelyAt::Callee),
                std::cmp::Ordering::Equal if caller > 0 => Some(LikelyAt::Both),
                std::cmp::Ordering::Equal => None,
            }
        }
    }
}

/// The end that sent every poor stream, when they all flowed one way: an uplink (upload
/// capacity, Wi-Fi contention on sending) is the commoner fault. Streams poor both ways point
/// at neither.
fn sending_side(issues: &[Issue]) -> Option<Side> {
    let mut directions =
        issues.iter().filter(|i| i.code != IssueCode::DeviceNotFunctioning).filter_map(|i| i.direction);
    let first = directions.next()?;
    if directions.any(|d| d != first) {
        return None;
    }
    match first {
        StreamDirection::CallerToCallee => Some(Side::Caller),
        StreamDirection::CalleeToCaller => Some(Side::Callee),
        StreamDirection::Unknown => None,
    }
}

/// One point each for what an end reported against itself: not wired (Wi-Fi, mobile), a weak
/// Wi-Fi signal, a VPN tunnel, media through a relay.
fn evidence(network: Option<&NetworkInfo>) -> u32 {
    let Some(network) = network else { return 0 };
    let connection = network.connection_type.as_deref().unwrap_or_default().to_ascii_lowercase();
    let wireless = connection.contains("wifi") || connection.contains("mobile");
    let weak = network.wifi_signal_strength.is_some_and(|s| s < WEAK_WIFI_SIGNAL);
    let tunnel = connection.contains("tunnel");
    let relayed = network.relay_ip_address.as_deref().is_some_and(|r| !r.is_empty());
    [wireless, weak, tunnel, relayed].into_iter().map(u32::from).sum()
}
