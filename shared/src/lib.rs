//! callscope-core: everything about callscope that holds regardless of Lambda — the Graph
//! call-record model and its validation, retention, roles from JWT claims, and storage.

pub mod auth;
pub mod buildings;
pub mod classify;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod erasure;
pub mod fixtures;
pub mod ingest;
pub mod model;
pub mod query;
pub mod rate;
pub mod rating;
pub mod retention;
pub mod sites;
pub mod store;
pub mod telemetry;
pub mod views;
