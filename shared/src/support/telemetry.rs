//! Logging set-up shared by every function: JSON lines for CloudWatch, level from `RUST_LOG`
//! (default `info`). Personal data (names, numbers, IPs, SSIDs) is only ever logged at debug.

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber; call once at the top of `main`.
pub fn init() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_current_span(false)
        .without_time()
        .init();
}
