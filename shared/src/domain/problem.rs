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
    /// What `message` says, with nothing of the input in it, where `message` quotes the input
    /// (a value, which may be a name or an id): the caller reads `message` about their own
    /// input; a log line or a dead letter says this instead ([`Problem::redacted`]). `None`
    /// where `message` is only our own words. (Boxed: problems travel in `Result`s.)
    #[serde(skip)]
    pub value_free: Option<Box<str>>,
}

impl Problem {
    fn new(path: String, message: String, severity: Severity) -> Self {
        Self { index: None, path, message, line: None, column: None, severity, value_free: None }
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

    /// This problem, its message quoting the input: `value_free` says the same without it.
    pub fn quoting(self, value_free: impl Into<String>) -> Self {
        Self { value_free: Some(value_free.into().into_boxed_str()), ..self }
    }

    /// The problem as a log line or a stored dead letter may say it: where (the record's place
    /// in a batch, the path, the line and column) and what kind of wrong (the expected type),
    /// never a value or an id of the input.
    pub fn redacted(&self) -> String {
        let mut text = self.index.map(|index| format!("value[{index}] ")).unwrap_or_default();
        text.push_str(&self.path);
        if let (Some(line), Some(column)) = (self.line, self.column) {
            text.push_str(&format!(" (line {line}, column {column})"));
        }
        text.push_str(": ");
        text.push_str(self.value_free.as_deref().unwrap_or(&self.message));
        text
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

    /// The first problem [`Problem::redacted`], and how many more there are: why a body was
    /// refused, as a log line or a stored dead letter may say it.
    pub fn redacted(&self) -> String {
        let first = self.problems.first().map_or_else(|| "refused".to_owned(), Problem::redacted);
        match self.problems.len() {
            0 | 1 => first,
            n => format!("{first} (and {} more)", n - 1),
        }
    }
}

/// The kinds of value serde names before quoting one (`string "Ada"`, `integer `7``): serde's
/// `Unexpected`, and serde_json's `null`.
const UNEXPECTED: [&str; 17] = [
    "boolean",
    "integer",
    "floating point",
    "character",
    "string",
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
    "null",
];

/// A serde error's message with the input's own text left out: the kind of failure, the kind
/// of value found and what was expected, the field names the schema gives (`missing field
/// `id``), never a value. serde words its errors `invalid type: string "Ada Lovelace", expected
/// u32`, `unknown variant `x`, expected one of ...` (serde_json adds ` at line 1 column 40`,
/// dropped here: a [`Problem`] keeps line and column apart). A message of another shape (a
/// type's own words, which may quote what it could not read) says only `invalid value`.
pub fn value_free(message: &str) -> String {
    let message = message.rsplit_once(" at line ").map_or(message, |(m, _)| m);
    for what in ["invalid type", "invalid value"] {
        if let Some(rest) = message.strip_prefix(what).and_then(|rest| rest.strip_prefix(": ")) {
            let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, "something else"));
            let found = UNEXPECTED.iter().find(|kind| found.starts_with(*kind)).unwrap_or(&"a value");
            return format!("{what}: {found}, expected {expected}");
        }
    }
    for what in ["unknown variant", "unknown field"] {
        if message.starts_with(what) {
            return match message.split_once(", expected ") {
                Some((_, expected)) => format!("{what}, expected {expected}"),
                None => what.to_owned(),
            };
        }
    }
    let schema_words = ["missing field `", "duplicate field `", "invalid length "];
    if schema_words.iter().any(|words| message.starts_with(words)) {
        return message.to_owned();
    }
    "invalid value".to_owned()
}

/// [`value_free`] for a serde_json error: a syntax error (`expected `,` or `}``, `EOF while
/// parsing a string`) quotes nothing and is kept as it is, without its position.
pub fn json_value_free(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match error.classify() {
        serde_json::error::Category::Data => value_free(&message),
        _ => message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_owned(),
    }
}

/// Reads a JSON body as `T`, or the one problem that stops it: the JSON path of the value that
/// is wrong, and the line and column in the text where that is a position.
pub fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let path = if path == "." { WHOLE.to_owned() } else { path };
        let mut problem = Problem::invalid(path, inner.to_string()).quoting(json_value_free(&inner));
        if inner.line() > 0 {
            (problem.line, problem.column) = (Some(inner.line()), Some(inner.column()));
        }
        Rejection { problems: vec![problem] }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Record {
        id: String,
        sessions: Vec<Session>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Session {
        count: u32,
        kind: Kind,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        Audio,
    }

    fn first_problem(body: &str) -> Problem {
        read_json::<Record>(body.as_bytes()).unwrap_err().problems.remove(0)
    }

    #[test]
    fn a_redacted_problem_keeps_where_and_what_was_expected_but_no_value() {
        let problem = first_problem(r#"{"id": "c-1", "sessions": [{"count": "Ada Lovelace", "kind": "audio"}]}"#);
        assert!(problem.message.contains("Ada Lovelace"), "the caller reads their own value: {}", problem.message);
        assert_eq!(
            problem.redacted(),
            "sessions[0].count (line 1, column 51): invalid type: string, expected u32",
            "{problem:?}"
        );
        let problem = first_problem(r#"{"id": "c-1", "sessions": [{"count": 1, "kind": "ADA-LAPTOP-01"}]}"#);
        assert_eq!(problem.redacted(), "sessions[0].kind (line 1, column 63): unknown variant, expected `audio`");
        let problem = first_problem(r#"{"id": "c-1", "sessions": [{"count": 1}]}"#);
        assert!(problem.redacted().ends_with("missing field `kind`"), "{}", problem.redacted());
        let problem = first_problem(r#"{"id": "+15552823456" "sessions": []}"#);
        assert!(problem.redacted().ends_with("(line 1, column 23): expected `,` or `}`"), "{}", problem.redacted());
    }

    #[test]
    fn a_message_of_an_unknown_shape_is_only_an_invalid_value() {
        assert_eq!(value_free("`Ada Lovelace` is not an ISO-8601 duration"), "invalid value");
        assert_eq!(
            value_free("invalid value: string \"10.20.30.41\", expected a subnet"),
            "invalid value: string, expected a subnet"
        );
        assert_eq!(value_free("invalid type: Ada, expected u32"), "invalid type: a value, expected u32");
    }

    #[test]
    fn a_rejection_is_redacted_as_its_first_problem_and_a_count() {
        let problems = vec![Problem::invalid("a", "x").quoting("y"), Problem::unacceptable("b", "z")];
        assert_eq!(Rejection { problems }.redacted(), "a: y (and 1 more)");
    }
}
