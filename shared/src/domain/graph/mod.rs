//! The Microsoft Graph call record: wire types, durations, parties, validation and request
//! bodies. What `POST /calls` (and the Graph connector) parse into, and what is stored.

pub mod batch;
pub mod duration;
pub mod parties;
pub mod record;
pub mod validate;

pub use batch::{MAX_BATCH, MAX_DEPTH, parse_calls};
pub use duration::Millis;
pub use parties::{Party, PartyKind};
pub use record::*;
pub use validate::{MAX_SESSIONS, ValidCall};
