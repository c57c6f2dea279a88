//! The Graph worker's work queues on the local SQS (moto), as `infra/template.yaml` declares
//! them: a live and a backfill queue, each with its dead-letter queue and redrive policy; and
//! what Lambda's SQS event source mapping does with them: receive a batch, hand it to the
//! function as an SQS event, delete what succeeded, leave the reported failures to come back
//! when their visibility timeout ends (and to the dead-letter queue after `maxReceiveCount`
//! receives, which the queue itself does).

use crate::Error;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use callscope_core::domain::connector::Lane;
use callscope_core::queue::QueueUrls;
use std::collections::HashMap;

/// The template's `maxReceiveCount`: deliveries of one message before it is set aside.
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// The template's visibility timeout (six times the worker's 300-second timeout, as AWS
/// advises for an event source mapping).
pub const VISIBILITY_TIMEOUT: u32 = 1800;
/// The template's retention: 14 days, SQS's longest.
pub const RETENTION: u32 = 1_209_600;
/// The template's `BatchSize`.
pub const BATCH_SIZE: i32 = 10;

/// The four queues of one stack: named after its table, so two stacks never share one.
#[derive(Debug, Clone)]
pub struct Queues {
    pub urls: QueueUrls,
    pub live_dead: String,
    pub backfill_dead: String,
}

impl Queues {
    /// The dead-letter queue of `lane`.
    pub fn dead_letters(&self, lane: Lane) -> &str {
        match lane {
            Lane::Live => &self.live_dead,
            Lane::Backfill => &self.backfill_dead,
        }
    }
}

/// Creates (or finds) the queues of the stack whose table is `table`, messages hidden for
/// `visibility` seconds after a receive (the template's [`VISIBILITY_TIMEOUT`], or less in a
/// test that waits for a redelivery).
pub async fn ensure(client: &Client, table: &str, visibility: u32) -> Result<Queues, Error> {
    let mut urls = HashMap::new();
    for lane in ["live", "backfill"] {
        let dead = create(client, &format!("{table}-graph-{lane}-dead"), HashMap::new()).await?;
        let dead_arn = arn(client, &dead).await?;
        let redrive = serde_json::json!({ "deadLetterTargetArn": dead_arn, "maxReceiveCount": MAX_RECEIVE_COUNT });
        let attributes = HashMap::from([
            (QueueAttributeName::VisibilityTimeout, visibility.to_string()),
            (QueueAttributeName::MessageRetentionPeriod, RETENTION.to_string()),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ]);
        let queue = create(client, &format!("{table}-graph-{lane}"), attributes).await?;
        urls.insert(lane, (queue, dead));
    }
    let (live, live_dead) = urls.remove("live").expect("created above");
    let (backfill, backfill_dead) = urls.remove("backfill").expect("created above");
    Ok(Queues { urls: QueueUrls { live, backfill }, live_dead, backfill_dead })
}

async fn create(client: &Client, name: &str, attributes: HashMap<QueueAttributeName, String>) -> Result<String, Error> {
    if let Ok(found) = client.get_queue_url().queue_name(name).send().await
        && let Some(url) = found.queue_url()
    {
        return Ok(url.to_owned());
    }
    let created = client.create_queue().queue_name(name).set_attributes(Some(attributes)).send().await?;
    Ok(created.queue_url().ok_or("CreateQueue answered no URL")?.to_owned())
}

async fn arn(client: &Client, url: &str) -> Result<String, Error> {
    let answer =
        client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await?;
    Ok(answer.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).ok_or("no queue ARN")?.clone())
}

/// One queue as its event source mapping reads it.
#[derive(Debug, Clone)]
pub struct Poller {
    client: Client,
    url: String,
    arn: String,
}

impl Poller {
    /// The mapping of the queue at `url`.
    pub async fn new(client: Client, url: &str) -> Result<Self, Error> {
        let arn = arn(&client, url).await?;
        Ok(Self { client, url: url.to_owned(), arn })
    }

    /// The next batch (at most [`BATCH_SIZE`]), waiting up to `wait_seconds` for one; empty
    /// when nothing is visible.
    pub async fn receive(&self, wait_seconds: i32) -> Result<SqsEvent, Error> {
        let answer = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(BATCH_SIZE)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        let mut event = SqsEvent::default();
        for message in answer.messages() {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id().map(str::to_owned);
            record.receipt_handle = message.receipt_handle().map(str::to_owned);
            record.body = message.body().map(str::to_owned);
            record.md5_of_body = message.md5_of_body().map(str::to_owned);
            record.attributes = message
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
                .unwrap_or_default();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(self.arn.clone());
            record.aws_region = Some("us-east-1".to_owned());
            event.records.push(record);
        }
        Ok(event)
    }

    /// Settles a batch the function answered: every message not among `failed` (message ids)
    /// is deleted; the failed ones come back after their visibility timeout. A function that
    /// failed as a whole settles nothing (`failed` names every message).
    pub async fn settle(&self, event: &SqsEvent, failed: &[String]) -> Result<(), Error> {
        for message in &event.records {
            let id = message.message_id.clone().unwrap_or_default();
            if failed.contains(&id) {
                continue;
            }
            if let Some(receipt) = &message.receipt_handle {
                self.client.delete_message().queue_url(&self.url).receipt_handle(receipt).send().await?;
            }
        }
        Ok(())
    }

    /// Messages in the queue: visible, in flight and delayed (approximate, as SQS counts).
    pub async fn pending(&self) -> Result<u64, Error> {
        pending(&self.client, &self.url).await
    }

    /// Messages in the queue held back by a delay.
    pub async fn delayed(&self) -> Result<u64, Error> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await?;
        let count = answer.attributes().and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessagesDelayed));
        Ok(count.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

/// Messages in the queue at `url`: visible, in flight and delayed.
pub async fn pending(client: &Client, url: &str) -> Result<u64, Error> {
    let answer = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await?;
    let attributes = answer.attributes().cloned().unwrap_or_default();
    Ok(attributes.values().filter_map(|v| v.parse::<u64>().ok()).sum())
}

/// The message ids an answer of the function names as failed: its `batchItemFailures`, or
/// every message of `event` when the function failed as a whole.
pub fn failed_ids(event: &SqsEvent, answer: &serde_json::Value) -> Vec<String> {
    if answer.get("errorMessage").is_some() {
        return event.records.iter().filter_map(|m| m.message_id.clone()).collect();
    }
    answer["batchItemFailures"]
        .as_array()
        .map(|failures| failures.iter().filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
