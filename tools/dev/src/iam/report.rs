//! What a run's log of checked accesses ([`super::Verdict::log_lines`]) shows: the refusals, the
//! requests each function made, and, statement by statement, which of the rights the template
//! grants were used and which were not (a request allowed by two statements counts for the
//! first). `callscope-dev iam-report LOG` prints it and fails on a refusal or on a function of
//! the template that made no request at all (its requests would not have been attributed).
//! A right counts as used when some request needed it, whichever other statement also grants it.

use super::Check;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// A run's checked accesses, summed up.
#[derive(Debug, Default)]
pub struct Report {
    /// Refusal messages and how often each was seen.
    pub refusals: BTreeMap<String, usize>,
    /// Accesses checked, by function.
    pub accesses: BTreeMap<String, usize>,
    /// By statement and action: the condition values that allowed an access (`""` without one).
    used: BTreeMap<(String, String), BTreeSet<String>>,
}

impl Report {
    /// Sums up the log's lines (lines that are not an access are skipped).
    pub fn read(log: &str) -> Self {
        let mut report = Self::default();
        for line in log.lines() {
            let Ok(access) = serde_json::from_str::<Json>(line) else { continue };
            let Some(function) = access["function"].as_str() else { continue };
            *report.accesses.entry(function.to_owned()).or_default() += 1;
            if let Some(refused) = access["refused"].as_str() {
                *report.refusals.entry(refused.to_owned()).or_default() += 1;
                continue;
            }
            let Some(action) = access["action"].as_str() else { continue };
            for allowance in access["allowedBy"].as_array().into_iter().flatten() {
                let Some(statement) = allowance["statement"].as_str() else { continue };
                let used = report.used.entry((statement.to_owned(), action.to_ascii_lowercase())).or_default();
                let matched = allowance["matched"].as_array().cloned().unwrap_or_default();
                if matched.is_empty() {
                    used.insert(String::new());
                }
                used.extend(matched.iter().filter_map(|m| m.as_str().map(str::to_owned)));
            }
        }
        report
    }

    /// What fails the run: every refusal, and every function of `check` that made no request.
    pub fn problems(&self, check: &Check) -> Vec<String> {
        let mut problems: Vec<String> =
            self.refusals.iter().map(|(refusal, n)| format!("{refusal} [{n} time(s)]")).collect();
        for function in check.function_names() {
            if !self.accesses.contains_key(function) {
                problems.push(format!("{function} made no DynamoDB request that was attributed to it"));
            }
        }
        problems
    }

    /// The rights of `check`'s functions, statement by statement, used and unused.
    pub fn usage(&self, check: &Check) -> String {
        let mut out = String::new();
        for name in check.function_names() {
            let function = check.function(name).expect("a listed function");
            let count = self.accesses.get(name).copied().unwrap_or_default();
            out.push_str(&format!("{name} ({}): {count} accesses checked\n", function.logical_id));
            for statement in &function.statements {
                let granted = statement.leading_keys();
                for action in statement.actions() {
                    let used = self.used.get(&(statement.id.clone(), action.to_ascii_lowercase()));
                    let line = match used {
                        None => "never used".to_owned(),
                        Some(_) if granted.is_empty() => "used".to_owned(),
                        Some(used) => {
                            let unused: Vec<&str> = granted.iter().copied().filter(|g| !used.contains(*g)).collect();
                            let used: Vec<&str> = granted.iter().copied().filter(|g| used.contains(*g)).collect();
                            match unused.as_slice() {
                                [] => format!("used on {}", used.join(" ")),
                                _ => format!("used on {}; never on {}", used.join(" "), unused.join(" ")),
                            }
                        }
                    };
                    out.push_str(&format!("  {} {action}: {line}\n", statement.id));
                }
            }
        }
        out
    }
}
