//! The verdict on a session or call: its rating, the issues that made it poor, every metric
//! graded and the main cause. What classification produces and every view shows.

use super::grade::GradedMetric;
use super::rules::{Issue, IssueCode};
use serde::{Deserialize, Serialize};

/// A session's or call's rating. `Pending` until the classify function has rated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Rating {
    #[default]
    Pending,
    Good,
    Unavailable,
    Poor,
}

/// The verdict on one session.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResult {
    pub session_id: Option<String>,
    pub rating: Rating,
    pub issues: Vec<Issue>,
    pub metrics: Vec<GradedMetric>,
    /// One sentence for a poor session; empty otherwise.
    pub main_cause: String,
}

/// The verdict on a call: the worst session rating and every issue code, for the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
    pub sessions: Vec<SessionResult>,
}
