//! The verdict on a session or call: its rating, the issues that made it poor, every metric
//! graded and the main cause. What classification produces and every view shows.

use super::grade::GradedMetric;
use super::likely::LikelyAt;
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
    /// One sentence for a poor session; empty otherwise. Names the ends generically ("Caller",
    /// "Callee"); views say it again with the parties as the reader's role may see them.
    pub main_cause: String,
    /// The end the main cause most likely lies at; never a service's.
    pub likely_at: Option<LikelyAt>,
}

/// The verdict on a call: the worst session rating and every issue code; each session's
/// result; and each party's own verdict, which their history line shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
    pub sessions: Vec<SessionResult>,
    /// By party id: the verdict on the sessions that party took part in.
    pub parties: std::collections::BTreeMap<String, Verdict>,
}

/// A rating with the issue codes behind it: of a whole call, or of one party's sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub rating: Rating,
    pub issue_codes: Vec<IssueCode>,
}

impl Verdict {
    /// The worst rating of `results` (`unavailable` without any) and their issue codes, sorted
    /// and once each.
    pub fn of<'a>(results: impl Iterator<Item = &'a SessionResult>) -> Self {
        let (mut rating, mut issue_codes) = (None, Vec::new());
        for result in results {
            rating = rating.max(Some(result.rating));
            issue_codes.extend(result.issues.iter().map(|i| i.code));
        }
        issue_codes.sort();
        issue_codes.dedup();
        Self { rating: rating.unwrap_or(Rating::Unavailable), issue_codes }
    }
}

/// How many of a call's sessions got each rating: what a large meeting's detail shows instead
/// of every session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRatings {
    pub good: u32,
    pub poor: u32,
    pub unavailable: u32,
}

impl SessionRatings {
    /// The counts of `results`' ratings.
    pub fn of<'a>(results: impl Iterator<Item = &'a SessionResult>) -> Self {
        let mut counts = Self::default();
        for result in results {
            match result.rating {
                Rating::Good => counts.good += 1,
                Rating::Poor => counts.poor += 1,
                Rating::Unavailable | Rating::Pending => counts.unavailable += 1,
            }
        }
        counts
    }
}
