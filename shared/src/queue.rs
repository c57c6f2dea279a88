//! The Graph connector's work queues, on Amazon SQS: one for live work (what notifications ask
//! for, keeping the subscription), one for backfills and reconciliations and the fetches they
//! queue. Each has a dead-letter queue (`infra/template.yaml`); the worker is their event
//! source mapping's function. A message is one [`Work`] as JSON.
//!
//! What a queue cannot do alone, the table does: a marker per queued fetch (and per job of one
//! kind) keeps duplicates in flight to one fetch (`crate::store::connector`,
//! `crate::app::dispatch`).

use crate::domain::connector::{Lane, Work};
use crate::support::config::ConfigError;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use std::time::Duration;

/// The longest delay SQS gives a message (15 minutes): work to run later than that is sent
/// with this delay and, when it arrives early, sent again for the rest.
pub const MAX_DELAY: Duration = Duration::from_secs(900);
/// Messages in one `SendMessageBatch` (SQS's limit).
pub const BATCH: usize = 10;

/// Why a queue operation failed: the caller answers 5xx (or reports the message failed), so
/// that the work is asked for again.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("SQS {operation} failed: {detail}")]
    Request { operation: &'static str, detail: String },
    #[error("SQS refused {failed} of {sent} messages: {detail}")]
    Refused { failed: usize, sent: usize, detail: String },
    #[error("a message could not be written: {0}")]
    Unwritable(String),
}

impl QueueError {
    fn request<E: std::error::Error + 'static>(operation: &'static str, error: E) -> Self {
        let detail = aws_sdk_sqs::error::DisplayErrorContext(&error).to_string();
        Self::Request { operation, detail }
    }
}

/// The URLs of the two work queues: `GRAPH_LIVE_QUEUE_URL` and `GRAPH_BACKFILL_QUEUE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    pub live: String,
    pub backfill: String,
}

/// The queue URL in environment variable `name` (through `lookup`), checked at cold start.
fn queue_url(lookup: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<String, ConfigError> {
    let value = lookup(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name))?;
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(value)
    } else {
        Err(ConfigError::Invalid { name, reason: "must be a queue URL (https://sqs...)".into() })
    }
}

impl QueueUrls {
    /// Both URLs from the environment (`lookup`), checked at cold start.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            live: queue_url(&lookup, "GRAPH_LIVE_QUEUE_URL")?,
            backfill: queue_url(&lookup, "GRAPH_BACKFILL_QUEUE_URL")?,
        })
    }

    /// The URL of `lane`'s queue.
    pub fn of(&self, lane: Lane) -> &str {
        match lane {
            Lane::Live => &self.live,
            Lane::Backfill => &self.backfill,
        }
    }
}

/// The work queues, as a function sends to them.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    client: Client,
    urls: QueueUrls,
}

impl WorkQueue {
    /// The queues at `urls`, through the SDK's configuration from the environment; `caller`
    /// names the function in the SDK's user agent (the local IAM check reads it).
    pub async fn connect(urls: QueueUrls, caller: &'static str) -> Self {
        let app = aws_config::AppName::new(caller).expect("a binary's name is a valid SDK app name");
        Self::new(Client::new(&aws_config::from_env().app_name(app).load().await), urls)
    }

    /// The queues at `urls` through `client`.
    pub fn new(client: Client, urls: QueueUrls) -> Self {
        Self { client, urls }
    }

    /// The queues' URLs.
    pub fn urls(&self) -> &QueueUrls {
        &self.urls
    }

