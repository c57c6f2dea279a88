//! What every function needs around the domain: the clock, configuration from the
//! environment (its secrets from Secrets Manager in AWS), log set-up, and (for tests and benchmarks only) synthetic call records.

pub mod clock;
pub mod config;
pub mod deadline;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod secret;
#[cfg(feature = "aws")]
pub mod secrets_manager;
#[cfg(feature = "aws")]
pub mod telemetry;
