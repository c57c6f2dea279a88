//! The domain: what callscope knows about calls, quality and people, as pure values and
//! functions. No AWS SDK, no async runtime: everything here is tested without a table, and the
//! offline CLI and the fuzz targets build it alone.

pub mod access;
pub mod calls;
pub mod classify;
pub mod connector;
pub mod erasure;
pub mod escalation;
pub mod graph;
pub mod idempotency;
pub mod ids;
pub mod phone;
pub mod problem;
pub mod retention;
pub mod search;
pub mod sites;
pub mod views;
