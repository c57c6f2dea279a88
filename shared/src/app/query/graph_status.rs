//! `GET /graph/status` (admin only, audited): is the Graph connector alive — its subscription,
//! when a notification last arrived, how much work waits, how many records it gave up on.

use super::{AppError, Query};
use crate::domain::access::{AuditAction, Principal, Role};
use crate::domain::connector::Lane;
use crate::msgraph::calls::CALL_RECORDS;
use crate::queue::{QueueDepth, QueueGauge};
use crate::store::connector::SubscriptionState;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// Under this much time left, a subscription is `expiring`: the keeper renews it at two days
/// left, every hour, so a day left means its renewals are failing.
pub const EXPIRING_WHEN_LEFT: Duration = Duration::days(1);

/// The connector's state.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphStatus {
    pub subscription: Subscription,
    /// When a notification of our subscription last arrived (recorded to the minute).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_notification_at: Option<OffsetDateTime>,
    pub queues: Queues,
    /// The dead letters of the last 30 days (`GET /graph/dead-letters` lists them), counted
    /// up to 1,000.
    pub dead_letters: u64,
    /// Whether there are more dead letters than `dead_letters` counts.
    pub dead_letters_more: bool,
}

/// Our change-notification subscription as the keeper last saw it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// `active`, `expiring` (under a day left), `expired`, or `none` (the keeper has none).
    pub state: SubscriptionHealth,
    pub id: Option<String>,
    pub resource: Option<&'static str>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the keeper last renewed or confirmed it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_renewed_at: Option<OffsetDateTime>,
}

/// How the subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionHealth {
    Active,
    Expiring,
    Expired,
    None,
}

/// The work queues' and their dead-letter queues' depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queues {
    pub live: QueueDepth,
    pub backfill: QueueDepth,
    pub dead_letter: DeadLetterDepth,
}

/// Messages set aside by both work queues' redrive policies, waiting to be redriven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterDepth {
    pub waiting: u64,
}

impl Subscription {
    /// The subscription `state` records, as of `now`.
    pub fn of(state: Option<SubscriptionState>, now: OffsetDateTime) -> Self {
        let Some(state) = state else {
            return Self {
                state: SubscriptionHealth::None,
                id: None,
                resource: None,
                expires_at: None,
                last_renewed_at: None,
            };
        };
        let left = state.subscription_expires_at - now;
        let health = if left <= Duration::ZERO {
            SubscriptionHealth::Expired
        } else if left < EXPIRING_WHEN_LEFT {
            SubscriptionHealth::Expiring
        } else {
            SubscriptionHealth::Active
        };
        Self {
            state: health,
            id: Some(state.subscription_id),
            resource: Some(CALL_RECORDS),
            expires_at: Some(state.subscription_expires_at),
            last_renewed_at: Some(state.last_live),
        }
    }
}

impl Query<'_> {
    /// The connector's state, for an admin: two `GetItem`s, a counting Query of the dead
    /// letters, and `GetQueueAttributes` of the four queues, all at once.
    pub async fn graph_status(&self, principal: &Principal, queues: &QueueGauge) -> Result<GraphStatus, AppError> {
        let event = self.event(principal, AuditAction::GraphStatus);
        super::audited(self.store, principal.require_any(&[Role::Admin]), &event).await?;
        let (audit, subscription, last, dead, live, backfill, set_aside) = tokio::join!(
            self.audit(event),
            self.store.subscription_state(self.now),
            self.store.last_notification(self.now),
            self.store.count_dead_letters(self.now),
            queues.work(Lane::Live),
            queues.work(Lane::Backfill),
            queues.dead_letters(),
        );
        audit?;
        let (dead_letters, dead_letters_more) = dead?;
        Ok(GraphStatus {
            subscription: Subscription::of(subscription?, self.now),
            last_notification_at: last?,
            queues: Queues {
                live: live?,
                backfill: backfill?,
                dead_letter: DeadLetterDepth { waiting: set_aside?.waiting },
            },
            dead_letters,
            dead_letters_more,
        })
    }
}
