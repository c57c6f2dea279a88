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
    let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT")
        .expect("CALLSCOPE_DYNAMODB_ENDPOINT is not set: run the tests with `make test` (it starts moto)");
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
    let name = format!("callscope-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let client = local_client();
    schema::create_table(&client, &name).await.expect("create the test table");
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
    std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
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

/// Reads a table's DynamoDB stream the way Lambda's event source mapping does, and hands out
/// what arrived since the last read as the records of a Lambda DynamoDB event.
pub struct StreamTail {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Per shard, the iterator to continue from.
    iterators: Vec<String>,
}

impl StreamTail {
    /// Starts at the beginning of `table`'s stream.
    pub async fn new(table: &str) -> Self {
        let endpoint = std::env::var("CALLSCOPE_DYNAMODB_ENDPOINT").expect("run through `make test`");
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(endpoint)
            .build();
        let client = aws_sdk_dynamodbstreams::Client::from_conf(config);
        let streams = client.list_streams().table_name(table).send().await.expect("list streams");
        let arn = streams.streams()[0].stream_arn().expect("stream arn").to_owned();
        let description = client.describe_stream().stream_arn(&arn).send().await.expect("describe stream");
        let mut iterators = Vec::new();
        for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let iterator = client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id().expect("shard id"))
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("shard iterator");
            iterators.push(iterator.shard_iterator().expect("iterator").to_owned());
        }
        Self { client, arn, iterators }
    }

    /// Every record that arrived since the last call, oldest first.
    pub async fn next_records(&mut self) -> Vec<aws_lambda_events::dynamodb::EventRecord> {
        let mut records = Vec::new();
        for iterator in &mut self.iterators {
            let output = self.client.get_records().shard_iterator(iterator.as_str()).send().await.expect("get records");
            for record in output.records() {
                records.push(lambda_record(record, &self.arn));
            }
            if let Some(next) = output.next_shard_iterator() {
                *iterator = next.to_owned();
            }
        }
        records
    }

    /// The next records wrapped as one Lambda event.
    pub async fn next_event(&mut self) -> aws_lambda_events::dynamodb::Event {
        event(self.next_records().await)
    }
}

/// `records` as the Lambda DynamoDB event that carries them.
pub fn event(records: Vec<aws_lambda_events::dynamodb::EventRecord>) -> aws_lambda_events::dynamodb::Event {
    let mut event = aws_lambda_events::dynamodb::Event::default();
    event.records = records;
    event
}

fn lambda_record(
    record: &aws_sdk_dynamodbstreams::types::Record,
    arn: &str,
) -> aws_lambda_events::dynamodb::EventRecord {
    let mut out = aws_lambda_events::dynamodb::EventRecord::default();
    out.event_id = record.event_id().unwrap_or_default().to_owned();
    out.event_name = record.event_name().map(|n| n.as_str().to_owned()).unwrap_or_default();
    out.event_source = Some("aws:dynamodb".to_owned());
    out.event_version = record.event_version().map(str::to_owned);
    out.aws_region = "us-east-1".to_owned();
    out.event_source_arn = Some(arn.to_owned());
    if let Some(change) = record.dynamodb() {
        out.change.keys = change.keys().cloned().unwrap_or_default().into();
        out.change.new_image = change.new_image().cloned().unwrap_or_default().into();
        out.change.old_image = change.old_image().cloned().unwrap_or_default().into();
        out.change.sequence_number = change.sequence_number().map(str::to_owned);
        out.change.size_bytes = change.size_bytes().unwrap_or_default();
    }
    out
}
