//! `GET /calls/{callId}?user={userId}`: a call as seen from the searched user, and the pages of
//! a large call's sessions and participants (`/sessions`, `/participants`); all audited.

use super::{AppError, ListPage, Paging, Query};
use crate::domain::access::{AuditAction, CursorScope, Position, Principal, Role};
use crate::domain::classify::Rating;
use crate::domain::phone::views::{AdminPhoneCall, EngineerPhoneCall, PhoneOverview, PhoneView};
use crate::domain::sites::Sites;
use crate::domain::views::detail::{EngineerSession, SessionFilter, SessionOverview, participant_page, session_page};
use crate::domain::views::{
    Audience, ByRole, EngineerCall, EngineerParty, SpecialistCall, SpecialistParty, Viewer, call_detail,
};
use crate::store::items::CallHeader;
use crate::store::{StoreError, Stored};
use std::sync::Arc;

/// A call's detail in the caller's view.
pub type CallView = ByRole<SpecialistCall, EngineerCall>;

/// What `GET /calls/{id}` answers: a Teams call's detail, or a phone-call row's.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum DetailView {
    Call(Box<CallView>),
    Phone(Box<PhoneView>),
}
/// A page of a call's sessions in the caller's view.
pub type SessionsView = ByRole<ListPage<SessionOverview<SpecialistParty>>, ListPage<EngineerSession>>;
/// A page of a call's participants in the caller's view.
pub type ParticipantsView = ByRole<ListPage<SpecialistParty>, ListPage<EngineerParty>>;

/// A call the caller may see, as `user_id` took part in it (read whole, or only its header and
/// parties), with the tenant data to show it.
struct Seen<C> {
    audience: Audience,
    call: C,
    sites: Arc<Sites>,
}

impl Query<'_> {
    /// The detail of `call_id` as `user_id` took part in it (a `404` if they did not): a call,
    /// or a phone-call row (its charges for admins only).
    pub async fn call(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
    ) -> Result<DetailView, AppError> {
        let read = self.store.stored_call(call_id, self.now);
        let (user_id, seen) = self.seen(principal, call_id, user_id, read, Stored::involves).await?;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        let (causes, home) = (self.sip_causes, self.home_tenant);
        Ok(match (seen.call, seen.audience) {
            (Stored::Call(call), Audience::Specialist) => {
                DetailView::Call(Box::new(ByRole::Specialist(call_detail(&call, &viewer, &seen.sites))))
            }
            (Stored::Call(call), Audience::Engineer) => {
                DetailView::Call(Box::new(ByRole::Engineer(call_detail(&call, &viewer, &seen.sites))))
            }
            (Stored::Phone(row), Audience::Specialist) => {
                DetailView::Phone(Box::new(PhoneView::Specialist(PhoneOverview::of(&row.phone, &viewer, causes, home))))
            }
            (Stored::Phone(row), Audience::Engineer) if principal.support_role() == Some(Role::Admin) => {
                DetailView::Phone(Box::new(PhoneView::Admin(AdminPhoneCall::of(&row.phone, &viewer, causes, home))))
            }
            (Stored::Phone(row), Audience::Engineer) => DetailView::Phone(Box::new(PhoneView::Engineer(
                EngineerPhoneCall::of(&row.phone, &viewer, causes, home),
            ))),
        })
    }

    /// A page of the sessions of `call_id` (those rated `rating`, if given), in call order: read
    /// from the header, the parties and the pages that hold the page's sessions.
    pub async fn call_sessions(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
        rating: Option<Rating>,
        paging: &Paging,
    ) -> Result<SessionsView, AppError> {
        let (user_id, seen) = self.seen_head(principal, call_id, user_id).await?;
        let rating_name = rating.map(|r| format!("{r:?}")).unwrap_or_default();
        let scope = CursorScope::Sessions { call: call_id, user: user_id, rating: &rating_name, view: seen.audience };
        let start = self.position(scope, paging)?.map_or(0, |p| p.returned) as usize;
        let filter = SessionFilter { rating, start, limit: paging.limit as usize };
        let selected = self.store.selected_sessions(&seen.call, &filter, self.now).await?;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        let (summary, limit) = (&seen.call.summary, filter.limit);
        let next = |at: Option<usize>| self.cursor_at(scope, at);
        Ok(match seen.audience {
            Audience::Specialist => {
                let (items, at) = session_page(summary, &viewer, &seen.sites, &selected, limit);
                ByRole::Specialist(ListPage { items, next_cursor: next(at) })
            }
            Audience::Engineer => {
                let (items, at) = session_page(summary, &viewer, &seen.sites, &selected, limit);
                ByRole::Engineer(ListPage { items, next_cursor: next(at) })
            }
        })
    }

    /// A page of the participants of `call_id`, in the order the call names them: read from the
    /// header and the party pages only.
    pub async fn call_participants(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
        paging: &Paging,
    ) -> Result<ParticipantsView, AppError> {
        let (user_id, seen) = self.seen_head(principal, call_id, user_id).await?;
        let scope = CursorScope::Participants { call: call_id, user: user_id, view: seen.audience };
        let start = self.position(scope, paging)?.map_or(0, |p| p.returned) as usize;
        let (viewer, limit) = (Viewer { searched_user: user_id, home_tenant: self.home_tenant }, paging.limit as usize);
        let summary = &seen.call.summary;
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

    /// [`Self::seen`] of the call's header and parties only: what the pages of a call start from.
    async fn seen_head<'u>(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&'u str>,
    ) -> Result<(&'u str, Seen<CallHeader>), AppError> {
        let read = self.store.call_head(call_id, self.now);
        self.seen(principal, call_id, user_id, read, |h: &CallHeader, user, home| h.summary.involves(user, home)).await
    }

    /// What every route about one user's call does first: the caller's view (a refusal
    /// audited), the checked ids, the audit entry (fail-closed), the call as `read` reads it (a
    /// `404` unless `user_id` took part, as `involves` says, as a user of the home tenant) and the
    /// tenant data.
    async fn seen<'u, C>(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&'u str>,
        read: impl Future<Output = Result<Option<C>, StoreError>>,
        involves: fn(&C, &str, &str) -> bool,
    ) -> Result<(&'u str, Seen<C>), AppError> {
        let mut refused = self.event(principal, AuditAction::Detail).call(call_id);
        refused.target_user = user_id.map(str::to_owned);
        let audience = self.audience_audited(principal, refused).await?;
        let user_id = super::call_of_user(call_id, user_id)?;
        let event = self.event(principal, AuditAction::Detail).user(user_id).call(call_id);
        let (call, audit, loaded) =
            tokio::join!(read, self.audit(event), self.sites.current(self.store, self.now, false));
        audit?;
        let call = call?.filter(|c| involves(c, user_id, self.home_tenant)).ok_or(AppError::NotFound("call"))?;
        Ok((user_id, Seen { audience, call, sites: loaded?.sites }))
    }

    /// The cursor of a page of a call's list that stopped before item `at`; `None` at the end.
    fn cursor_at(&self, scope: CursorScope, at: Option<usize>) -> Option<String> {
        at.map(|at| self.signer.sign(scope, &Position { key: Default::default(), returned: at as u32 }))
    }
}
