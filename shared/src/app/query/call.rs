//! `GET /calls/{callId}?user={userId}`: a call as seen from the searched user, and the pages of
//! a large call's sessions and participants (`/sessions`, `/participants`); all audited.

use super::{AppError, ListPage, Paging, Query};
use crate::domain::access::{AuditAction, CursorScope, Position, Principal};
use crate::domain::calls::StoredCall;
use crate::domain::classify::Rating;
use crate::domain::sites::Sites;
use crate::domain::views::detail::{EngineerSession, SessionFilter, SessionOverview, participant_page, session_page};
use crate::domain::views::{
    Audience, ByRole, EngineerCall, EngineerParty, SpecialistCall, SpecialistParty, Viewer, call_detail,
};
use std::sync::Arc;

/// A call's detail in the caller's view.
pub type CallView = ByRole<SpecialistCall, EngineerCall>;
/// A page of a call's sessions in the caller's view.
pub type SessionsView = ByRole<ListPage<SessionOverview<SpecialistParty>>, ListPage<EngineerSession>>;
/// A page of a call's participants in the caller's view.
pub type ParticipantsView = ByRole<ListPage<SpecialistParty>, ListPage<EngineerParty>>;

/// A call the caller may see, as `user_id` took part in it, with the tenant data to show it.
struct Seen {
    audience: Audience,
    stored: StoredCall,
    sites: Arc<Sites>,
}

impl Query<'_> {
    /// The detail of `call_id` as `user_id` took part in it (a `404` if they did not).
    pub async fn call(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
    ) -> Result<CallView, AppError> {
        let (user_id, seen) = self.seen(principal, call_id, user_id).await?;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        Ok(match seen.audience {
            Audience::Specialist => ByRole::Specialist(call_detail(&seen.stored, &viewer, &seen.sites)),
            Audience::Engineer => ByRole::Engineer(call_detail(&seen.stored, &viewer, &seen.sites)),
        })
    }

    /// A page of the sessions of `call_id` (those rated `rating`, if given), in call order.
    pub async fn call_sessions(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
        rating: Option<Rating>,
        paging: &Paging,
    ) -> Result<SessionsView, AppError> {
        let (user_id, seen) = self.seen(principal, call_id, user_id).await?;
        let rating_name = rating.map(|r| format!("{r:?}")).unwrap_or_default();
        let scope = CursorScope::Sessions { call: call_id, user: user_id, rating: &rating_name, view: seen.audience };
        let start = self.position(scope, paging)?.map_or(0, |p| p.returned) as usize;
        let filter = SessionFilter { rating, start, limit: paging.limit as usize };
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        let next = |at: Option<usize>| self.cursor_at(scope, at);
        Ok(match seen.audience {
            Audience::Specialist => {
                let (items, at) = session_page(&seen.stored, &viewer, &seen.sites, filter);
                ByRole::Specialist(ListPage { items, next_cursor: next(at) })
            }
            Audience::Engineer => {
                let (items, at) = session_page(&seen.stored, &viewer, &seen.sites, filter);
                ByRole::Engineer(ListPage { items, next_cursor: next(at) })
            }
        })
    }

    /// A page of the participants of `call_id`, in the order the call names them.
    pub async fn call_participants(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
        paging: &Paging,
    ) -> Result<ParticipantsView, AppError> {
        let (user_id, seen) = self.seen(principal, call_id, user_id).await?;
        let scope = CursorScope::Participants { call: call_id, user: user_id, view: seen.audience };
        let start = self.position(scope, paging)?.map_or(0, |p| p.returned) as usize;
        let (viewer, limit) = (Viewer { searched_user: user_id, home_tenant: self.home_tenant }, paging.limit as usize);
        let summary = &seen.stored.summary;
        Ok(match seen.audience {
            Audience::Specialist => {
                let (items, at) = participant_page(summary, &viewer, start, limit);
                ByRole::Specialist(ListPage { items, next_cursor: self.cursor_at(scope, at) })
            }
            Audience::Engineer => {
                let (items, at) = participant_page(summary, &viewer, start, limit);
                ByRole::Engineer(ListPage { items, next_cursor: self.cursor_at(scope, at) })
            }
        })
    }

    /// What every route about one user's call does first: the caller's view (a refusal
    /// audited), the checked ids, the audit entry (fail-closed), the call (a `404` unless
    /// `user_id` took part as a user of the home tenant) and the tenant data.
    async fn seen<'u>(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&'u str>,
    ) -> Result<(&'u str, Seen), AppError> {
        let mut refused = self.event(principal, AuditAction::Detail).call(call_id);
        refused.target_user = user_id.map(str::to_owned);
        let audience = self.audience_audited(principal, refused).await?;
        let user_id = super::call_of_user(call_id, user_id)?;
        let event = self.event(principal, AuditAction::Detail).user(user_id).call(call_id);
        let (stored, audit, loaded) = tokio::join!(
            self.store.call(call_id, self.now),
            self.audit(event),
            self.sites.current(self.store, self.now, false)
        );
        audit?;
        let stored =
            stored?.filter(|s| s.summary.involves(user_id, self.home_tenant)).ok_or(AppError::NotFound("call"))?;
        Ok((user_id, Seen { audience, stored, sites: loaded?.sites }))
    }

    /// The cursor of a page of a call's list that stopped before item `at`; `None` at the end.
    fn cursor_at(&self, scope: CursorScope, at: Option<usize>) -> Option<String> {
        at.map(|at| self.signer.sign(scope, &Position { key: Default::default(), returned: at as u32 }))
    }
}
