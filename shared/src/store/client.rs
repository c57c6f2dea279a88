//! The table through the AWS SDK: the client, the write guards every conditional write states
//! its rule with, and the few request shapes every other store module is built from (a guarded
//! put, a whole partition, a newest-first page).

use super::StoreError;
use super::keys::{EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK};
use crate::domain::access::cursor::PageKey;
use crate::domain::classify::Rating;
use crate::domain::escalation::EscalationState;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Most keys one `BatchGetItem` reads.
pub(super) const BATCH_GET_KEYS: usize = 100;
/// Most items one `BatchWriteItem` writes.
const BATCH_WRITE_ITEMS: usize = 25;

/// How often a batch request is sent while DynamoDB leaves part of it unprocessed.
const BATCH_ATTEMPTS: u32 = 8;

/// DynamoDB kept leaving `left` keys or items of a batch unprocessed (it does so when throttled):
/// a transient failure, answered `503` so the caller retries.
fn unprocessed(operation: &'static str, left: usize) -> StoreError {
    let detail = format!("{left} left unprocessed after {BATCH_ATTEMPTS} attempts");
    StoreError::Request { operation, detail, transient: true }
}

/// Sends `pending` (keys or writes of one batch request) with `send`, which answers what it got
/// back and what DynamoDB left unprocessed; sends what is left again after a pause, up to
/// [`BATCH_ATTEMPTS`] times. Everything got back, in order.
async fn until_processed<T, R, Sent>(
    operation: &'static str,
    mut pending: Vec<T>,
    mut send: impl FnMut(Vec<T>) -> Sent,
) -> Result<Vec<R>, StoreError>
where
    Sent: Future<Output = Result<(Vec<R>, Vec<T>), StoreError>>,
{
    let mut got = Vec::new();
    for attempt in 0..BATCH_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        if attempt > 0 {
            pause(attempt).await;
        }
        let (answered, left) = send(pending).await?;
        got.extend(answered);
        pending = left;
    }
    if pending.is_empty() { Ok(got) } else { Err(unprocessed(operation, pending.len())) }
}

/// Waits before asking again for what a batch request left unprocessed (10, 20, 40, ... ms, at
/// most about a second), as DynamoDB asks.
async fn pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(7))).await;
}

/// A DynamoDB item as the SDK takes it.
pub type Item = HashMap<String, AttributeValue>;

/// One page of a Query: the items read, and where the next page starts (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub entries: Vec<T>,
    pub last_key: Option<PageKey>,
}

impl<T> Page<T> {
    /// The same page with every entry turned into `f(entry)`.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { entries: self.entries.into_iter().map(f).collect(), last_key: self.last_key }
    }
}

/// The table, through the AWS SDK client built once per cold start.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// The audit days this warm function has already put into the day index.
    pub(super) audit_days: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<time::Date>>>,
    /// When this warm function last recorded a Graph notification (at most once a minute).
    pub(super) notified_at: std::sync::Arc<std::sync::Mutex<Option<time::OffsetDateTime>>>,
}

