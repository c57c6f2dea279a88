//! `Idempotency-Key`: a client that may send a create twice (a retry after a lost answer) names
//! the request, and the second send answers like the first instead of creating again. Pure
//! values: the key as checked, what one keyed request is (its fingerprint), and what a stored
//! record says about a repeat. No storage, no HTTP.

use sha2::{Digest, Sha256};

/// The header's name, as the API documents it and problems name it.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 255;
/// How long a key is remembered: a day covers any client's retries.
pub const KEY_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// Why a header value is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKey {
    /// The header is there with nothing in it.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_KEY_BYTES`]; how long it is.
    #[error("is {0} bytes long; at most {MAX_KEY_BYTES}")]
    TooLong(usize),
    /// A control character or a byte outside ASCII.
    #[error("must be printable ASCII (space to ~)")]
    NotPrintable,
}

/// A client's name for one request, checked: 1 to [`MAX_KEY_BYTES`] printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's raw bytes as a key.
    pub fn parse(raw: &[u8]) -> Result<Self, InvalidKey> {
        if raw.is_empty() {
            Err(InvalidKey::Empty)
        } else if raw.len() > MAX_KEY_BYTES {
            Err(InvalidKey::TooLong(raw.len()))
        } else if !raw.iter().all(|b| (b' '..=b'~').contains(b)) {
            Err(InvalidKey::NotPrintable)
        } else {
            Ok(Self(String::from_utf8_lossy(raw).into_owned()))
        }
    }
}

/// One keyed request: whose key it is (scoped to the caller, so two people's keys never meet)
/// and what was asked, as a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    /// A hash of the caller's id and the key: the record's name, naming neither in clear.
    pub scope: String,
    /// A hash of the route, its target and the body: a repeat must match it.
    pub fingerprint: String,
}

impl KeyedRequest {
    /// `caller`'s request under `key` to `route` (`escalate`, `note`) of `target` (the call and
    /// user, or the escalation) with `body`.
    pub fn new(caller: &str, key: &IdempotencyKey, route: &str, target: &[&str], body: &[u8]) -> Self {
        Self { scope: hash(&[caller, &key.0]), fingerprint: hash_with(&[route], target, body) }
    }

    /// What a stored record under this request's key means for it.
    pub fn repeat_of(&self, record: &KeyRecord) -> Repeat {
        if record.fingerprint == self.fingerprint {
            Repeat::Same(record.escalation_id.clone())
        } else {
            Repeat::Different
        }
    }
}

/// What a keyed request did, as stored under its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The fingerprint of the request that first used the key.
    pub fingerprint: String,
    /// The escalation it created or added a note to.
    pub escalation_id: String,
}

/// A request whose key is already recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    /// The same request again: answered from escalation `0`, nothing written.
    Same(String),
    /// The key was used for another request: refused.
    Different,
}

/// Hex SHA-256 over `parts`, each length-prefixed so no two lists hash alike.
fn hash(parts: &[&str]) -> String {
    hash_with(parts, &[], b"")
}

/// Hex SHA-256 over `head`, then `target`, then `body`, each part length-prefixed.
fn hash_with(head: &[&str], target: &[&str], body: &[u8]) -> String {
    let mut digest = Sha256::new();
    for part in head.iter().chain(target).map(|p| p.as_bytes()).chain([body]) {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_bytes() {
        assert!(IdempotencyKey::parse(b"3f1c9a6e-5b2d-4e8f-9a1b-2c3d4e5f6a7b").is_ok());
        assert!(IdempotencyKey::parse(" ~!".as_bytes()).is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; MAX_KEY_BYTES]).is_ok());
        assert_eq!(IdempotencyKey::parse(&[b'k'; MAX_KEY_BYTES + 1]), Err(InvalidKey::TooLong(256)));
        assert_eq!(IdempotencyKey::parse(b""), Err(InvalidKey::Empty));
        for bad in [&b"tab\there"[..], b"nul\0", "caf\u{e9}".as_bytes(), b"del\x7f"] {
            assert_eq!(IdempotencyKey::parse(bad), Err(InvalidKey::NotPrintable), "{bad:?}");
        }
    }

    #[test]
    fn a_key_is_scoped_to_its_caller_and_its_request() {
        let key = IdempotencyKey::parse(b"k1").unwrap();
        let first = KeyedRequest::new("sam", &key, "note", &["e1"], br#"{"note":"n"}"#);
        let record = KeyRecord { fingerprint: first.fingerprint.clone(), escalation_id: "e1".into() };
        assert_eq!(first.repeat_of(&record), Repeat::Same("e1".into()));
        for other in [
            KeyedRequest::new("sam", &key, "note", &["e1"], br#"{"note":"m"}"#),
            KeyedRequest::new("sam", &key, "note", &["e2"], br#"{"note":"n"}"#),
            KeyedRequest::new("sam", &key, "escalate", &["e1"], br#"{"note":"n"}"#),
        ] {
            assert_eq!(other.scope, first.scope);
            assert_eq!(other.repeat_of(&record), Repeat::Different);
        }
        assert_ne!(KeyedRequest::new("sue", &key, "note", &["e1"], b"").scope, first.scope, "per caller");
        let split = |caller: &str, key: &[u8]| {
            KeyedRequest::new(caller, &IdempotencyKey::parse(key).unwrap(), "note", &[], b"").scope
        };
        assert_ne!(split("a#b", b"c"), split("a", b"b#c"), "no delimiter makes two callers' keys meet");
    }
}
