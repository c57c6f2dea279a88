//! Every integration test of the workspace in one binary (one link of the SDK and every
//! function, instead of one per file): the real handlers against a real local table (the moto
//! server `make test` starts), a module per promise they check.
//!
//! The stress tests run at a size that still proves their property on every commit (a few
//! hundred racing requests); `make stress` runs them at full size (`CALLSCOPE_STRESS=full`,
//! [`callscope_tests::stress_size`]). The fault run (`faults`) is `#[ignore]`d: `make test`
//! runs it beside the others, against a server of its own.

mod buildings;
mod classify;
mod cost;
mod escalations;
mod faults;
mod graph;
mod hostile;
mod infra;
mod ingest;
mod limits;
mod logs;
mod query;
mod races;
mod security;
