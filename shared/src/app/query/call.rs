//! `GET /calls/{callId}?user={userId}`: a call as seen from the searched user; audited.

use super::{AppError, Query};
use crate::domain::access::{AuditAction, Principal};
use crate::domain::views::{Audience, ByRole, EngineerCall, SpecialistCall, Viewer, call_detail};

/// A call's detail in the caller's view.
pub type CallView = ByRole<SpecialistCall, EngineerCall>;

impl Query<'_> {
    /// The detail of `call_id` as `user_id` took part in it (a `404` if they did not).
    pub async fn call(
        &self,
        principal: &Principal,
        call_id: &str,
        user_id: Option<&str>,
    ) -> Result<CallView, AppError> {
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
        let sites = loaded?.sites;
        let viewer = Viewer { searched_user: user_id, home_tenant: self.home_tenant };
        Ok(match audience {
            Audience::Specialist => ByRole::Specialist(call_detail(&stored, &viewer, &sites)),
            Audience::Engineer => ByRole::Engineer(call_detail(&stored, &viewer, &sites)),
        })
    }
}
