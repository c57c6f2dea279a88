//! What every function needs around the domain: the clock, configuration from the
//! environment, log set-up, and (for tests and benchmarks only) synthetic call records.

pub mod clock;
pub mod config;
#[cfg(feature = "fixtures")]
pub mod fixtures;
#[cfg(feature = "aws")]
pub mod telemetry;
