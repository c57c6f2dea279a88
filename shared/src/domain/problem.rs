//! What is wrong with an input, and where: the one shape every refusal takes, whether the input
//! was a call record, a tenant file or a request parameter.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Whether a problem makes the request malformed (`400`), incomplete or merely unacceptable (`422`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// The record breaks the schema: wrong types, missing or contradictory fields.
    Invalid,
    /// A record that still links to pages of itself (`sessions@odata.nextLink`): half a
    /// meeting that would be stored as if it were whole.
    Incomplete,
    /// Well formed, but outside what we keep (too old, from the future, too large to store).
    Unacceptable,
}

/// The path of a problem with the whole input (a body that is not UTF-8 or not JSON, nested too
/// deep; or a record as a whole): JSONPath's root.
pub const WHOLE: &str = "$";

/// One thing wrong with the input, and where.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Position of the record in a `{"value": [...]}` batch; absent for a single record.
    pub index: Option<usize>,
    /// JSON path inside the record (`sessions[0].segments[1].endDateTime`); empty for the whole body.
    pub path: String,
    pub message: String,
    /// 1-based line in the request body, where the problem is a position in the text.
    pub line: Option<usize>,
    /// 1-based column in the request body.
    pub column: Option<usize>,
    #[serde(skip)]
    pub severity: Severity,
}

impl Problem {
    fn new(path: String, message: String, severity: Severity) -> Self {
        Self { index: None, path, message, line: None, column: None, severity }
    }

    /// A schema problem at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(path.into(), message.into(), Severity::Invalid)
    }

    /// A record with pages left unfollowed: the link at `path`.
    pub fn incomplete(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(path.into(), message.into(), Severity::Incomplete)
    }

    /// A well-formed value we will not keep.
    pub fn unacceptable(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(path.into(), message.into(), Severity::Unacceptable)
    }
}

/// Why a body was refused: every problem found, none written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} problem(s) in the request body", problems.len())]
pub struct Rejection {
    pub problems: Vec<Problem>,
}

impl Rejection {
    /// The gravest severity found: `Invalid` before `Incomplete` before `Unacceptable`.
    pub fn severity(&self) -> Severity {
        self.problems.iter().map(|p| p.severity).min().unwrap_or(Severity::Invalid)
    }
}

/// Reads a JSON body as `T`, or the one problem that stops it: the JSON path of the value that
/// is wrong, and the line and column in the text where that is a position.
pub fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let mut problem = Problem::invalid(if path == "." { WHOLE.to_owned() } else { path }, inner.to_string());
        if inner.line() > 0 {
            (problem.line, problem.column) = (Some(inner.line()), Some(inner.column()));
        }
        Rejection { problems: vec![problem] }
    })
}
