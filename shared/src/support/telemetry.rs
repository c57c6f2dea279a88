//! Logging set-up shared by every function: JSON lines for CloudWatch, level from `RUST_LOG`
//! (default `info`). Personal data (names, numbers, IPs, SSIDs) is only ever logged at debug.
//! The template's metric filters read these lines (`$.level`, `$.fields.message`).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the JSON log subscriber on stdout; call once at the top of `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    json_lines(std::io::stdout, filter).init();
}

/// The subscriber every function logs through, writing its JSON lines to `writer`: tests capture
/// exactly what a deployed function writes.
pub fn json_lines<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_writer(writer)
        .finish()
}
