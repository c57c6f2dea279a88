//! `GET /me`: the caller's own role, as the console shows it (not audited: it reads nothing
//! but the caller's verified token).

use super::AppError;
use crate::domain::access::{AuthError, Principal, Role};
use serde::Serialize;

/// Who the caller is to callscope: their most trusted support role, its name, and what
/// granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// `support-specialist`, `support-engineer` or `admin`.
    pub role: Role,
    /// The role as the console names it (`Support engineer`).
    pub role_name: &'static str,
    /// The app role or Entra directory role that granted it.
    pub granted_by: String,
}

impl Me {
    /// `principal`'s answer; `403` for a caller without a support role (the ingest identity).
    pub fn of(principal: &Principal) -> Result<Self, AppError> {
        let role = principal.support_role().ok_or(AuthError::Forbidden)?;
        let granted_by = principal.granted_by(role).unwrap_or(role.label()).to_owned();
        Ok(Self { role, role_name: role.label(), granted_by })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::RoleNames;
    use std::collections::HashMap;

    fn me(pairs: &[(&str, &str)]) -> Result<Me, AppError> {
        let claims: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Me::of(&RoleNames::default().principal(Some(&claims)).unwrap())
    }

    #[test]
    fn names_the_winning_role_and_what_granted_it() {
        let engineer = me(&[("roles", "[support-specialist support-engineer]")]).unwrap();
        assert_eq!(
            serde_json::to_value(&engineer).unwrap(),
            serde_json::json!({"role": "support-engineer", "roleName": "Support engineer", "grantedBy": "support-engineer"})
        );
        let admin = me(&[("roles", "support-specialist"), ("wids", "69091246-20e8-4a56-aa4d-066075b2a7a8")]).unwrap();
        assert_eq!(
            (admin.role, admin.role_name, admin.granted_by.as_str()),
            (Role::Admin, "Admin", "Teams Administrator")
        );
        assert!(matches!(me(&[("roles", "ingest")]), Err(AppError::Auth(AuthError::Forbidden))));
    }
}
