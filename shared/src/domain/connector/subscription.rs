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
/// How far before a window's start its listing starts. Graph lists records by their
/// `startDateTime`, and a record appears only once its call has ended (and Graph has processed
/// it): a meeting that ran for up to a day (Teams ends meetings after 30 hours), and ended in
/// the window, started well before it. 36 hours covers the longest call and Graph's delay.
pub const LISTING_OVERLAP: Duration = Duration::hours(36);
/// How far back a reconciliation looks for calls that ended: the hourly run covers six hours,
/// so a record the notifications missed is found in any of six runs.
pub const RECONCILE_WINDOW: Duration = Duration::hours(6);

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
    /// Queue a fetch of every record Graph lists whose call ended in the last
    /// [`RECONCILE_WINDOW`] and that is not stored at its version: what a notification Graph
    /// gave up on (or a `missed` one) would have brought. Run hourly, and after `missed`.
    Reconcile,
    /// Read the new rows of Graph's PSTN and Direct Routing call logs
    /// (`super::phone_poll`), each from its watermark. Scheduled every 15 minutes.
    PhonePoll,
}

impl Job {
    /// A backfill of `[from, to)`, clamped to the 30 days Graph keeps records.
    pub fn backfill(from: OffsetDateTime, to: OffsetDateTime, now: OffsetDateTime) -> Self {
        Self::Backfill { from: from.max(now - retention::HISTORY), to: to.min(now), next_link: None }
    }

    /// The window a reconciliation at `now` lists (by start time): records that started early
    /// enough to have ended in the last [`RECONCILE_WINDOW`].
    pub fn reconciliation_window(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
        (now - RECONCILE_WINDOW - LISTING_OVERLAP, now)
    }

    /// The key that makes this job one of its kind while it is queued, when it is queued by
    /// something that may repeat (a lifecycle event, the hourly keeper): a thousand `missed`
    /// events queue one reconciliation. `None`: every one queued runs (an admin's backfill, a
    /// listing handed over).
    pub fn once_key(&self) -> Option<&'static str> {
        match self {
            Self::Reconcile => Some("reconcile"),
            Self::PhonePoll => Some("phonePoll"),
            Self::Keep { reauthorize: true } => Some("keep#reauthorize"),
            Self::Keep { reauthorize: false } => Some("keep"),
            Self::Backfill { .. } => None,
        }
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
            let from = last_live.map_or(now - retention::HISTORY, |at| at - LISTING_OVERLAP);
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
    fn repeated_jobs_have_one_key_per_kind() {
        assert_eq!(Job::Reconcile.once_key(), Some("reconcile"));
        assert_ne!(Job::Keep { reauthorize: true }.once_key(), Job::Keep { reauthorize: false }.once_key());
        assert_eq!(
            Job::backfill(NOW - Duration::days(1), NOW, NOW).once_key(),
            None,
            "an admin's backfill always runs"
        );
    }

    #[test]
    fn a_reconciliation_lists_what_can_have_ended_in_the_last_six_hours() {
        assert_eq!(Job::reconciliation_window(NOW), (NOW - Duration::hours(42), NOW));
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
        assert_eq!(backfill, Job::Backfill { from: last_live - LISTING_OVERLAP, to: NOW, next_link: None });
        let ancient = plan(NOW, None, Some(NOW - Duration::days(90)), false);
        let SubscriptionPlan::Create { backfill: Job::Backfill { from, .. }, .. } = ancient else { panic!() };
        assert_eq!(from, NOW - retention::HISTORY, "never beyond what Graph keeps");
    }
}
