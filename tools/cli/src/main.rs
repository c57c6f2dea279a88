//! `callscope classify [--thresholds FILE] [FILE...|-]`: rates Graph call records offline with the
//! same core code the classify function runs, for admins who exported records and want verdicts
//! without deploying anything.
//!
//! Each FILE holds one JSON document: a call record, or `{"value": [record, ...]}` as Graph pages
//! them. With no FILE, or `-`, standard input holds one record per line (JSON lines). Prints one
//! JSON line per session: `{callId, sessionId, rating, issues, mainCause}`. A record that cannot
//! be read is reported on standard error with its place, and the rest go on (exit status 1).

use callscope_core::domain::classify::Rating;
use callscope_core::domain::classify::{Issue, Thresholds, classify_sessions};
use callscope_core::domain::graph::CallRecord;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Verdict<'a> {
    call_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
    rating: Rating,
    issues: &'a [Issue],
    #[serde(skip_serializing_if = "str::is_empty")]
    main_cause: &'a str,
}

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    value: Vec<&'a RawValue>,
}

struct Rater<W: Write> {
    thresholds: Thresholds,
    out: W,
    failures: usize,
}

impl<W: Write> Rater<W> {
    /// Rates one record's text; `place` names it in error messages.
    fn rate(&mut self, text: &str, place: &dyn Fn() -> String) -> std::io::Result<()> {
        match serde_json::from_str::<CallRecord>(text) {
            Ok(record) => {
                let result = classify_sessions(&record.sessions, &self.thresholds);
                for (session, verdict) in record.sessions.iter().zip(&result.sessions) {
                    let line = Verdict {
                        call_id: &record.id,
                        session_id: session.id.as_deref(),
                        rating: verdict.rating,
                        issues: &verdict.issues,
                        main_cause: &verdict.main_cause,
                    };
                    serde_json::to_writer(&mut self.out, &line)?;
                    self.out.write_all(b"\n")?;
                }
            }
            Err(error) => {
                eprintln!("callscope: {}: {error}", place());
                self.failures += 1;
            }
        }
        Ok(())
    }

    /// Rates a file holding one record or a `{"value": [...]}` page.
    fn rate_document(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        match serde_json::from_str::<Batch>(text) {
            Ok(batch) => {
                for (i, record) in batch.value.iter().enumerate() {
                    self.rate(record.get(), &|| format!("{name}: value[{i}]"))?;
                }
                Ok(())
            }
            Err(_) => self.rate(text, &|| name.to_owned()),
        }
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("classify") {
        eprintln!("usage: callscope classify [--thresholds FILE] [FILE...|-]");
        return ExitCode::from(2);
    }
    args.remove(0);
    let mut thresholds = Thresholds::default();
    if args.first().map(String::as_str) == Some("--thresholds") {
        let loaded = args.get(1).ok_or("--thresholds needs a FILE".to_owned()).and_then(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Thresholds::from_json(&text).map_err(|e| format!("{path}: {e}"))
        });
        match loaded {
            Ok(table) => thresholds = table,
            Err(error) => {
                eprintln!("callscope: {error}");
                return ExitCode::from(2);
            }
        }
        args.drain(..2);
    }
    let stdout = std::io::stdout();
    let mut rater = Rater { thresholds, out: BufWriter::with_capacity(1 << 16, stdout.lock()), failures: 0 };
    let result = if args.is_empty() || args == ["-"] {
        rate_lines(&mut rater)
    } else {
        args.iter().try_for_each(|path| match std::fs::read_to_string(path) {
            Ok(text) => rater.rate_document(path, &text),
            Err(error) => {
                eprintln!("callscope: {path}: {error}");
                rater.failures += 1;
                Ok(())
            }
        })
    };
    if let Err(error) = result.and_then(|()| rater.out.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("callscope: {error}");
        return ExitCode::FAILURE;
    }
    if rater.failures > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn rate_lines<W: Write>(rater: &mut Rater<W>) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    let mut input = stdin.lock();
    let mut number = 0;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        if !line.trim().is_empty() {
            rater.rate(&line, &|| format!("stdin:{number}"))?;
        }
    }
}
