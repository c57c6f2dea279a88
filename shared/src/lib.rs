//! callscope-core: everything about callscope that holds regardless of Lambda, in rooms
//! that depend only downwards (see `docs/architecture.md`):
//!
//! - [`domain`]: the Graph call record and its validation, classification, tenant sites, role
//!   views, access (roles, audit entries, cursors), erasure, retention. Pure.
//! - [`store`]: the only code that knows DynamoDB: keys, items, sizes, the write protocol,
//!   lists, tenant data sets, erasure writes, stream images.
//! - [`msgraph`]: Microsoft Graph over HTTPS (token, throttling, paging, subscriptions), beside
//!   `store` and like it used only by `app`.
//! - [`app`]: one module per use case, each taking typed inputs and answering with
//!   [`app::AppError`]: ingest calls, classify a call, erase a user, tenant files, queries.
//! - [`support`]: clock, configuration, telemetry and test fixtures.
//!
//! `store` and `app` need the `aws` feature (on by default); without it the crate is the domain
//! and support alone, with no AWS SDK and no async runtime.

#[cfg(feature = "aws")]
pub mod app;
pub mod domain;
#[cfg(feature = "aws")]
pub mod msgraph;
#[cfg(feature = "aws")]
pub mod queue;
#[cfg(feature = "aws")]
pub mod store;
pub mod support;
