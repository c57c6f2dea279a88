//! The HTTP edge of the ingest, webhook and query functions: each declares its routes once as
//! an axum [`Routes`] table, served under `lambda_http::run`; here is where a request's verified
//! claims are found ([`extract`]), and where every core error becomes a status and a JSON body
//! ([`error`]) — once, for all three.

pub mod error;
pub mod extract;
pub mod routes;

pub use error::{ApiError, MAX_PROBLEMS, json};
pub use extract::{
    Authenticates, Caller, InvocationDeadline, PathParam, QueryParams, RequestId, read_body, read_sent_as,
    require_media_type,
};
pub use routes::{Access, Edge, HttpFunction, Route, Routes, answer};
