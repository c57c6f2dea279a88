//! Erasing a user: `DELETE /users/{userId}` removes a user's personal data before the 30 days
//! are up. Admins only; every attempt is audited before anything happens, refused ones counted
//! per caller and minute.

use super::AppError;
use crate::domain::access::{AuditAction, AuditEvent, Principal, Role};
use crate::domain::erasure::ErasureReport;
use crate::store::DynamoStore;
use time::OffsetDateTime;

/// Erases `user_id` for `principal` (an admin), auditing the attempt first. What `budget` does
/// not allow is handed over to run asynchronously (the report then says `complete: false`).
pub async fn erase_user(
    store: &DynamoStore,
    principal: &Principal,
    user_id: &str,
    now: OffsetDateTime,
    request_id: &str,
    home_tenant: &str,
    budget: std::time::Duration,
) -> Result<ErasureReport, AppError> {
    let event = AuditEvent::new(principal, AuditAction::Erase, now, request_id).user(user_id);
    super::authorize::audited(store, principal.require_any(&[Role::Admin]), &event).await?;
    store.write_audit(event).await?;
    AppError::check_id("userId", user_id)?;
    store.erase_user(user_id, home_tenant, now, budget).await?.ok_or(AppError::NotFound("user"))
}
