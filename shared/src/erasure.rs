//! The right to erasure: `DELETE /users/{userId}` removes a user's personal data before the 30
//! days are up. Admins only; every attempt, refused or not, is audited before anything happens.

use crate::auth::{Principal, Role};
use crate::query::QueryError;
use crate::store::items::{Access, AuditEntry};
use crate::store::{DynamoStore, Erased};
use time::OffsetDateTime;

/// Erases `user_id` for `principal` (an admin), auditing the attempt first.
pub async fn erase_user(
    store: &DynamoStore,
    principal: &Principal,
    user_id: &str,
    now: OffsetDateTime,
    request_id: &str,
) -> Result<Erased, QueryError> {
    let allowed = principal.require_any(&[Role::Admin]);
    let access = Access {
        at: now,
        request_id,
        subject: principal.subject.as_deref(),
        role: if allowed.is_ok() { "admin" } else { "none" },
        action: "erase",
        user: Some(user_id),
        call: None,
    };
    store.write_audit(&AuditEntry::new(access)).await?;
    allowed?;
    crate::query::check_id("userId", user_id)?;
    let erased = store.erase_user(user_id).await?;
    if erased.history_entries_deleted == 0 {
        return Err(QueryError::NotFound("user"));
    }
    Ok(erased)
}
