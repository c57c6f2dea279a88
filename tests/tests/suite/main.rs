//! Every integration test of the workspace in one binary (one link of the SDK and every
//! function, instead of one per file): the real handlers against a real local table (the moto
//! server `make test` starts), a module per promise they check.
//!
//! The stress tests run at a size that still proves their property on every commit (a few
//! hundred racing requests); `make stress` runs them at full size (`CALLSCOPE_STRESS=full`,
//! [`callscope_tests::stress_size`]). The modules under `beside` (the fault run, `#[ignore]`d so
//! that a plain `cargo test` skips it, and the ones that wait longest on moto) run beside the
//! others in `make test`, against a server of their own: their names all start `beside::`.

mod beside;
mod budget;
mod buildings;
mod classify;
mod cost;
mod escalations;
mod hostile;
mod infra;
mod ingest;
mod limits;
mod logs;
mod people;
mod phone;
mod phone_poll;
mod query;
