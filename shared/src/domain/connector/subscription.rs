//! When the callRecords subscription is created, renewed or left alone, and which window a
//! backfill covers. Graph lets a call-record subscription live at most 4,230 minutes; the keeper
//! runs on a schedule (hourly) and renews long before that, so one missed run costs nothing.

use crate::domain::retention;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The longest lifetime Graph grants a callRecords subscription.
pub const MAX_LIFETIME: Duration = Duration::minutes(4_230);
/// The lifetime we ask for: the maximum, less a margin for clock skew.
pub const REQUESTED_LIFETIME: Duration = Duration::minutes(4_200);
/// Renew once less than this is left: two days ahead, so dozens of hourly runs may fail first.
pub const RENEW_WHEN_LEFT: Duration = Duration::days(2);
/// How far before the last moment the subscription was known to be live a gap backfill starts.
pub const GAP_OVERLAP: Duration = Duration::hours(1);
/// The window a `missed` lifecycle event backfills: Graph retries a delivery for four hours
/// before it gives up and says `missed`; a day covers that with room.
pub const MISSED_WINDOW: Duration = Duration::days(1);

/// Work for the Graph worker that is not a fetch: queued like fetches, run once each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Job {
    /// Make sure the subscription exists and has time left; `reauthorize` renews it now.
    #[serde(rename_all = "camelCase")]
    Keep { reauthorize: bool },
    /// List the records that started in `[from, to)` and queue each for a fetch; `next_link`
    /// continues a listing that an earlier run handed over unfinished.
    #[serde(rename_all = "camelCase")]
    Backfill {
        #[serde(with = "time::serde::rfc3339")]
        from: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        to: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_link: Option<String>,
    },
}

impl Job {
    /// A backfill of `[from, to)`, clamped to the 30 days Graph keeps records.
    pub fn backfill(from: OffsetDateTime, to: OffsetDateTime, now: OffsetDateTime) -> Self {
        Self::Backfill { from: from.max(now - retention::HISTORY), to: to.min(now), next_link: None }
    }
}

/// The subscription Graph reports as ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSubscription {
    pub id: String,
    pub expires_at: OffsetDateTime,
}

/// What the keeper does this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionPlan {
    /// Live with time to spare.
    Keep,
    /// Live, but renew it now to `expires_at`.
    Renew { id: String, expires_at: OffsetDateTime },
    /// None is live: create one to `expires_at` and backfill what arrived meanwhile.
    Create { expires_at: OffsetDateTime, backfill: Job },
}

/// Decides this run. `active` is our live subscription at Graph, if any; `last_live` is the
/// last time a run saw one (`None` on the first deployment, which backfills the whole 30 days).
pub fn plan(
    now: OffsetDateTime,
    active: Option<&ActiveSubscription>,
    last_live: Option<OffsetDateTime>,
    reauthorize: bool,
) -> SubscriptionPlan {
    let expires_at = now + REQUESTED_LIFETIME;
    match active {
        Some(sub) if sub.expires_at > now => {
            if reauthorize || sub.expires_at - now < RENEW_WHEN_LEFT {
                SubscriptionPlan::Renew { id: sub.id.clone(), expires_at }
            } else {
                SubscriptionPlan::Keep
            }
        }
        _ => {
            let from = last_live.map_or(now - retention::HISTORY, |at| at - GAP_OVERLAP);
            SubscriptionPlan::Create { expires_at, backfill: Job::backfill(from, now, now) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

    fn active(left: Duration) -> ActiveSubscription {
        ActiveSubscription { id: "s".into(), expires_at: NOW + left }
    }

    #[test]
    fn first_deployment_creates_and_backfills_thirty_days() {
        let plan = plan(NOW, None, None, false);
        assert_eq!(
            plan,
            SubscriptionPlan::Create {
                expires_at: NOW + REQUESTED_LIFETIME,
                backfill: Job::Backfill { from: NOW - retention::HISTORY, to: NOW, next_link: None },
            }
        );
        assert!(REQUESTED_LIFETIME < MAX_LIFETIME);
    }

    #[test]
    fn renewal_starts_two_days_before_expiry() {
        assert_eq!(plan(NOW, Some(&active(RENEW_WHEN_LEFT)), Some(NOW), false), SubscriptionPlan::Keep);
        let just_under = active(RENEW_WHEN_LEFT - Duration::SECOND);
        assert_eq!(
            plan(NOW, Some(&just_under), Some(NOW), false),
            SubscriptionPlan::Renew { id: "s".into(), expires_at: NOW + REQUESTED_LIFETIME }
        );
        assert!(matches!(plan(NOW, Some(&active(Duration::days(2))), None, true), SubscriptionPlan::Renew { .. }));
    }

    #[test]
    fn a_lapsed_subscription_is_recreated_and_the_gap_backfilled() {
        let last_live = NOW - Duration::days(4);
        let SubscriptionPlan::Create { backfill, .. } =
            plan(NOW, Some(&active(Duration::ZERO)), Some(last_live), false)
        else {
            panic!("expected a new subscription")
        };
        assert_eq!(backfill, Job::Backfill { from: last_live - GAP_OVERLAP, to: NOW, next_link: None });
        let ancient = plan(NOW, None, Some(NOW - Duration::days(90)), false);
        let SubscriptionPlan::Create { backfill: Job::Backfill { from, .. }, .. } = ancient else { panic!() };
        assert_eq!(from, NOW - retention::HISTORY, "never beyond what Graph keeps");
    }
}