    /// Sends `work`, each piece on its lane's queue, delivered no earlier than `delay` from now
    /// (at most [`MAX_DELAY`]). All or nothing is reported: a partial failure is an error (the
    /// messages that went through are then duplicates the markers absorb).
    pub async fn send(&self, work: &[Work], delay: Duration) -> Result<(), QueueError> {
        let delay = i32::try_from(delay.min(MAX_DELAY).as_secs()).unwrap_or(0);
        for lane in [Lane::Live, Lane::Backfill] {
            let on_lane: Vec<&Work> = work.iter().filter(|w| w.lane() == lane).collect();
            for batch in on_lane.chunks(BATCH) {
                let entries = batch
                    .iter()
                    .enumerate()
                    .map(|(i, work)| {
                        let body = serde_json::to_string(work).map_err(|e| QueueError::Unwritable(e.to_string()))?;
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(body)
                            .delay_seconds(delay)
                            .build()
                            .map_err(|e| QueueError::Unwritable(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let sent = entries.len();
                let answer = self
                    .client
                    .send_message_batch()
                    .queue_url(self.urls.of(lane))
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| QueueError::request("SendMessageBatch", e))?;
                if let Some(first) = answer.failed().first() {
                    let detail = format!("{}: {}", first.code(), first.message().unwrap_or_default());
                    return Err(QueueError::Refused { failed: answer.failed().len(), sent, detail });
                }
            }
        }
        Ok(())
    }

    /// Makes a received message of `lane`'s queue visible again after `after` (at most SQS's 12
    /// hours): a message an invocation did not get to goes back at once.
    pub async fn show_again(&self, lane: Lane, receipt: &str, after: Duration) -> Result<(), QueueError> {
        let after = i32::try_from(after.as_secs().min(12 * 3600)).unwrap_or(0);
        self.client
            .change_message_visibility()
            .queue_url(self.urls.of(lane))
            .receipt_handle(receipt)
            .visibility_timeout(after)
            .send()
            .await
            .map_err(|e| QueueError::request("ChangeMessageVisibility", e))?;
        Ok(())
    }

    /// About how many messages wait on `lane`'s queue (visible and delayed; SQS counts them
    /// approximately): a backfill lists more only while this is below its bound.
    pub async fn depth(&self, lane: Lane) -> Result<u64, QueueError> {
        Ok(queue_depth(&self.client, self.urls.of(lane)).await?.waiting)
    }
}

/// How many messages a queue holds, as SQS approximately counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// Waiting to be received (`ApproximateNumberOfMessages`, with the delayed ones).
    pub waiting: u64,
    /// Received and not yet deleted or back (`ApproximateNumberOfMessagesNotVisible`).
    pub in_flight: u64,
}

/// The depth of the queue at `url`: one `GetQueueAttributes`.
async fn queue_depth(client: &Client, url: &str) -> Result<QueueDepth, QueueError> {
    let answer = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| QueueError::request("GetQueueAttributes", e))?;
    let attributes = answer.attributes();
    let count = |name: QueueAttributeName| {
        attributes.and_then(|a| a.get(&name)).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    Ok(QueueDepth {
        waiting: count(QueueAttributeName::ApproximateNumberOfMessages)
            + count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    })
}

/// The connector's four queues as its status reads them: the two work queues and their
/// dead-letter queues (`GRAPH_LIVE_DEAD_LETTER_QUEUE_URL`, `GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL`).
/// It only reads their attributes (`sqs:GetQueueAttributes`).
#[derive(Debug, Clone)]
pub struct QueueGauge {
    client: Client,
    work: QueueUrls,
    live_dead: String,
    backfill_dead: String,
}

impl QueueGauge {
    /// The four URLs from the environment (`lookup`), checked at cold start, read through
    /// `client`.
    pub fn from_lookup(client: Client, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            client,
            work: QueueUrls::from_lookup(&lookup)?,
            live_dead: queue_url(&lookup, "GRAPH_LIVE_DEAD_LETTER_QUEUE_URL")?,
            backfill_dead: queue_url(&lookup, "GRAPH_BACKFILL_DEAD_LETTER_QUEUE_URL")?,
        })
    }

    /// The SDK's client from the environment; `caller` names the function in its user agent.
    pub async fn client(caller: &'static str) -> Client {
        let app = aws_config::AppName::new(caller).expect("a binary's name is a valid SDK app name");
        Client::new(&aws_config::from_env().app_name(app).load().await)
    }

    /// The depth of `lane`'s work queue.
    pub async fn work(&self, lane: Lane) -> Result<QueueDepth, QueueError> {
        self.depth(self.work.of(lane)).await
    }

    /// The depth of both dead-letter queues together.
    pub async fn dead_letters(&self) -> Result<QueueDepth, QueueError> {
        let (live, backfill) = futures::try_join!(self.depth(&self.live_dead), self.depth(&self.backfill_dead))?;
        Ok(QueueDepth { waiting: live.waiting + backfill.waiting, in_flight: live.in_flight + backfill.in_flight })
    }

    async fn depth(&self, url: &str) -> Result<QueueDepth, QueueError> {
        queue_depth(&self.client, url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_are_required_and_checked_at_cold_start() {
        fn vars(live: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
            move |name: &str| match name {
                "GRAPH_LIVE_QUEUE_URL" => live.map(str::to_owned),
                "GRAPH_BACKFILL_QUEUE_URL" => Some("https://sqs.eu-west-1.amazonaws.com/1/backfill".to_owned()),
                _ => None,
            }
        }
        let urls = QueueUrls::from_lookup(vars(Some("https://sqs.eu-west-1.amazonaws.com/1/live"))).unwrap();
        assert_eq!(urls.of(Lane::Live), "https://sqs.eu-west-1.amazonaws.com/1/live");
        assert_eq!(urls.of(Lane::Backfill), "https://sqs.eu-west-1.amazonaws.com/1/backfill");
        let missing = QueueUrls::from_lookup(vars(None)).unwrap_err();
        assert_eq!(missing.to_string(), "environment variable GRAPH_LIVE_QUEUE_URL is required but not set");
        let invalid = QueueUrls::from_lookup(vars(Some("live"))).unwrap_err();
        assert!(invalid.to_string().contains("GRAPH_LIVE_QUEUE_URL is invalid"), "{invalid}");
    }
}
