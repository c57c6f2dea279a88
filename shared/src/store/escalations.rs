//! Escalations in the table. Each is one item (`ESC#<id>`) that lives as long as the call it
//! points to; GSI1 files it under its state (`ESCQ#<state>`, newest first), so a state change
//! moves it from one queue to the next in the same conditional write, and reading a queue page
//! is one Query. Pointer items name it under the people it concerns: the user whose call it is
//! (`ESCFOR#`) and everyone who opened, noted or changed it (`ESCBY#`): a person's own list, and
//! what an erasure of them reaches. See `docs/data-model.md`.

use super::Page;
use super::StoreError;
use super::calls::{cancellation_reasons, guarded_put};
use super::client::{DynamoStore, Partition, WriteGuard, key_item, read_items, to_item, to_value};
use super::items::IndexedKeys;
use super::keys::{self, GSI1PK};
use crate::domain::access::cursor::PageKey;
use crate::domain::erasure::ERASED_ID;
use crate::domain::escalation::{Escalation, MAX_NOTES, Note, Staff, Transition};
use crate::domain::idempotency::KeyedRequest;
use crate::support::clock::rfc3339;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An escalation as stored: keys, its queue on GSI1, the escalation, its version (each change
/// adds one, so an erasure's rewrite cannot undo a note or a claim it did not see) and expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalationItem {
    #[serde(flatten)]
    pub keys: IndexedKeys,
    #[serde(flatten)]
    pub escalation: Escalation,
    pub version: i64,
    /// The call's expiry: the escalation goes with it.
    pub expires_at: i64,
}

impl EscalationItem {
    fn new(escalation: Escalation, version: i64, expires_at: i64) -> Self {
        Self {
            keys: IndexedKeys {
                pk: keys::escalation_pk(&escalation.id),
                sk: keys::ESCALATION_SK.to_owned(),
                gsi1pk: keys::escalation_queue_pk(escalation.state),
                gsi1sk: keys::escalation_queue_sk(escalation.opened_at, &escalation.id),
            },
            escalation,
            version,
            expires_at,
        }
    }
}

/// A pointer to an escalation under a person it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pointer {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    escalation_id: String,
    expires_at: i64,
}

impl Pointer {
    fn new(pk: String, sk: String, id: &str, expires_at: i64) -> Self {
        Self { pk, sk, escalation_id: id.to_owned(), expires_at }
    }

    /// Whether it would point from an erased person's placeholder.
    fn names_the_placeholder(&self) -> bool {
        [keys::escalations_by_pk(ERASED_ID), keys::escalations_about_pk(ERASED_ID)].contains(&self.pk)
    }
}

/// How often one escalation's erasure rewrite is retried when a note or a change lands meanwhile.
const REWRITE_ATTEMPTS: u32 = 5;

impl DynamoStore {
    /// Stores a new escalation with its pointers, all or nothing, and what `keyed` (the
    /// request's `Idempotency-Key`, if it has one) created; it expires at `expires_at` (epoch
    /// seconds), with its call. `false` if an escalation with its id is already stored (the same
    /// request, repeated) or the key is taken.
    pub async fn create_escalation(
        &self,
        escalation: &Escalation,
        expires_at: i64,
        keyed: Option<&KeyedRequest>,
    ) -> Result<bool, StoreError> {
        let id = &escalation.id;
        let pointers = [
            Pointer::new(
                keys::escalations_by_pk(&escalation.opened_by.id),
                keys::opened_sk(escalation.opened_at, id),
                id,
                expires_at,
            ),
            Pointer::new(keys::escalations_about_pk(&escalation.call.user_id), id.clone(), id, expires_at),
        ];
        let item = EscalationItem::new(escalation.clone(), 1, expires_at);
        let mut actions: Vec<TransactWriteItem> = vec![guarded_put(self.table(), to_item(&item)?, WriteGuard::Absent)];
        // The placeholder of an erased person gets no pointers: nobody's list, nothing to erase.
        for pointer in pointers.iter().filter(|p| !p.names_the_placeholder()) {
            actions.push(guarded_put(self.table(), to_item(pointer)?, WriteGuard::Absent));
        }
        if let Some(keyed) = keyed {
            actions.push(self.remember(keyed, id, escalation.opened_at)?);
        }
        self.transact(actions).await
    }

    /// Escalation `id` and its version, read consistently; `None` if absent or expired.
    pub async fn escalation(&self, id: &str, now: OffsetDateTime) -> Result<Option<EscalationItem>, StoreError> {
        let item = self.get::<EscalationItem>(&keys::escalation_pk(id), keys::ESCALATION_SK).await?;
        Ok(item.filter(|i| i.expires_at > now.unix_timestamp()))
    }

