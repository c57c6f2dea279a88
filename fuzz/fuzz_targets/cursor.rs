//! Any text as a `cursor` parameter: never a panic and never accepted (it would need the key);
//! and any scope and key a real page produces round-trips only within its own scope.
#![no_main]

use callscope_core::domain::access::{CursorScope, CursorSigner, Position};
use callscope_core::domain::views::Audience;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|input: &str| {
    let signer = CursorSigner::new("fuzz-cursor-key-of-at-least-32-bytes!!");
    let history = |user| CursorScope::History { user, from: None, to: None, view: Audience::Specialist };
    assert!(signer.verify(history("u"), input).is_err(), "a forged cursor was accepted");
    let (user, key) = input.split_once('\u{0}').unwrap_or((input, ""));
    let position = Position { key: BTreeMap::from([("PK".to_owned(), key.to_owned())]), returned: input.len() as u32 };
    let cursor = signer.sign(history(user), &position);
    assert_eq!(signer.verify(history(user), &cursor).as_ref(), Ok(&position));
    let other = format!("{user}x");
    assert!(signer.verify(history(&other), &cursor).is_err(), "a cursor crossed users");
    let engineer = CursorScope::History { user, from: None, to: None, view: Audience::Engineer };
    assert!(signer.verify(engineer, &cursor).is_err(), "a cursor crossed roles");
});
