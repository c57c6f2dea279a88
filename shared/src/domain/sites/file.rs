//! Reading tenant data files (CQD building and endpoint files): CSV or TSV, no header row, every
//! field present even when empty. Every problem names its line and column.

use crate::domain::problem::Problem;

/// How the file's fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Tab,
}

impl Delimiter {
    /// From a `Content-Type` (`text/csv`, `text/tab-separated-values`), or sniffed from the first
    /// line: a tab before any comma means TSV.
    pub fn detect(content_type: Option<&str>, body: &[u8]) -> Self {
        let media = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        match media.as_deref() {
            Some("text/tab-separated-values") => Self::Tab,
            Some("text/csv") => Self::Comma,
            _ => {
                let first_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
                let tab = first_line.iter().position(|b| *b == b'\t');
                let comma = first_line.iter().position(|b| *b == b',');
                match (tab, comma) {
                    (Some(t), Some(c)) if t < c => Self::Tab,
                    (Some(_), None) => Self::Tab,
                    _ => Self::Comma,
                }
            }
        }
    }

    fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Tab => b'\t',
        }
    }
}

/// One row of a file: its 1-based line and its fields.
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A problem at `line`, `column` (1-based), about the column called `name`.
pub fn problem(line: usize, column: usize, name: &str, message: impl Into<String>) -> Problem {
    let mut problem = Problem::unacceptable(name, message);
    problem.line = Some(line);
    problem.column = Some(column);
    problem
}

/// Every non-blank row of `body`, or the problems that stop it being read (bad UTF-8, quoting).
pub fn rows(body: &[u8], delimiter: Delimiter) -> Result<Vec<Row>, Vec<Problem>> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter.byte()).from_reader(body);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                rows.push(Row { line, fields: record.iter().map(|f| f.trim().to_owned()).collect() });
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                let message = match error.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8".to_owned(),
                    _ => format!("the line cannot be read: {error}"),
                };
                problems.push(problem(line, 1, "", message));
            }
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}
