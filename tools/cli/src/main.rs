//! `callscope classify [--thresholds FILE] [FILE...|-]`: rates Graph call records offline with the
//! same core code the classify function runs, for admins who exported records and want verdicts
//! without deploying anything.
//!
//! Each FILE, whatever its extension, holds call records or `{"value": [record, ...]}` pages as
//! Graph sends them: one document, or several one after another (JSON lines). With no FILE, or
//! `-`, standard input holds one record or page per line. Prints one JSON line per session:
//! `{callId, sessionId, rating, issues, mainCause, likelyAt}`. A record that cannot be read is reported on
//! standard error with its file and line, and the rest go on (exit status 1).

use callscope_core::domain::classify::Rating;
use callscope_core::domain::classify::{Issue, LikelyAt, Thresholds, classify_sessions};
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
    #[serde(skip_serializing_if = "Option::is_none")]
    likely_at: Option<LikelyAt>,
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
                        likely_at: verdict.likely_at,
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

    /// Rates one document: a record, or a `{"value": [...]}` page; `place` names it.
    fn rate_document(&mut self, text: &str, place: &str) -> std::io::Result<()> {
        match serde_json::from_str::<Batch>(text) {
            Ok(batch) => {
                for (i, record) in batch.value.iter().enumerate() {
                    self.rate(record.get(), &|| format!("{place}: value[{i}]"))?;
                }
                Ok(())
            }
            Err(_) => self.rate(text, &|| place.to_owned()),
        }
    }

    /// Rates every document of file `name`: one, or several one after another (JSON lines),
    /// each named by the line it starts on. Text that is not JSON stops the file there.
    fn rate_file(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        let mut documents = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
        loop {
            let before = documents.byte_offset();
            match documents.next() {
                None => return Ok(()),
                Some(Ok(document)) => {
                    let start = before + text[before..].len() - text[before..].trim_start().len();
                    let line = text[..start].matches('\n').count() + 1;
                    self.rate_document(document.get(), &format!("{name}:{line}"))?;
                }
                Some(Err(error)) => {
                    eprintln!("callscope: {name}:{}:{}: {error}", error.line(), error.column());
                    self.failures += 1;
                    return Ok(());
                }
            }
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
            Ok(text) => rater.rate_file(path, &text),
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
            rater.rate_document(&line, &format!("stdin:{number}"))?;
        }
    }
}
