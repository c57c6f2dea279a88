//! The Graph call record: wire types, durations, parties, validation and request bodies.

pub mod batch;
pub mod duration;
pub mod erase;
pub mod graph;
pub mod parties;
pub mod validate;

pub use batch::{MAX_BATCH, MAX_DEPTH, Rejection, parse_calls};
pub use duration::Millis;
pub use graph::*;
pub use parties::{Party, PartyKind};
pub use validate::{Problem, Severity, ValidCall};
