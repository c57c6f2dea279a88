//! Any text as a `cursor` parameter: never a panic and never accepted (it would need the key);
//! and any scope and key a real page produces round-trips only within its own scope.
#![no_main]

use callscope_core::cursor::{CursorSigner, Position};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|input: &str| {
    let signer = CursorSigner::new("fuzz-cursor-key-of-at-least-32-bytes!!");
    assert!(signer.verify("history|u|||support-specialist", input).is_err(), "a forged cursor was accepted");
    let (scope, key) = input.split_once('\u{0}').unwrap_or((input, ""));
    let position = Position { key: BTreeMap::from([("PK".to_owned(), key.to_owned())]), returned: input.len() as u32 };
    let cursor = signer.sign(scope, &position);
    assert_eq!(signer.verify(scope, &cursor).as_ref(), Ok(&position));
    assert!(signer.verify(&format!("{scope}x"), &cursor).is_err(), "a cursor crossed scopes");
});
