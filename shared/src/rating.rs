//! The verdict on a session or call, as the history list and detail show it.

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