    /// One page of the escalations in the queue of `state`, newest first: one Query of GSI1.
    pub async fn escalation_queue(
        &self,
        state: crate::domain::escalation::EscalationState,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<Escalation>, StoreError> {
        let partition = Partition::gsi1(keys::escalation_queue_pk(state));
        let page: Page<EscalationItem> = self.newest_first(partition, everything(), limit, start, now).await?;
        Ok(page.map(|item| item.escalation))
    }

    /// One page of the escalations `person_id` opened, newest first: a Query of their pointers,
    /// then one `BatchGetItem` of the escalations as they are now.
    pub async fn escalations_opened_by(
        &self,
        person_id: &str,
        limit: u32,
        start: Option<&PageKey>,
        now: OffsetDateTime,
    ) -> Result<Page<Escalation>, StoreError> {
        let partition = Partition::table(keys::escalations_by_pk(person_id));
        let range = (keys::OPENED_PREFIX.to_owned(), format!("{}~", keys::OPENED_PREFIX));
        let pointers: Page<Pointer> = self.newest_first(partition, range, limit, start, now).await?;
        let wanted =
            pointers.entries.iter().map(|p| key_item(&keys::escalation_pk(&p.escalation_id), keys::ESCALATION_SK));
        let found: Vec<EscalationItem> = read_items(self.batch_get(wanted, &[], true).await?, "an escalation")?;
        let live = |id: &str| found.iter().find(|i| i.escalation.id == id && i.expires_at > now.unix_timestamp());
        let entries =
            pointers.entries.iter().filter_map(|p| live(&p.escalation_id)).map(|i| i.escalation.clone()).collect();
        Ok(Page { entries, last_key: pointers.last_key })
    }

    /// Appends `note` to escalation `id` (expiring at `expires_at`) if it is live and has room,
    /// in one transaction with the pointer from its author to it and what `keyed` did, so that
    /// neither can be lost once the note is there. `false` if a condition did not hold (gone,
    /// full meanwhile, or the key taken).
    pub async fn add_note(
        &self,
        id: &str,
        expires_at: i64,
        note: &Note,
        keyed: Option<&KeyedRequest>,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let change = EscalationChange {
            expression: "SET #notes = list_append(#notes, :note)",
            names: vec![("#notes", "notes")],
            values: vec![(":note", AttributeValue::L(vec![to_value(note)]))],
        };
        let guard = WriteGuard::LiveWithRoomForNotes { now: now.unix_timestamp(), max: MAX_NOTES };
        let mut actions = self.change_touching(id, expires_at, change, guard, &note.author)?;
        if let Some(keyed) = keyed {
            actions.push(self.remember(keyed, id, now)?);
        }
        self.transact(actions).await
    }

    /// Moves escalation `id` (expiring at `expires_at`) by `transition`, done by `staff`, if it
    /// is live and in a state the transition starts from (two engineers claiming at once, one
    /// wins), in one transaction with the pointer from `staff` to it. `false` if the condition
    /// did not hold.
    pub async fn transition_escalation(
        &self,
        id: &str,
        expires_at: i64,
        transition: Transition,
        staff: &Staff,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (by, at) = match transition {
            Transition::Claim => ("claimedBy", "claimedAt"),
            Transition::Resolve => ("resolvedBy", "resolvedAt"),
        };
        let change = EscalationChange {
            expression: "SET #state = :to, #queue = :queue, #by = :by, #at = :at",
            names: vec![("#state", "state"), ("#queue", GSI1PK), ("#by", by), ("#at", at)],
            values: vec![
                (":to", to_value(&transition.to())),
                (":queue", AttributeValue::S(keys::escalation_queue_pk(transition.to()))),
                (":by", to_value(staff)),
                (":at", AttributeValue::S(rfc3339(now))),
            ],
        };
        let guard = WriteGuard::LiveInState { now: now.unix_timestamp(), states: transition.from() };
        self.transact(self.change_touching(id, expires_at, change, guard, staff)?).await
    }

    /// The actions of `change` to escalation `id` under `guard` (adding one to its version),
    /// and of the pointer from `staff` to it, so that an erasure of them reaches it.
    fn change_touching(
        &self,
        id: &str,
        expires_at: i64,
        change: EscalationChange,
        guard: WriteGuard<'_>,
        staff: &Staff,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let condition = guard.condition();
        let names = change.names.into_iter().chain([("#version", "version")]).map(|(k, v)| (k.into(), v.into()));
        let values = change.values.into_iter().chain([(":one", AttributeValue::N("1".into()))]);
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_item(&keys::escalation_pk(id), keys::ESCALATION_SK)))
            .update_expression(format!("{}, #version = #version + :one", change.expression))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names.into_iter().chain(names).collect()))
            .set_expression_attribute_values(Some(
                condition.values.unwrap_or_default().into_iter().chain(values.map(|(k, v)| (k.into(), v))).collect(),
            ))
            .build()
            .expect("table, key and expression are set");
        let mut actions = vec![TransactWriteItem::builder().update(update).build()];
        if let Some(pointer) = touched(staff, id, expires_at) {
            actions.push(guarded_put(self.table(), to_item(&pointer)?, WriteGuard::NotEarlierExpiry(expires_at)));
        }
        Ok(actions)
    }

    /// Points from `staff` to escalation `id` (expiring at `expires_at`) again: the change they
    /// repeat already holds, and its pointer may be what the first attempt lost.
    pub async fn touch_escalation(&self, staff: &Staff, id: &str, expires_at: i64) -> Result<(), StoreError> {
        if let Some(pointer) = touched(staff, id, expires_at) {
            self.put_value(&pointer, WriteGuard::NotEarlierExpiry(expires_at)).await?;
        }
        Ok(())
    }

    /// Sends `actions` as one transaction: `false` if a condition of one of them did not hold.
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let Err(error) = self.client().transact_write_items().set_transact_items(Some(actions)).send().await else {
            return Ok(true);
        };
        let reasons = cancellation_reasons(&error);
        if reasons.iter().any(|r| r == "ConditionalCheckFailed") {
            Ok(false)
        } else if reasons.iter().any(|r| r == "TransactionConflict" || super::is_throttling(r)) {
            Err(StoreError::Contention { what: "an escalation" })
        } else {
            Err(StoreError::request("TransactWriteItems", error))
        }
    }

    /// The ids of every escalation that names `person_id`: about their call, or opened, noted
    /// or changed by them. Expired ones too: their data is stored until DynamoDB deletes it.
    pub(super) async fn escalations_naming(
        &self,
        person_id: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut pointers: Vec<Pointer> = Vec::new();
        for pk in [keys::escalations_about_pk(person_id), keys::escalations_by_pk(person_id)] {
            pointers.extend(read_items::<Pointer>(self.partition(&pk, true).await?, "an escalation pointer")?);
        }
        Ok(pointers.into_iter().map(|p| (p.pk, p.sk, p.escalation_id)).collect())
    }

    /// Takes `person_id` out of every escalation `pointers` lead to, then deletes the pointers
    /// (their keys name the person). How many escalations changed.
    pub(super) async fn erase_from_escalations(
        &self,
        person_id: &str,
        pointers: &[(String, String, String)],
    ) -> Result<u32, StoreError> {
        let mut ids: Vec<&str> = pointers.iter().map(|(_, _, id)| id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut rewritten = 0;
        for id in ids {
            rewritten += u32::from(self.erase_from_escalation(id, person_id).await?);
        }
        for (pk, sk, _) in pointers {
            self.delete(pk, sk).await?;
        }
        Ok(rewritten)
    }

    /// Takes `person_id` out of escalation `id` and deletes its pointers under them: also what a
    /// write that an erasure of them overtook does afterwards. Whether the escalation changed.
    pub async fn erase_from_escalation(&self, id: &str, person_id: &str) -> Result<bool, StoreError> {
        for _ in 0..REWRITE_ATTEMPTS {
            let Some(mut item) = self.get::<EscalationItem>(&keys::escalation_pk(id), keys::ESCALATION_SK).await?
            else {
                return Ok(false);
            };
            let opened_sk = keys::opened_sk(item.escalation.opened_at, id);
            let changed = item.escalation.erase_person(person_id);
            let read = item.version;
            item.version += 1;
            if !changed || self.put_value(&item, WriteGuard::AtVersion(read)).await? {
                let by = keys::escalations_by_pk(person_id);
                for (pk, sk) in [
                    (keys::escalations_about_pk(person_id), id.to_owned()),
                    (by.clone(), opened_sk),
                    (by, keys::touched_sk(id)),
                ] {
                    self.delete(&pk, &sk).await?;
                }
                return Ok(changed);
            }
        }
        Err(StoreError::Contention { what: "an escalation" })
    }
}

/// A change of an escalation: its update expression with the names and values it uses.
struct EscalationChange {
    expression: &'static str,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(&'static str, AttributeValue)>,
}

/// The pointer from `staff` to escalation `id`, which they noted, claimed or resolved; none
/// from an erased person's placeholder.
fn touched(staff: &Staff, id: &str, expires_at: i64) -> Option<Pointer> {
    let pointer = Pointer::new(keys::escalations_by_pk(&staff.id), keys::touched_sk(id), id, expires_at);
    (!pointer.names_the_placeholder()).then_some(pointer)
}

/// Sort-key bounds that hold every `<time>#<id>` key.
fn everything() -> (String, String) {
    ("0".to_owned(), "~".to_owned())
}
