//! Erasing a person: `DELETE /users/{userId}` removes a person's personal data before the 30
//! days are up, and `GET /users/{userId}/erasure` says where it stands. Admins only; every
//! attempt is audited before anything happens, refused ones counted per caller and minute.

use super::AppError;
use crate::domain::access::{AuditAction, AuditEvent, Principal, Role};
use crate::domain::erasure::{ErasureReport, ErasureStatus};
use crate::store::{DynamoStore, ErasureRun};
use crate::support::deadline::Deadline;
use time::OffsetDateTime;

/// Erases `user_id` (any party id) for `principal` (an admin) as of `now`, auditing the attempt
/// first. What is not done by `deadline` is handed over to run asynchronously (the report then
/// says `complete: false`).
pub async fn erase_user(
    store: &DynamoStore,
    principal: &Principal,
    user_id: &str,
    now: OffsetDateTime,
    request_id: &str,
    home_tenant: &str,
    deadline: Deadline,
) -> Result<ErasureReport, AppError> {
    audit(store, principal, AuditAction::Erase, user_id, now, request_id).await?;
    let run = store.erase_user(user_id, home_tenant, now, deadline, ErasureRun::Request);
    run.await?.ok_or(AppError::NotFound("user"))
}

/// Where the erasure of `user_id` stands, for `principal` (an admin), audited.
pub async fn erasure_status(
    store: &DynamoStore,
    principal: &Principal,
    user_id: &str,
    now: OffsetDateTime,
    request_id: &str,
) -> Result<ErasureStatus, AppError> {
    audit(store, principal, AuditAction::ErasureStatus, user_id, now, request_id).await?;
    let marker = store.erasure(user_id).await?;
    Ok(marker.ok_or(AppError::NotFound("erasure"))?.status())
}

/// Audits `action` on `user_id` by `principal`, refusing anyone but an admin, and checks the id.
async fn audit(
    store: &DynamoStore,
    principal: &Principal,
    action: AuditAction,
    user_id: &str,
    now: OffsetDateTime,
    request_id: &str,
) -> Result<(), AppError> {
    let event = AuditEvent::new(principal, action, now, request_id).user(user_id);
    super::authorize::audited(store, principal.require_any(&[Role::Admin]), &event).await?;
    store.write_audit(event).await?;
    AppError::check_id("userId", user_id)
}
