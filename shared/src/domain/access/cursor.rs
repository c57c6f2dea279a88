//! Opaque page cursors that the server can verify.
//!
//! A cursor carries where the last page stopped (the store's page key: names and string values),
//! the scope it was issued for (route, user, role) and how many items were already returned,
//! signed with HMAC-SHA-256. A cursor that was altered, or issued for another
//! scope, is refused: it cannot be used to read past another user's page boundary or to widen a
//! role.

use super::roles::Audience;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// Where a page of a list stopped: the key of its last item, by attribute name.
pub type PageKey = BTreeMap<String, String>;

/// Where a page stopped, and how many items came before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The key the next page starts after.
    #[serde(rename = "k")]
    pub key: PageKey,
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

/// What a cursor was issued for: the list, and every parameter that shapes it. A cursor is
/// valid only for the scope it was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorScope<'a> {
    /// `GET /users`: the search text as given (normalized), in one view.
    Users { search: &'a str, view: Audience },
    /// `GET /users/{userId}/calls`: one user's history with its `from`/`to` as asked, in one view.
    History { user: &'a str, from: Option<OffsetDateTime>, to: Option<OffsetDateTime>, view: Audience },
    /// `GET /buildings`: one version of the building map.
    Buildings { version: i64 },
    /// `GET /audit` with its `from`/`to` and `action` as asked.
    Audit { from: Option<OffsetDateTime>, to: Option<OffsetDateTime>, action: Option<super::AuditAction> },
    /// `GET /escalations`: one state's queue, or one person's own list (`opener`), in one view.
    Escalations { state: &'a str, opener: &'a str, view: Audience },
    /// `GET /calls/{callId}/sessions`: one call as one user took part, one rating or all, in one view.
    Sessions { call: &'a str, user: &'a str, rating: &'a str, view: Audience },
    /// `GET /calls/{callId}/participants`: one call as one user took part, in one view.
    Participants { call: &'a str, user: &'a str, view: Audience },
    /// `GET /graph/dead-letters`.
    DeadLetters,
}

impl CursorScope<'_> {
    /// The text the signature covers.
    fn text(&self) -> String {
        let at = |t: &Option<OffsetDateTime>| t.map(|t| t.unix_timestamp_nanos().to_string()).unwrap_or_default();
        match self {
            Self::Users { search, view } => format!("users|{search}|{}", view.name()),
            Self::History { user, from, to, view } => format!("history|{user}|{}|{}|{}", at(from), at(to), view.name()),
            Self::Buildings { version } => format!("buildings|{version}"),
            Self::Audit { from, to, action } => {
                format!("audit|{}|{}|{}", at(from), at(to), action.map(|a| a.name()).unwrap_or_default())
            }
            Self::Escalations { state, opener, view } => format!("escalations|{state}|{opener}|{}", view.name()),
            Self::Sessions { call, user, rating, view } => {
                format!("sessions|{call}|{user}|{rating}|{}", view.name())
            }
            Self::Participants { call, user, view } => format!("participants|{call}|{user}|{}", view.name()),
            Self::DeadLetters => "dead-letters".to_owned(),
        }
    }
}

/// Why a cursor was refused. The message is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is invalid, altered or was issued for another request")]
pub struct InvalidCursor;

/// Signs and verifies cursors with one deployment-wide key (and, during a rotation, still
/// verifies those signed with the key before it).
#[derive(Clone)]
pub struct CursorSigner {
    key: Vec<u8>,
    previous: Option<Vec<u8>>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner(..)")
    }
}

impl CursorSigner {
    /// A signer with `key` (the `CURSOR_KEY` secret).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into(), previous: None }
    }

    /// This signer, also accepting cursors signed with `previous` (the key before a rotation):
    /// a helpdesk person paging when the key changes is not thrown back to the first page.
    pub fn also_accepting(self, previous: impl Into<Vec<u8>>) -> Self {
        Self { previous: Some(previous.into()), ..self }
    }

    fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }

    /// A cursor for `position`, valid only for `scope`.
    pub fn sign(&self, scope: CursorScope, position: &Position) -> String {
        let payload = serde_json::to_vec(&Payload { scope: scope.text(), position: position.clone() })
            .expect("strings and numbers always serialize");
        let tag = Self::mac(&self.key, &payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The position in `cursor`, if it is intact and was issued for `scope`.
    pub fn verify(&self, scope: CursorScope, cursor: &str) -> Result<Position, InvalidCursor> {
        let (payload, tag) = cursor.split_once('.').ok_or(InvalidCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        let signed_with = |key: &Vec<u8>| Self::mac(key, &payload).verify_slice(&tag).is_ok();
        if !std::iter::once(&self.key).chain(&self.previous).any(signed_with) {
            return Err(InvalidCursor);
        }
        let payload: Payload = serde_json::from_slice(&payload).map_err(|_| InvalidCursor)?;
        if payload.scope != scope.text() {
            return Err(InvalidCursor);
        }
        Ok(payload.position)
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
        let scope = |user, view| CursorScope::History { user, from: None, to: None, view };
        let cursor = signer.sign(scope("u1", Audience::Specialist), &position());
        assert_eq!(signer.verify(scope("u1", Audience::Specialist), &cursor), Ok(position()));
        assert_eq!(signer.verify(scope("u2", Audience::Specialist), &cursor), Err(InvalidCursor), "another user");
        assert_eq!(signer.verify(scope("u1", Audience::Engineer), &cursor), Err(InvalidCursor), "another role");
        let users = CursorScope::Users { search: "u1", view: Audience::Specialist };
        assert_eq!(signer.verify(users, &cursor), Err(InvalidCursor), "another route");
        let other = CursorSigner::new("another secret");
        assert_eq!(other.verify(scope("u1", Audience::Specialist), &cursor), Err(InvalidCursor));
    }

    #[test]
    fn after_a_rotation_old_cursors_still_verify_and_new_ones_use_the_new_key() {
        let scope = CursorScope::Buildings { version: 1 };
        let before = CursorSigner::new("the key before").sign(scope, &position());
        let rotated = CursorSigner::new("the key now").also_accepting("the key before");
        assert_eq!(rotated.verify(scope, &before), Ok(position()), "issued before the rotation");
        let after = rotated.sign(scope, &position());
        assert_eq!(CursorSigner::new("the key now").verify(scope, &after), Ok(position()), "signed with the new key");
        assert_eq!(CursorSigner::new("the key before").verify(scope, &after), Err(InvalidCursor));
        let next = CursorSigner::new("a third key").also_accepting("the key now");
        assert_eq!(next.verify(scope, &before), Err(InvalidCursor), "two rotations later: gone");
    }

    #[test]
    fn altered_or_malformed_cursors_are_refused() {
        let signer = CursorSigner::new("k");
        let scope = CursorScope::Buildings { version: 1 };
        let cursor = signer.sign(scope, &position());
        let (payload, tag) = cursor.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        bytes[10] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&bytes));
        for bad in [forged.as_str(), "", ".", "abc", "abc.def", &cursor[..cursor.len() - 2], "🦀.🦀"] {
            assert_eq!(signer.verify(scope, bad), Err(InvalidCursor), "{bad}");
        }
    }
}
