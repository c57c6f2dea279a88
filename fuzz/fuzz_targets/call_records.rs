//! Any bytes as a `POST /calls` body: parsing, validation, item building and classification
//! never panic; a rejection always says what is wrong; an accepted record only reaches its own
//! call's keys.
#![no_main]

use callscope_core::classify::{Thresholds, classify_sessions};
use callscope_core::model::parse_calls;
use callscope_core::store::PreparedCall;
use callscope_core::store::keys::{PK, call_pk};
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
        let result = classify_sessions(&call.record().sessions, &thresholds);
        assert_eq!(result.sessions.len(), call.record().sessions.len());
        if let Ok(prepared) = PreparedCall::new(call, now) {
            let own = call_pk(&prepared.call_id);
            assert_eq!(prepared.header[PK].as_s().unwrap(), &own);
            for page in &prepared.pages {
                assert_eq!(page[PK].as_s().unwrap(), &own, "a session page outside its call");
            }
        }
    }
});
