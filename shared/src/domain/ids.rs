//! Ids (calls, sessions, parties) as callscope accepts them. Ids become parts of storage keys
//! and audit entries, so one rule decides them, wherever an id comes from: a call record's body
//! or a request's path and parameters.

/// Longest id (call, session or party) accepted.
pub const MAX_ID_LEN: usize = 256;

/// Why `id` cannot name anything callscope stores; `None` when it can.
pub fn id_problem(id: &str) -> Option<String> {
    if id.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if id.len() > MAX_ID_LEN {
        Some(format!("must be at most {MAX_ID_LEN} bytes"))
    } else if id.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_long_and_control_ids_are_refused() {
        assert_eq!(id_problem("u1"), None);
        assert_eq!(id_problem(&"a".repeat(MAX_ID_LEN)), None);
        assert!(id_problem(&"a".repeat(MAX_ID_LEN + 1)).is_some());
        for bad in ["", "  ", "a\u{0}b", "a\nb"] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
    }
}
