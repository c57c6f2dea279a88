//! Who may see what: roles from verified claims, the audit trail's entries, and signed page
//! cursors that cannot be carried to another user, role or route.

pub mod audit;
pub mod cursor;
pub mod roles;

pub use audit::{AuditAction, AuditEvent};
pub use cursor::{CursorScope, CursorSigner, InvalidCursor, Position};
pub use roles::{Audience, AuthError, Principal, Role, RoleNames, claim_values};
