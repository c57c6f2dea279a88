//! Support for the integration tests: a fresh table on the local DynamoDB-compatible server
//! (moto, started by `scripts/with-moto.sh`), the sample events, and the fixed test clock.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use callscope_core::clock::Clock;
use callscope_core::config::Config;
use callscope_core::store::{DynamoStore, schema};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant the sample events were written for; handlers under test run at this time.
pub const ANCHOR: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);

/// A client for the local server named by `CALLSCOPE_DYNAMODB_ENDPOINT`.
pub fn local_client() -> Client {
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect(
        "CALLSCOPE_DYNAMODB_ENDPOINT is not set: run the tests with `make test` (it starts moto)",
    );
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// A table of its own for one test, so tests run in parallel without seeing each other.
pub async fn fresh_store() -> DynamoStore {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "callscope-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let client = local_client();
    schema::create_table(&client, &name)
        .await
        .expect("create the test table");
    DynamoStore::new(client, name)
}

/// Configuration as a deployment would set it, for `table`.
pub fn config(table: &str) -> Config {
    Config::from_lookup(|name| match name {
        "TABLE_NAME" => Some(table.to_owned()),
        "HOME_TENANT_ID" => Some(callscope_core::fixtures::HOME_TENANT.to_owned()),
        _ => None,
    })
    .expect("valid test configuration")
}

/// A clock stopped at [`ANCHOR`].
pub fn clock() -> Clock {
    Clock::fixed(ANCHOR)
}

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The text of `events/<name>`.
pub fn event_text(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name))
        .unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

/// `events/<name>` as the request lambda_http hands the handler.
pub fn event_request(name: &str) -> lambda_http::Request {
    lambda_http::request::from_str(&event_text(name))
        .unwrap_or_else(|e| panic!("events/{name} is not an HTTP API event: {e}"))
}

/// `events/graph/<name>` as JSON.
pub fn graph_record(name: &str) -> serde_json::Value {
    serde_json::from_str(&event_text(&format!("graph/{name}"))).expect("graph samples are JSON")
}
