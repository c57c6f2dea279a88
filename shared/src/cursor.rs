//! Opaque page cursors that the server can verify.
//!
//! A cursor carries DynamoDB's `LastEvaluatedKey` (string attributes only: every key of the
//! table is a string), the scope it was issued for (route, user, role) and how many items were
//! already returned, signed with HMAC-SHA-256. A cursor that was altered, or issued for another
//! scope, is refused: it cannot be used to read past another user's page boundary or to widen a
//! role.

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};

type HmacSha256 = Hmac<Sha256>;

/// Where a page stopped, and how many items came before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The `LastEvaluatedKey`.
    #[serde(rename = "k")]
    pub key: BTreeMap<String, String>,
    /// Items already returned before this page.
    #[serde(rename = "n")]
    pub returned: u32,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "s")]
    scope: String,
    #[serde(flatten)]
    position: Position,
}

/// Why a cursor was refused. The message is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is invalid, altered or was issued for another request")]
pub struct InvalidCursor;

/// Signs and verifies cursors with one deployment-wide key.
#[derive(Clone)]
pub struct CursorSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner(..)")
    }
}

impl CursorSigner {
    /// A signer with `key` (the `CURSOR_KEY` secret).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    /// A cursor for `position`, valid only for `scope`.
    pub fn sign(&self, scope: &str, position: &Position) -> String {
        let payload = serde_json::to_vec(&Payload { scope: scope.to_owned(), position: position.clone() })
            .expect("strings and numbers always serialize");
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The position in `cursor`, if it is intact and was issued for `scope`.
    pub fn verify(&self, scope: &str, cursor: &str) -> Result<Position, InvalidCursor> {
        let (payload, tag) = cursor.split_once('.').ok_or(InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        self.mac(&payload).verify_slice(&tag).map_err(|_| InvalidCursor)?;
        let payload: Payload = serde_json::from_slice(&payload).map_err(|_| InvalidCursor)?;
        if payload.scope != scope {
            return Err(InvalidCursor);
        }
        Ok(payload.position)
    }
}

impl Position {
    /// The position after a page that ended at `key` (a `LastEvaluatedKey`); `None` if the key
    /// holds a non-string attribute, which no key of this table does.
    pub fn after(key: &HashMap<String, AttributeValue>, returned: u32) -> Option<Self> {
        let key = key.iter().map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone()))).collect::<Option<_>>()?;
        Some(Self { key, returned })
    }

    /// The `ExclusiveStartKey` to continue from.
    pub fn start_key(&self) -> HashMap<String, AttributeValue> {
        self.key.iter().map(|(k, v)| (k.clone(), AttributeValue::S(v.clone()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            key: BTreeMap::from([("PK".into(), "USER#u1".into()), ("SK".into(), "CALL#c1".into())]),
            returned: 50,
        }
    }

    #[test]
    fn a_cursor_round_trips_in_its_scope_only() {
        let signer = CursorSigner::new("a deployment secret");
        let cursor = signer.sign("history|u1|specialist", &position());
        assert_eq!(signer.verify("history|u1|specialist", &cursor), Ok(position()));
        assert_eq!(signer.verify("history|u2|specialist", &cursor), Err(InvalidCursor), "another user");
        assert_eq!(signer.verify("history|u1|engineer", &cursor), Err(InvalidCursor), "another role");
        assert_eq!(CursorSigner::new("another secret").verify("history|u1|specialist", &cursor), Err(InvalidCursor));
    }

    #[test]
    fn altered_or_malformed_cursors_are_refused() {
        let signer = CursorSigner::new("k");
        let cursor = signer.sign("s", &position());
        let (payload, tag) = cursor.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        bytes[10] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&bytes));
        for bad in [forged.as_str(), "", ".", "abc", "abc.def", &cursor[..cursor.len() - 2], "🦀.🦀"] {
            assert_eq!(signer.verify("s", bad), Err(InvalidCursor), "{bad}");
        }
    }
}
