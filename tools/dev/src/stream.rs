//! Reads a table's DynamoDB stream the way Lambda's event source mapping does, handing out what
//! arrived since the last read as the records of a Lambda DynamoDB event.
//!
//! It only reads: filtering, batching and retrying are the trigger's (`trigger`), and tests hand
//! the records to the handlers themselves.

use crate::Error;
use aws_lambda_events::dynamodb::{Event, EventRecord, UserIdentity};
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};

/// A reader positioned in a table's stream.
pub struct StreamTail {
    client: Client,
    arn: String,
    /// Per shard, the iterator to continue from.
    iterators: Vec<String>,
}

impl StreamTail {
    /// Starts at the beginning of `table`'s stream.
    pub async fn new(client: Client, table: &str) -> Result<Self, Error> {
        let streams = client.list_streams().table_name(table).send().await?;
        let arn = streams.streams().first().and_then(|s| s.stream_arn()).ok_or("the table has no stream")?.to_owned();
        let description = client.describe_stream().stream_arn(&arn).send().await?;
        let mut iterators = Vec::new();
        for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let iterator = client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id().unwrap_or_default())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await?;
            iterators.extend(iterator.shard_iterator().map(str::to_owned));
        }
        Ok(Self { client, arn, iterators })
    }

    /// Every record that arrived since the last call, oldest first.
    pub async fn next_records(&mut self) -> Result<Vec<EventRecord>, Error> {
        let mut records = Vec::new();
        for iterator in &mut self.iterators {
            let output = self.client.get_records().shard_iterator(iterator.as_str()).send().await?;
            records.extend(output.records().iter().map(|r| lambda_record(r, &self.arn)));
            if let Some(next) = output.next_shard_iterator() {
                *iterator = next.to_owned();
            }
        }
        Ok(records)
    }
}

/// `records` as the Lambda DynamoDB event that carries them.
pub fn event(records: Vec<EventRecord>) -> Event {
    let mut event = Event::default();
    event.records = records;
    event
}

fn lambda_record(record: &Record, arn: &str) -> EventRecord {
    let mut out = EventRecord::default();
    out.event_id = record.event_id().unwrap_or_default().to_owned();
    out.event_name = record.event_name().map(|n| n.as_str().to_owned()).unwrap_or_default();
    out.event_source = Some("aws:dynamodb".to_owned());
    out.event_version = record.event_version().map(str::to_owned);
    out.aws_region = "us-east-1".to_owned();
    out.event_source_arn = Some(arn.to_owned());
    // Set on a TTL deletion's record only (the service as principal), as Lambda passes it on.
    if let Some(identity) = record.user_identity() {
        let mut who = UserIdentity::default();
        who.type_ = identity.r#type().unwrap_or_default().to_owned();
        who.principal_id = identity.principal_id().unwrap_or_default().to_owned();
        out.user_identity = Some(who);
    }
    if let Some(change) = record.dynamodb() {
        out.change.keys = change.keys().cloned().unwrap_or_default().into();
        out.change.new_image = change.new_image().cloned().unwrap_or_default().into();
        out.change.old_image = change.old_image().cloned().unwrap_or_default().into();
        out.change.sequence_number = change.sequence_number().map(str::to_owned);
        out.change.size_bytes = change.size_bytes().unwrap_or_default();
    }
    out
}
