//! Role views: what each role may see, as types, built from domain values. The query function
//! can only serialize what these types contain.

pub mod detail;
pub mod escalation;
pub mod history;
pub mod party;
pub mod reports;
pub mod timeline;

pub use detail::{CallDetail, EngineerCall, EngineerSession, Location, SessionOverview, SpecialistCall, call_detail};
pub use escalation::{
    AuthorView, EngineerAuthor, EngineerEscalation, EngineerEscalationRow, EscalationRow, EscalationView,
    SpecialistAuthor, SpecialistEscalation, SpecialistEscalationRow, escalation_row, escalation_view, escalations_csv,
};
pub use history::{
    EndBuildings, EndsView, EngineerHistoryLine, HistoryLine, SpecialistHistoryLine, UserSummary, history_csv,
    history_line,
};
pub use party::{EngineerParty, MaskedPhone, PartyView, SpecialistParty, Viewer};

pub use crate::domain::access::Audience;
use serde::Serialize;

/// A response in the view of the caller's role.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ByRole<S, E> {
    Specialist(S),
    Engineer(E),
}
