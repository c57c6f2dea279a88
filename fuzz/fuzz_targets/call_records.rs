//! Any bytes as a `POST /calls` body: parsing, validation and classification never panic; a
//! rejection always says what is wrong; an accepted record names only parties whose ids, name
//! words and addresses can become storage keys (non-empty, at most 256 bytes of free text), and
//! every session gets exactly one verdict. (That an accepted record's
//! items stay in its own partition is the store's property, tested with key-syntax ids in
//! `tests/tests/suite/hostile.rs`; this target builds the domain alone.)
#![no_main]

use callscope_core::domain::calls::CallSummary;
use callscope_core::domain::classify::{Thresholds, classify_sessions};
use callscope_core::domain::graph::parse_calls;
use callscope_core::domain::ids::id_problem;
use callscope_core::domain::search::{MAX_KEY_TEXT, normalize, search_tokens};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|body: &[u8]| {
    // The sample events' anchor, so seeds from events/graph are inside the history window.
    let now = OffsetDateTime::from_unix_timestamp(1_795_608_000).unwrap();
    let calls = match parse_calls(body, now) {
        Ok(calls) => calls,
        Err(rejection) => {
            assert!(!rejection.problems.is_empty(), "a rejection names its problems");
            return;
        }
    };
    let thresholds = Thresholds::default();
    for call in &calls {
        assert_eq!(id_problem(&call.record().id), None, "an accepted call id that no key may hold");
        let summary = CallSummary::of(call, now);
        for party in &summary.parties {
            assert_eq!(id_problem(&party.id), None, "an accepted party id that no key may hold");
            let name = party.display_name.as_deref();
            for token in search_tokens(name, party.user_principal_name.as_deref()) {
                assert!(!token.is_empty() && token.len() <= MAX_KEY_TEXT, "a search key of {} bytes", token.len());
            }
            assert!(normalize(name.unwrap_or_default()).len() <= MAX_KEY_TEXT, "a listing key too long");
        }
        let result = classify_sessions(&call.record().sessions, &thresholds);
        assert_eq!(result.sessions.len(), call.record().sessions.len());
    }
});
