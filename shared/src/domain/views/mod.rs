//! Role views: what each role may see, as types, built from domain values. The query function
//! can only serialize what these types contain.

pub mod detail;
pub mod escalation;
pub mod history;
pub mod party;
pub mod timeline;

pub use detail::{CallDetail, EngineerCall, EngineerSession, Location, SessionOverview, SpecialistCall, call_detail};
pub use escalation::{
    AuthorView, EngineerAuthor, EngineerEscalation, EngineerEscalationRow, EscalationRow, EscalationView,
    SpecialistAuthor, SpecialistEscalation, SpecialistEscalationRow, escalation_row, escalation_view, escalations_csv,
};
pub use history::{
    EndBuildings, EndsView, EngineerHistoryItem, HistoryItem, SpecialistHistoryItem, UserSummary, history_csv,
    history_item,
};
pub use party::{EngineerParty, MaskedPhone, PartyView, SpecialistParty, Viewer};

use crate::domain::access::{AuthError, Principal, Role};
use serde::Serialize;

/// Which view a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Tier 1: names of others masked, no Advanced or Debug.
    Specialist,
    /// Tier 2 and admins: everything.
    Engineer,
}

impl Audience {
    /// The view `principal`'s most trusted support role allows.
    pub fn of(principal: &Principal) -> Result<Self, AuthError> {
        match principal.support_role() {
            Some(Role::SupportSpecialist) => Ok(Self::Specialist),
            Some(Role::SupportEngineer | Role::Admin) => Ok(Self::Engineer),
            _ => Err(AuthError::Forbidden),
        }
    }

    /// The view's name, as cursors and the audit trail record it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Specialist => "support-specialist",
            Self::Engineer => "support-engineer",
        }
    }
}

/// A response in the view of the caller's role.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ByRole<S, E> {
    Specialist(S),
    Engineer(E),
}
