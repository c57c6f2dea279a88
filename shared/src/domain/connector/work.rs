//! What the Graph worker is asked to do, as it travels on the work queues: a fetch of one call
//! record, or a job. Each piece of work names its lane: live notifications go first, and a
//! backfill (or a reconciliation's fetches) never delays them by more than a few minutes.

use super::Job;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which queue a piece of work travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Lane {
    /// What a change notification asked for, and keeping the subscription.
    Live,
    /// Backfills, reconciliations and the fetches they queue.
    Backfill,
}

/// One message of a work queue: `{"fetch": {...}}` or `{"job": {...}}` (the schedule's
/// input, `{"job": {"kind": "keep", ...}}`, reads the same way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Work {
    /// Fetch call record `call_id`; `attempts` failed before; `nonce` names this queuing (the
    /// worker takes only the latest); not before `not_before`, if set; `retried` when an admin
    /// asked for it again after it was dead-lettered (storing it then removes the dead letter).
    #[serde(rename_all = "camelCase")]
    Fetch {
        call_id: String,
        #[serde(default)]
        attempts: u32,
        nonce: String,
        #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
        not_before: Option<OffsetDateTime>,
        lane: Lane,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retried: bool,
    },
    /// Run a job.
    Job(Job),
}

impl Work {
    /// The queue this work travels on.
    pub fn lane(&self) -> Lane {
        match self {
            Self::Fetch { lane, .. } => *lane,
            Self::Job(job) => job.lane(),
        }
    }
}

impl Job {
    /// Keeping the subscription is live work (a lapsed subscription loses notifications);
    /// backfills and reconciliations are not.
    pub fn lane(&self) -> Lane {
        match self {
            Self::Keep { .. } => Lane::Live,
            Self::Backfill { .. } | Self::Reconcile | Self::PhonePoll => Lane::Backfill,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reads_back_as_the_work_it_was() {
        let fetch = Work::Fetch {
            call_id: "2f1a0a6e-0000-4000-8000-000000000001".into(),
            attempts: 2,
            nonce: "n-1".into(),
            not_before: Some(time::macros::datetime!(2026-12-04 10:00 UTC)),
            lane: Lane::Backfill,
            retried: false,
        };
        let json = serde_json::to_string(&fetch).unwrap();
        assert_eq!(
            json,
            r#"{"fetch":{"callId":"2f1a0a6e-0000-4000-8000-000000000001","attempts":2,"nonce":"n-1","notBefore":"2026-12-04T10:00:00Z","lane":"backfill"}}"#
        );
        assert_eq!(serde_json::from_str::<Work>(&json).unwrap(), fetch);
        let keep: Work = serde_json::from_str(r#"{"job": {"kind": "keep", "reauthorize": false}}"#).unwrap();
        assert_eq!(keep, Work::Job(Job::Keep { reauthorize: false }));
        assert_eq!(keep.lane(), Lane::Live);
        assert_eq!(Work::Job(Job::Reconcile).lane(), Lane::Backfill);
    }
}
