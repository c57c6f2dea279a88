//! Phone calls: the rows of Microsoft Graph's two phone-call logs, `getPstnCalls` (Calling Plan
//! and Operator Connect) and `getDirectRoutingCalls` (the tenant's own session border
//! controllers). Each row is one whole call of one user; it carries no media quality, so it is
//! rated only on whether it connected. Their ids are not call record ids: a row complements a
//! Teams call record, it never links to one.

pub mod call;
pub mod parse;
pub mod row;
pub mod sip;
pub mod views;

pub use call::{Direction, Outcome, PhoneCall};
pub use parse::{MAX_ROWS, parse_phone_rows};
pub use row::{DirectRoutingRow, PhoneRow, PstnCallRow};
