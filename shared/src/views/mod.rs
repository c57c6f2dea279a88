//! Role views: what each role may see, as types. The query function can only serialize what
//! these types contain.

pub mod detail;
pub mod history;
pub mod party;

pub use detail::{
    CallDetail, EngineerCall, EngineerSession, Location, SessionOverview, SpecialistCall, call_detail, involves,
};
pub use history::{AuditRecord, HistoryItem, UserSummary};
pub use party::{EngineerParty, MaskedPhone, PartyView, SpecialistParty, Viewer};