/// When a write may replace or change what is stored: every conditional write of the store
/// names its rule here. Each rule is what keeps one kind of write idempotent, ordered or
/// bounded; naming it makes the difference between `<` and `<=` a type, not a string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WriteGuard<'a> {
    /// Only where no item has this key (chunks of a data set, audit entries).
    Absent,
    /// Only onto an existing item (retiring a data set's chunks).
    Present,
    /// Absent, or holding a lower `version`: a replay of the same version writes nothing (call
    /// headers, history at ingest, the active data set pointer).
    NewerVersion(i64),
    /// Absent, or holding this `version` or a lower one: the same version may be written again,
    /// so repeated publishing converges (result pages, rated history).
    NotOlderVersion(i64),
    /// Present as ingested at exactly this time (its `ingestedAt` as stored): a phone-call row
    /// nothing rewrote since it was read.
    IngestedAt(&'a str),
    /// Absent, or expiring no later: a user's directory entry follows their latest call.
    NotEarlierExpiry(i64),
    /// Present at exactly this `version` (rewriting an entry in place).
    AtVersion(i64),
    /// Present at exactly this `version` and rating: nothing was committed or rated since it
    /// was read (erasure's rewrite of a call).
    Unchanged { version: i64, rating: Rating },
    /// Absent, already taken by a worker, or expiring before this time (unix seconds): a fetch
    /// still pending is not queued twice, unless it has waited so long that it was lost.
    AbsentTakenOrExpiringBefore(i64),
    /// Absent, or queued before this time (unix seconds): a job of one kind waiting is not
    /// queued twice, and one that was lost does not block the next for long.
    AbsentOrQueuedBefore(i64),
    /// Queued last by exactly this queuing (`nonce`), or no longer marked (expired): a newer
    /// queuing's message delivers it instead.
    QueuedAs(&'a str),
    /// A sample set with room for one more element (at most `cap`): a subnet's use is counted
    /// from a bounded sample.
    RoomInSample { cap: usize },
    /// Absent, or counting fewer than `cap` requests: a window of the Graph fleet's budget
    /// grants no more than the cap of the request's lane.
    BelowCount { cap: u32 },
    /// Live at `now` (unix seconds) with fewer than `max` notes: an escalation takes a note.
    LiveWithRoomForNotes { now: i64, max: usize },
    /// Absent, or expired at `now` (unix seconds) though not yet deleted: a remembered
    /// idempotency key is written once, and again only after it is forgotten.
    AbsentOrExpired(i64),
    /// Live at `now` (unix seconds) and in one of `states`: of two claims, one wins.
    LiveInState { now: i64, states: &'a [EscalationState] },
}

/// A condition's values by placeholder (`:v`), as a guard lists them.
type Values = Vec<(String, AttributeValue)>;

/// A condition as the SDK takes it: the expression and its names and values.
pub(super) struct Condition {
    pub expression: String,
    pub names: HashMap<String, String>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl WriteGuard<'_> {
    /// The condition expression of this guard.
    pub(super) fn condition(self) -> Condition {
        let number = |n: i64| AttributeValue::N(n.to_string());
        let text = |s: &str| AttributeValue::S(s.to_owned());
        let (expression, names, values): (String, &[(&str, &str)], Option<Values>) = match self {
            Self::Absent => ("attribute_not_exists(#pk)".into(), &[("#pk", PK)], None),
            Self::Present => ("attribute_exists(#pk)".into(), &[("#pk", PK)], None),
            Self::NewerVersion(v) => (
                "attribute_not_exists(#pk) OR #v < :v".into(),
                &[("#pk", PK), ("#v", "version")],
                Some(vec![(":v".into(), number(v))]),
            ),
            Self::NotOlderVersion(v) => (
                "attribute_not_exists(#pk) OR #v <= :v".into(),
                &[("#pk", PK), ("#v", "version")],
                Some(vec![(":v".into(), number(v))]),
            ),
            Self::NotEarlierExpiry(at) => (
                "attribute_not_exists(#pk) OR #v <= :v".into(),
                &[("#pk", PK), ("#v", EXPIRES_AT)],
                Some(vec![(":v".into(), number(at))]),
            ),
            Self::IngestedAt(at) => (
                "attribute_exists(#pk) AND #at = :at".into(),
                &[("#pk", PK), ("#at", "ingestedAt")],
                Some(vec![(":at".into(), text(at))]),
            ),
            Self::AtVersion(v) => (
                "attribute_exists(#pk) AND #v = :v".into(),
                &[("#pk", PK), ("#v", "version")],
                Some(vec![(":v".into(), number(v))]),
            ),
            Self::Unchanged { version, rating } => (
                "#v = :v AND #rating = :rating".into(),
                &[("#v", "version"), ("#rating", "rating")],
                Some(vec![(":v".into(), number(version)), (":rating".into(), to_value(&rating))]),
            ),
            Self::AbsentTakenOrExpiringBefore(expiry) => (
                "attribute_not_exists(#pk) OR attribute_exists(#taken) OR #expires < :stale".into(),
                &[("#pk", PK), ("#taken", "takenAt"), ("#expires", EXPIRES_AT)],
                Some(vec![(":stale".into(), number(expiry))]),
            ),
            Self::AbsentOrQueuedBefore(stale) => (
                "attribute_not_exists(#pk) OR #queued < :stale".into(),
                &[("#pk", PK), ("#queued", "queuedAt")],
                Some(vec![(":stale".into(), number(stale))]),
            ),
            Self::QueuedAs(nonce) => (
                "attribute_not_exists(#pk) OR #nonce = :nonce".into(),
                &[("#pk", PK), ("#nonce", "nonce")],
                Some(vec![(":nonce".into(), text(nonce))]),
            ),
            Self::RoomInSample { cap } => (
                "attribute_not_exists(#seen) OR size(#seen) < :cap".into(),
                &[("#seen", "seen")],
                Some(vec![(":cap".into(), number(cap as i64))]),
            ),
            Self::BelowCount { cap } => (
                "attribute_not_exists(#requests) OR #requests < :cap".into(),
                &[("#requests", "requests")],
                Some(vec![(":cap".into(), number(i64::from(cap)))]),
            ),
            Self::LiveWithRoomForNotes { now, max } => (
                "attribute_exists(#pk) AND #expires > :now AND size(#notes) < :max".into(),
                &[("#pk", PK), ("#expires", EXPIRES_AT), ("#notes", "notes")],
                Some(vec![(":now".into(), number(now)), (":max".into(), number(max as i64))]),
            ),
            Self::AbsentOrExpired(now) => (
                "attribute_not_exists(#pk) OR #expires <= :now".into(),
                &[("#pk", PK), ("#expires", EXPIRES_AT)],
                Some(vec![(":now".into(), number(now))]),
            ),
            Self::LiveInState { now, states } => {
                let placeholders: Vec<String> = (0..states.len()).map(|i| format!(":from{i}")).collect();
                let expression =
                    format!("attribute_exists(#pk) AND #expires > :now AND #state IN ({})", placeholders.join(", "));
                let mut values = vec![(":now".to_owned(), number(now))];
                values.extend(placeholders.into_iter().zip(states.iter().map(to_value)));
                (expression, &[("#pk", PK), ("#expires", EXPIRES_AT), ("#state", "state")], Some(values))
            }
        };
        Condition {
            expression,
            names: names.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            values: values.map(|values| values.into_iter().collect()),
        }
    }

    /// `update` made conditional on this guard; the update's own names and values stay (a
    /// placeholder both use must mean the same).
    pub(super) fn on_update(self, update: UpdateItemFluentBuilder) -> UpdateItemFluentBuilder {
        let condition = self.condition();
        let update = condition
            .names
            .into_iter()
            .fold(update.condition_expression(condition.expression), |u, (k, v)| u.expression_attribute_names(k, v));
        condition.values.into_iter().flatten().fold(update, |u, (k, v)| u.expression_attribute_values(k, v))
    }
}

impl DynamoStore {
    /// A store over `table`, using `client` (whose endpoint may point at a local server).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), audit_days: Default::default(), notified_at: Default::default() }
    }

    /// A store over `table` with a client configured from the environment (region,
    /// credentials, and `AWS_ENDPOINT_URL_DYNAMODB` for a local server): what every function's
    /// `main` needs. `caller` (the function's binary, `env!("CARGO_BIN_NAME")`) is the SDK's app
    /// name: every request's user agent carries `app/<caller>`, which CloudTrail shows and by
    /// which the local runs check each request against that function's role (`docs/testing.md`).
    pub async fn connect(table: impl Into<String>, caller: &'static str) -> Self {
        let app = aws_config::AppName::new(caller).expect("a binary's name is a valid SDK app name");
        Self::new(Client::new(&aws_config::from_env().app_name(app).load().await), table)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The SDK client's configuration: a test rebuilds the client from it with layers of its
    /// own (the role check, faults), keeping everything else.
    pub fn sdk_config(&self) -> &aws_sdk_dynamodb::Config {
        self.client.config()
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// A Query of this store's table: every Query starts here, so none can name another table.
    pub(super) fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.table)
    }

    /// Puts `item` if `guard` allows; `false` if the guard refused it (the expected outcome of
    /// a conditional write that lost, not a failure).
    pub(super) async fn put_guarded(&self, item: Item, guard: WriteGuard<'_>) -> Result<bool, StoreError> {
        let condition = guard.condition();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(condition.values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if StoreError::condition_failed(&e) => Ok(false),
            Err(e) => Err(StoreError::request("PutItem", e)),
        }
    }

    /// Puts `value` (any item type) if `guard` allows; see [`Self::put_guarded`].
    pub(super) async fn put_value<T: Serialize>(&self, value: &T, guard: WriteGuard<'_>) -> Result<bool, StoreError> {
        self.put_guarded(to_item(value)?, guard).await
    }

    /// The item `pk`/`sk` read consistently, as `T`; `None` if there is none.
    pub(super) async fn get<T: DeserializeOwned>(&self, pk: &str, sk: &str) -> Result<Option<T>, StoreError> {
        self.get_projected(pk, sk, None).await
    }

    /// A few attributes (`projection`) of item `pk`/`sk`, read consistently; `None` if absent.
    pub(super) async fn get_projected<T: DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
        projection: Option<&str>,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .set_projection_expression(projection.map(str::to_owned))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::request("GetItem", e))?;
        output.item.map(|item| from_item(item, pk)).transpose()
    }

    /// The items at `keys` that exist (each once), with only the attributes named in
    /// `attributes` (every attribute if it names none): 100 keys per `BatchGetItem`, and what
    /// DynamoDB leaves unprocessed asked for again. The names go in as expression attribute
    /// names, so none can clash with a reserved word.
    pub(super) async fn batch_get(
        &self,
        keys: impl IntoIterator<Item = Item>,
        attributes: &[&str],
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let names: HashMap<String, String> =
            attributes.iter().enumerate().map(|(i, name)| (format!("#a{i}"), (*name).to_owned())).collect();
        let projection = (0..attributes.len()).map(|i| format!("#a{i}")).collect::<Vec<_>>().join(", ");
        let mut unique: Vec<Item> = Vec::new();
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        let mut found = Vec::new();
        for chunk in unique.chunks(BATCH_GET_KEYS) {
            let get = |keys: Vec<Item>| {
                let named = !attributes.is_empty();
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .set_projection_expression(named.then(|| projection.clone()))
                    .set_expression_attribute_names(named.then(|| names.clone()))
                    .consistent_read(consistent)
                    .build()
                    .expect("keys are set");
                let sent = self.client.batch_get_item().request_items(&self.table, request).send();
                let table = self.table.clone();
                async move {
                    let output = sent.await.map_err(|e| StoreError::request("BatchGetItem", e))?;
                    let items = output.responses.unwrap_or_default().remove(&table).unwrap_or_default();
                    let left = output.unprocessed_keys.and_then(|mut u| u.remove(&table)).map(|k| k.keys);
                    Ok((items, left.unwrap_or_default()))
                }
            };
            found.extend(until_processed("BatchGetItem", chunk.to_vec(), get).await?);
        }
        Ok(found)
    }

    /// Puts `items` unconditionally, 25 per `BatchWriteItem`, asking again for what DynamoDB
    /// leaves unprocessed: for items no other writer puts differently (a version's own pages).
    pub(super) async fn batch_put(&self, items: &[Item]) -> Result<(), StoreError> {
        for chunk in items.chunks(BATCH_WRITE_ITEMS) {
            let requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build().expect("the item is set");
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            let put = |requests: Vec<WriteRequest>| {
                let sent = self.client.batch_write_item().request_items(&self.table, requests).send();
                let table = self.table.clone();
                async move {
                    let output = sent.await.map_err(|e| StoreError::request("BatchWriteItem", e))?;
                    let left = output.unprocessed_items.and_then(|mut u| u.remove(&table)).unwrap_or_default();
                    Ok((Vec::<()>::new(), left))
                }
            };
            until_processed("BatchWriteItem", requests, put).await?;
        }
        Ok(())
    }

    /// Deletes item `pk`/`sk` (nothing happens if it is absent).
    pub(super) async fn delete(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(pk, sk)))
            .send()
            .await
            .map_err(|e| StoreError::request("DeleteItem", e))?;
        Ok(())
    }

    /// Every item of partition `pk`: one Query, paged by the SDK past 1 MB.
    pub(super) async fn partition(&self, pk: &str, consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.query()
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .consistent_read(consistent)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| StoreError::request("Query", e))
    }

    /// One page (one Query) of a partition whose sort keys are `<time>#<id>`, newest first,
    /// between `(low, high)`, live items only: a page may hold fewer than `limit`.
    pub(super) async fn newest_first<T: DeserializeOwned>(
        &self,
        partition: Partition<'_>,
        (low, high): (String, String),
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<T>, StoreError> {
        let request = self
            .query()
            .set_index_name(partition.index.map(str::to_owned))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", partition.pk_name)
            .expression_attribute_names("#sk", partition.sk_name)
            .expression_attribute_values(":pk", AttributeValue::S(partition.pk.clone()))
            .expression_attribute_values(":low", AttributeValue::S(low))
            .expression_attribute_values(":high", AttributeValue::S(high))
            .scan_index_forward(false);
        self.live_page(request, limit, start, now, &partition.pk).await
    }

    /// One page of `request` (a Query naming its keys), live items only: a page may hold fewer
    /// than `limit`. Every paged list of the table ends here; `what` names it in errors.
    pub(super) async fn live_page<T: DeserializeOwned>(
        &self,
        request: QueryFluentBuilder,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
        what: &str,
    ) -> Result<Page<T>, StoreError> {
        let output = request
            .filter_expression("#expires > :now")
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":now", live_at(now))
            .limit(limit as i32)
            .set_exclusive_start_key(start.map(start_key))
            .send()
            .await
            .map_err(|e| StoreError::request("Query", e))?;
        let entries = read_items(output.items.unwrap_or_default(), what)?;
        Ok(Page { entries, last_key: output.last_evaluated_key.and_then(page_key) })
    }
}

