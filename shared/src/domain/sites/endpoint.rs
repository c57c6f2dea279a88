//! The CQD endpoint file: machine name → make, model, type and labels.

use super::file::{Delimiter, problem, rows};
use crate::domain::problem::Problem;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Column names, in file order.
pub const COLUMNS: [&str; 7] = [
    "EndpointName",
    "EndpointMake",
    "EndpointModel",
    "EndpointType",
    "EndpointLabel1",
    "EndpointLabel2",
    "EndpointLabel3",
];

/// Longest value of any column.
pub const MAX_FIELD_CHARS: usize = 64;

/// One machine of the endpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointRow {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub make: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    #[serde(default, skip_serializing_if = "String::is_empty", rename = "type")]
    pub endpoint_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// Parses and validates an endpoint file.
pub fn parse_endpoints(body: &[u8], delimiter: Delimiter) -> Result<Vec<EndpointRow>, Vec<Problem>> {
    let rows = rows(body, delimiter)?;
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let (line, f) = (row.line, &row.fields);
        if i == 0 && f.first().is_some_and(|c| c.eq_ignore_ascii_case("EndpointName")) {
            problems.push(problem(
                line,
                1,
                COLUMNS[0],
                "this looks like a header row; endpoint files have none: remove this line",
            ));
            continue;
        }
        if f.len() != COLUMNS.len() {
            problems.push(problem(
                line,
                f.len().min(7) + 1,
                "",
                format!("the row has {} columns; an endpoint row has 7", f.len()),
            ));
            continue;
        }
        let mut valid = true;
        for (c, value) in f.iter().enumerate() {
            if value.chars().count() > MAX_FIELD_CHARS {
                problems.push(problem(
                    line,
                    c + 1,
                    COLUMNS[c],
                    format!("{} is longer than {MAX_FIELD_CHARS} characters", COLUMNS[c]),
                ));
                valid = false;
            }
        }
        if f[0].is_empty() {
            problems.push(problem(line, 1, COLUMNS[0], "EndpointName is required"));
            continue;
        }
        if let Some(first) = seen.insert(f[0].to_lowercase(), line) {
            problems.push(problem(
                line,
                1,
                COLUMNS[0],
                format!("`{}` is already on line {first}: names must be unique", f[0]),
            ));
            continue;
        }
        if valid {
            parsed.push(EndpointRow {
                name: f[0].clone(),
                make: f[1].clone(),
                model: f[2].clone(),
                endpoint_type: f[3].clone(),
                labels: f[4..].iter().filter(|l| !l.is_empty()).cloned().collect(),
            });
        }
    }
    if problems.is_empty() { Ok(parsed) } else { Err(problems) }
}

/// Machine name (case-insensitive) → endpoint row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointMap {
    by_name: HashMap<String, EndpointRow>,
}

impl EndpointMap {
    /// A map of `rows`.
    pub fn new(rows: Vec<EndpointRow>) -> Self {
        Self { by_name: rows.into_iter().map(|r| (r.name.to_lowercase(), r)).collect() }
    }

    /// The row for machine `name`.
    pub fn lookup(&self, name: &str) -> Option<&EndpointRow> {
        self.by_name.get(&name.to_lowercase())
    }
}
