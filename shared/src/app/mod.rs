//! The use cases, one module each: what a function's handler asks of the core. Each takes
//! typed inputs (parsed by the function from its event) and answers with [`AppError`], which the
//! HTTP edge turns into a status once for every route.

pub mod authorize;
pub mod classify;
pub mod connector;
pub mod dispatch;
pub mod erase;
pub mod ingest;
pub mod phone;
pub mod query;
pub mod site_cache;
pub mod tenant_files;

use crate::domain::access::{AuthError, InvalidCursor};
use crate::domain::idempotency::{IDEMPOTENCY_KEY_HEADER, InvalidKey};
use crate::domain::problem::Rejection;
use crate::store::StoreError;

/// Why a use case did not answer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input (a body or a file) is bad; nothing was written.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// A request parameter is missing or malformed; `name` is the parameter.
    #[error("parameter `{name}`: {message}")]
    BadParameter { name: &'static str, message: String },
    /// The user or call does not exist (or is not visible from the searched user).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the state of what it changes (an escalation already claimed).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Storage failed. A batch of records may be stored in part (each record whole, none half).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Microsoft Graph did not give what the connector asked for.
    #[error(transparent)]
    Graph(#[from] crate::msgraph::GraphError),
    /// A work queue did not take a message (the caller asks again).
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
}

impl From<InvalidCursor> for AppError {
    fn from(error: InvalidCursor) -> Self {
        Self::BadParameter { name: "cursor", message: error.to_string() }
    }
}

impl From<InvalidKey> for AppError {
    fn from(error: InvalidKey) -> Self {
        Self::BadParameter { name: IDEMPOTENCY_KEY_HEADER, message: error.to_string() }
    }
}

impl AppError {
    /// Refuses `id` as parameter `name` if no stored item can have it.
    pub fn check_id(name: &'static str, id: &str) -> Result<(), Self> {
        match crate::domain::ids::id_problem(id) {
            None => Ok(()),
            Some(_) => Err(Self::BadParameter { name, message: "is not a valid id".into() }),
        }
    }
}