/// A partition to page through: of the table or of an index, named by its key attributes.
pub(super) struct Partition<'a> {
    pub index: Option<&'a str>,
    pub pk_name: &'a str,
    pub sk_name: &'a str,
    pub pk: String,
}

impl Partition<'static> {
    /// The table's partition `pk`.
    pub fn table(pk: String) -> Self {
        Self { index: None, pk_name: PK, sk_name: SK, pk }
    }

    /// GSI1's partition `pk`.
    pub fn gsi1(pk: String) -> Self {
        Self { index: Some(GSI1), pk_name: GSI1PK, sk_name: GSI1SK, pk }
    }
}

/// The `:now` value of a "live items only" filter (`expiresAt > :now`).
pub(super) fn live_at(now: OffsetDateTime) -> AttributeValue {
    AttributeValue::N(now.unix_timestamp().to_string())
}

/// Where a page ended, as a cursor carries it; `None` if the key holds a non-string attribute,
/// which no key of this table does.
pub(super) fn page_key(key: Item) -> Option<PageKey> {
    key.into_iter().map(|(k, v)| Some((k, v.as_s().ok()?.clone()))).collect()
}

/// The `ExclusiveStartKey` that continues after `key`.
pub(super) fn start_key(key: &PageKey) -> Item {
    key.iter().map(|(k, v)| (k.clone(), AttributeValue::S(v.clone()))).collect()
}

/// Reads query results as `T`, naming `what` if one is unreadable.
pub(super) fn read_items<T: DeserializeOwned>(items: Vec<Item>, what: &str) -> Result<Vec<T>, StoreError> {
    items.into_iter().map(|item| from_item(item, what)).collect()
}

/// Reads one item as `T`, naming `key` if it is unreadable.
pub(super) fn from_item<T: DeserializeOwned>(item: Item, key: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|source| StoreError::Corrupt { key: key.to_owned(), source })
}

/// `value` as an item. serde_dynamo cannot fail on the product's item types (no non-string map
/// keys, no unsupported values); should that change, the write fails rather than half-writes.
pub(super) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|source| StoreError::Corrupt { key: "an item to write".to_owned(), source })
}

/// `value` as one attribute value (ratings, issue codes, escalation states, people, notes).
pub(super) fn to_value<T: Serialize>(value: &T) -> AttributeValue {
    serde_dynamo::to_attribute_value(value).expect("the product's values always serialize")
}

/// The key of item `pk`/`sk`.
pub(super) fn key_item(pk: &str, sk: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk.to_owned())),
        (SK.to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}
