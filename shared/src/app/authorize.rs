//! Who may act, decided in the use case for every route: the one way a refused attempt is
//! counted in the audit trail before it is answered.

use super::AppError;
use crate::domain::access::{AuditEvent, AuthError};
use crate::store::DynamoStore;

/// What an access check `decided`; a refusal is first counted in the audit trail as `event`
/// (counted, not listed: a flood of refusals cannot flood the trail, and is answered whether or
/// not the count could be written).
pub async fn audited<T>(store: &DynamoStore, decided: Result<T, AuthError>, event: &AuditEvent) -> Result<T, AppError> {
    match decided {
        Ok(allowed) => Ok(allowed),
        Err(refused) => {
            store.write_refusal(event.clone()).await;
            Err(refused.into())
        }
    }
}
