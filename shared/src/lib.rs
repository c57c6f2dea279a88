//! callscope-core: everything about callscope that holds regardless of Lambda — the Graph
//! call-record model and its validation, retention, roles from JWT claims, and storage.

pub mod auth;
pub mod config;
pub mod model;
pub mod retention;
