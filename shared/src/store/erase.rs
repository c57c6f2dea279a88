//! Erasing one person's personal data before the 30 days are up, so that it stays erased.
//!
//! An erasure first leaves a marker (`ERASED#<id>`), kept as long as a record naming the person
//! could still be accepted. Each request counts as of its own time: the marker keeps the latest,
//! and every write path (ingest, the Graph worker, classify, escalations) reads the markers of
//! every party it is about to write, stores anyone whose latest erasure is at or after the
//! call's start already replaced by the placeholder, and checks again after it wrote: a call it
//! stored or found still naming such a person is repaired at once ([`DynamoStore::repair_call`]).
//! Because a writer's after-check can itself fail, every erasure also sweeps once more after the
//! longest a writer can run ([`WRITER_WINDOW`]): the marker's `sweepAt`, which a schedule reads.
//!
//! The calls come from the person's history (a home user's) and the party index (`PARTY#<id>`:
//! every call that names a guest, another tenant's user, a phone number, an application or a
//! home user whose record lacks a tenant id). Each call is rewritten without them (header
//! and pages in one transaction, conditional on the version and rating read; pages of other
//! versions deleted): first the directory entries of the name the call gives them and the call's
//! subnet samples, then the call, then the other participants' history entries that show them as
//! the counterpart, and only then the person's own entries of that call. The entries left are the
//! work the next run starts from, so repeating an interrupted erasure completes it. Escalations
//! that name the person go first (they are few).
//!
//! A round reads its entries a page at a time and looks at the invocation's deadline before each
//! call and each batch of a town hall's counterparts; out of time, it hands the rest over through
//! the marker (whose change the table's stream delivers to the classify function), recording how
//! far one call's counterparts got. Every run does its first call's first steps whatever its
//! deadline, so the rounds always get further (and a request takes the person out of search at
//! once: the first call gives their name).

use super::StoreError;
use super::calls::{CallItems, cancelled_by_condition, guarded_put};
use super::client::{DynamoStore, Item, WriteGuard, from_item, key_item, read_items, to_item};
use super::items::{CallHeader, DirectoryItem, HistoryItem, PartyPage, PhoneItem, SessionPage};
use super::keys;
use super::phone::{StoredRow, history_item};
use super::prepare::{PreparedCall, audio_subnets, usage_day};
use super::size::item_size;
use crate::domain::erasure::{ERASED_ID, ErasureReport, ErasureStatus};
use crate::domain::graph::parties::endpoint_party;
use crate::domain::graph::{CallType, Party};
use crate::domain::retention;
use crate::support::deadline::Deadline;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// How many history entries one erasure rewrites at once (a town hall's organizer has
/// thousands).
const ERASE_CONCURRENCY: usize = 16;
/// How many of them between two looks at the deadline.
const FAN_OUT_BATCH: usize = 256;
/// How many of a person's index or history entries one Query reads.
const ENTRY_PAGE: i32 = 100;

/// DynamoDB's limits on one transaction: items, and bytes in all (with room for the header).
const TRANSACTION_ITEMS: usize = 100;
const TRANSACTION_BYTES: usize = 3_500_000;

/// The longest any writer of calls or escalations can run: Lambda's own limit on an invocation,
/// so it holds whatever timeouts the template sets. A writer that read the markers before an
/// erasure's request is done by then; the erasure's last sweep starts no earlier.
pub const WRITER_WINDOW: time::Duration = time::Duration::minutes(15);

/// How often a change of the marker is tried again when another run changed it first.
const MARKER_ATTEMPTS: u32 = 8;

/// The mark an erasure leaves: the person is erased as of the latest request, and what was done
/// so far over every run of every request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureMarker {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// The latest request: writers replace the person in every call that started at or before it.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// How many times the erasure was asked for.
    #[serde(default)]
    pub requests: u32,
    #[serde(flatten)]
    pub report: ErasureReport,
    /// When a run last finished every step.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<OffsetDateTime>,
    /// When the last sweep is due ([`WRITER_WINDOW`] after the latest request); `None` once a
    /// run that started after it has finished.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub sweep_at: Option<OffsetDateTime>,
    /// Handed over to run on asynchronously: the table's stream delivers each change of an
    /// unfinished, continued marker to the classify function, which runs the next round.
    #[serde(default)]
    pub continued: bool,
    /// How many times the erasure was handed over (each hand-over changes the marker).
    #[serde(default)]
    pub round: u32,
    /// Where the last round stopped rewriting one call's counterparts, for the next to go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<FanOut>,
    /// When the marker last changed: a sweep is started again only for a marker left alone.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<OffsetDateTime>,
    /// Counts every change, so that of two runs changing the marker at once, one reads again.
    #[serde(default)]
    pub version: i64,
    pub expires_at: i64,
}

/// The pointer to an erasure whose last sweep is pending, where the schedule finds it: written
/// before the marker that sets the sweep, deleted once the marker no longer names that time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SweepPointer {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    user_id: String,
    #[serde(with = "time::serde::rfc3339")]
    sweep_at: OffsetDateTime,
    expires_at: i64,
}

impl SweepPointer {
    fn new(user_id: &str, sweep_at: OffsetDateTime, expires_at: i64) -> Self {
        Self {
            pk: keys::ERASURE_SWEEPS_PK.to_owned(),
            sk: keys::erasure_sweep_sk(sweep_at, user_id),
            user_id: user_id.to_owned(),
            sweep_at,
            expires_at,
        }
    }
}

impl ErasureMarker {
    fn new(user_id: &str, now: OffsetDateTime) -> Self {
        Self {
            pk: keys::erased_pk(user_id),
            sk: keys::ERASED_SK.to_owned(),
            requested_at: now,
            requests: 0,
            report: ErasureReport { user_id: user_id.to_owned(), ..ErasureReport::default() },
            completed_at: None,
            sweep_at: None,
            continued: false,
            round: 0,
            fan_out: None,
            changed_at: None,
            version: 0,
            expires_at: 0,
        }
    }

    /// A new request at `now`: the erasure counts from then, and sweeps once more after it.
    fn request(&mut self, now: OffsetDateTime) -> bool {
        self.requested_at = self.requested_at.max(now);
        self.requests += 1;
        self.report.complete = false;
        self.sweep_at = Some(self.requested_at + WRITER_WINDOW);
        // Kept until no record of a call that started before the request can be accepted.
        self.expires_at = self.expires_at.max(retention::erasure_expires_at(self.requested_at).unix_timestamp());
        true
    }

    /// A run that started at `started` did every step: the erasure is complete, and final once
    /// the run started after every writer that could have raced the latest request was done.
    /// A request that came in meanwhile runs on by itself.
    fn finish(&mut self, started: OffsetDateTime, now: OffsetDateTime) {
        if self.requested_at > started {
            return;
        }
        self.report.complete = true;
        self.continued = false;
        self.fan_out = None;
        self.completed_at = Some(now);
        if self.sweep_at.is_some_and(|at| started >= at) {
            self.sweep_at = None;
        }
    }

    /// Hands the rest over to the next round, which the marker's change starts.
    fn hand_over(&mut self, fan_out: Option<FanOut>) {
        self.report.complete = false;
        self.continued = true;
        self.round += 1;
        self.fan_out = fan_out;
    }

    /// Where the erasure stands, as `GET /users/{id}/erasure` says it.
    pub fn status(&self) -> ErasureStatus {
        ErasureStatus {
            report: self.report.clone(),
            requested_at: self.requested_at,
            requests: self.requests,
            completed_at: self.completed_at,
            rounds: self.round,
            sweep_pending: self.sweep_at.is_some(),
            sweep_at: self.sweep_at,
        }
    }
}

/// How far an erasure got through the other participants' history entries of one call (a town
/// hall organizer's are thousands): the next round starts after the first `done` parties of
/// the same version, rather than reading them all again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FanOut {
    pub call_id: String,
    pub version: i64,
    pub done: u32,
}

/// Why a run of an erasure runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureRun {
    /// `DELETE /users/{id}`: a new request, as of its own time.
    Request,
    /// The next round of one handed over (or of its sweep).
    Round,
}

/// People erased among some ids, with when each was last asked for.
pub type Erasures = std::collections::BTreeMap<String, OffsetDateTime>;

/// Whether the erasure of a person asked for at `erased_at` covers a call that started at
/// `start`: a call made after the latest request is the person's own again.
pub fn covers(erased_at: OffsetDateTime, start: OffsetDateTime) -> bool {
    erased_at >= start
}

/// How often one call's rewrite is retried when a new version or a rating lands meanwhile.
const REWRITE_ATTEMPTS: u32 = 5;

/// One call an erasure has to take the person out of, as their index or history entry names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallEntry {
    call_id: String,
    /// From the party index: whether they organized it.
    organizer: Option<bool>,
    /// From their history (calls stored before the index): whom their line showed.
    #[serde(default)]
    counterpart: Option<Party>,
}

/// What one run of an erasure carries from call to call.
struct Round {
    /// The latest request: calls that started after it are the person's own again.
    erased_at: OffsetDateTime,
    deadline: Deadline,
    /// Whether the next call is done whatever the deadline: every run gets at least one call
    /// further, however little time it has.
    owed: bool,
    /// The names whose directory entries are already deleted by this run.
    directory: Vec<Party>,
    fan_out: Option<FanOut>,
    report: ErasureReport,
}

impl Round {
    /// A run of the erasure asked for at `erased_at`, until `deadline`, going on with one call's
    /// counterparts from `fan_out`.
    fn new(erased_at: OffsetDateTime, deadline: Deadline, fan_out: Option<FanOut>) -> Self {
        Self { erased_at, deadline, owed: true, directory: Vec::new(), fan_out, report: ErasureReport::default() }
    }
}

/// What taking a person out of one call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallErased {
    /// Nothing of the call names them any more (or the call is gone): their entries of it go.
    Done,
    /// The call started after the erasure: theirs again, left as it is, entries and all.
    After,
    /// The deadline came first (`fan_out` says how far it got).
    OutOfTime,
}

impl DynamoStore {
    /// Removes the personal data of `user_id` (any party id: a home user, a guest, another
    /// tenant's user, a phone number, an application), for good. A `Request` marks them erased
    /// as of `now`; either run then takes them out of every escalation and stored call, until
    /// `deadline`, and hands the rest over. `None` when nothing names them and they were never
    /// erased.
    pub async fn erase_user(
        &self,
        user_id: &str,
        home_tenant: &str,
        now: OffsetDateTime,
        deadline: Deadline,
        run: ErasureRun,
    ) -> Result<Option<ErasureReport>, StoreError> {
        let marker = match (run, self.erasure(user_id).await?) {
            (ErasureRun::Round, None) => return Ok(None),
            (ErasureRun::Round, Some(marker)) if !marker.continued || marker.report.complete => {
                return Ok(Some(marker.report));
            }
            (ErasureRun::Round, Some(marker)) => marker,
            (ErasureRun::Request, None) if !self.names_anywhere(user_id).await? => return Ok(None),
            (ErasureRun::Request, _) => {
                let marker = self.change_marker(user_id, now, |m| m.request(now)).await?;
                marker.ok_or(StoreError::Contention { what: "an erasure marker" })?
            }
        };
        let mut round = Round::new(marker.requested_at, deadline, marker.fan_out.clone());
        let escalations = self.escalations_naming(user_id).await?;
        round.report.escalations_rewritten = self.erase_from_escalations(user_id, &escalations).await?;
        let finished = self.erase_from_calls(user_id, home_tenant, &mut round).await?;
        let Round { report, fan_out, .. } = round;
        let marker = self
            .change_marker(user_id, now, |m| {
                m.report.add(&report);
                if finished {
                    m.finish(now, now);
                } else {
                    m.hand_over(fan_out.clone());
                }
                true
            })
            .await?;
        Ok(marker.map(|m| m.report))
    }

    /// The marker of the erasure of `user_id`, if they were ever erased.
    pub async fn erasure(&self, user_id: &str) -> Result<Option<ErasureMarker>, StoreError> {
        self.get::<ErasureMarker>(&keys::erased_pk(user_id), keys::ERASED_SK).await
    }

    /// Starts the sweeps due at `now` (one Query of the pointers to pending ones): each marker
    /// left alone since it became due is handed over, and its change runs the sweep; pointers
    /// the markers no longer name are deleted. How many started.
    pub async fn start_due_sweeps(&self, now: OffsetDateTime) -> Result<u32, StoreError> {
        // A small partition: the erasures of the last quarter hour, and any whose run died.
        let pointers: Vec<SweepPointer> =
            read_items(self.partition(keys::ERASURE_SWEEPS_PK, true).await?, keys::ERASURE_SWEEPS_PK)?;
        let due = pointers.into_iter().filter(|p| p.sweep_at <= now);
        let mut started = 0;
        for pointer in due {
            let marker = self.change_marker(&pointer.user_id, now, |m| {
                let idle = m.changed_at.is_none_or(|at| at + WRITER_WINDOW <= now);
                let due = m.sweep_at == Some(pointer.sweep_at) && (m.report.complete || idle);
                if due {
                    m.hand_over(m.fan_out.clone());
                }
                due
            });
            match marker.await? {
                Some(_) => started += 1,
                None if self.erasure(&pointer.user_id).await?.is_some_and(|m| m.sweep_at == Some(pointer.sweep_at)) => {
                }
                None => self.delete(&pointer.pk, &pointer.sk).await?,
            }
        }
        Ok(started)
    }

    /// Which of `ids` have been erased, and when the latest erasure was asked for; read
    /// consistently (an erasure writes its marker before anything else).
    pub async fn erasures_among<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<Erasures, StoreError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Mark {
            #[serde(rename = "PK")]
            pk: String,
            #[serde(with = "time::serde::rfc3339")]
            requested_at: OffsetDateTime,
        }
        let ids: BTreeSet<&str> = ids.into_iter().filter(|id| *id != ERASED_ID).collect();
        let markers = ids.iter().map(|id| key_item(&keys::erased_pk(id), keys::ERASED_SK));
        let mut erased = Erasures::new();
        for item in self.batch_get(markers, &[keys::PK, "requestedAt"], true).await? {
            let mark: Mark = from_item(item, "an erasure marker")?;
            if let Some(id) = keys::erased_user(&mark.pk) {
                erased.insert(id.to_owned(), mark.requested_at);
            }
        }
        Ok(erased)
    }

    /// Takes `user_id`, whose erasure covers call `call_id`, out of everything stored about the
    /// call: the call itself, the others' history entries that show them, their own entries of
    /// it and the directory entries of the name it gives them. What a writer does after it
    /// wrote (or found stored) a call naming an erased person; nothing if it names them no more.
    pub async fn repair_call(
        &self,
        call_id: &str,
        user_id: &str,
        erased_at: OffsetDateTime,
        home_tenant: &str,
    ) -> Result<(), StoreError> {
        let index = self.get::<CallEntry>(&keys::party_pk(user_id), &keys::history_sk(call_id)).await?;
        let history = self.get::<CallEntry>(&keys::user_pk(user_id), &keys::history_sk(call_id)).await?;
        // Without either entry, the erasure finished this call (entries go last): only a call
        // that names them as its organizer again makes them anyone's counterpart.
        let organizer = index.as_ref().and_then(|i| i.organizer).or(history.is_none().then_some(false));
        let entry =
            CallEntry { call_id: call_id.to_owned(), organizer, counterpart: history.and_then(|h| h.counterpart) };
        let mut round = Round::new(erased_at, Deadline::never(), None);
        if self.erase_from_call(&entry, user_id, home_tenant, &mut round).await? == CallErased::Done {
            self.forget_entries(user_id, call_id, &mut round.report).await?;
        }
        Ok(())
    }

    /// Deletes the directory entries of `user_id` that writing `call` may have put: what a writer
    /// that stored a call naming an erased person takes back, since a later writer may have
    /// committed the call without them (so the call no longer names the entries' name).
    pub async fn forget_written_directory(&self, call: &PreparedCall, user_id: &str) -> Result<(), StoreError> {
        for user in call.parties.directory.iter().filter(|d| d.user_id == user_id) {
            for item in &user.items {
                let key = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
                self.delete(&key(keys::PK), &key(keys::SK)).await?;
            }
        }
        Ok(())
    }

    /// Changes the marker of `user_id` by `change`, applied to what is stored (or to a new
    /// marker), and writes it only if no one else changed it meanwhile: a request's time, a
    /// round's counts and a hand-over are never lost to a concurrent run. `None` if `change`
    /// says there is nothing to write; a change refused every time is an error.
    async fn change_marker(
        &self,
        user_id: &str,
        now: OffsetDateTime,
        change: impl Fn(&mut ErasureMarker) -> bool,
    ) -> Result<Option<ErasureMarker>, StoreError> {
        for _ in 0..MARKER_ATTEMPTS {
            let stored = self.erasure(user_id).await?;
            let read = stored.as_ref().map_or(0, |m| m.version);
            let stored_sweep = stored.as_ref().and_then(|m| m.sweep_at);
            let mut marker = stored.unwrap_or_else(|| ErasureMarker::new(user_id, now));
            if !change(&mut marker) {
                return Ok(None);
            }
            marker.version = read + 1;
            marker.changed_at = Some(now);
            // The schedule finds a pending sweep through its pointer, written first.
            let pointed = stored_sweep != marker.sweep_at;
            if let Some(at) = marker.sweep_at.filter(|_| pointed) {
                let pointer = SweepPointer::new(user_id, at, marker.expires_at);
                self.put_value(&pointer, WriteGuard::NotEarlierExpiry(pointer.expires_at)).await?;
            }
            if self.put_value(&marker, WriteGuard::NewerVersion(marker.version)).await? {
                if let Some(at) = stored_sweep.filter(|_| pointed) {
                    self.delete(keys::ERASURE_SWEEPS_PK, &keys::erasure_sweep_sk(at, user_id)).await?;
                }
                return Ok(Some(marker));
            }
        }
        Err(StoreError::Contention { what: "an erasure marker" })
    }

    /// Whether anything stored names `user_id`: a call (indexed, or in their history) or an
    /// escalation. One item of each partition at most.
    async fn names_anywhere(&self, user_id: &str) -> Result<bool, StoreError> {
        let partitions = [
            keys::party_pk(user_id),
            keys::user_pk(user_id),
            keys::escalations_about_pk(user_id),
            keys::escalations_by_pk(user_id),
        ];
        for pk in partitions {
            let output = self
                .query()
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .projection_expression("#pk")
                .limit(1)
                .send()
                .await
                .map_err(|e| StoreError::request("Query", e))?;
            if output.count > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes `user_id` out of every call their index and history entries name, a page of
    /// entries at a time; `false` if the deadline came first.
    async fn erase_from_calls(&self, user_id: &str, home_tenant: &str, round: &mut Round) -> Result<bool, StoreError> {
        for pk in [keys::party_pk(user_id), keys::user_pk(user_id)] {
            let mut start: Option<Item> = None;
            loop {
                let output = self
                    .query()
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", keys::PK)
                    .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                    .expression_attribute_names("#call", "callId")
                    .expression_attribute_names("#organizer", "organizer")
                    .expression_attribute_names("#counterpart", "counterpart")
                    .projection_expression("#call, #organizer, #counterpart")
                    .consistent_read(true)
                    .limit(ENTRY_PAGE)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| StoreError::request("Query", e))?;
                for item in output.items.unwrap_or_default() {
                    let entry: CallEntry = from_item(item, &pk)?;
                    let owed = std::mem::take(&mut round.owed);
                    if !owed && round.deadline.passed() {
                        return Ok(false);
                    }
                    match self.erase_from_call(&entry, user_id, home_tenant, round).await? {
                        CallErased::OutOfTime => return Ok(false),
                        CallErased::After => {}
                        CallErased::Done => {
                            round.report.calls_found += 1;
                            self.forget_entries(user_id, &entry.call_id, &mut round.report).await?;
                        }
                    }
                }
                match output.last_evaluated_key {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        Ok(true)
    }

    /// Deletes `user_id`'s own entries of call `call_id`, once it names them no more: their
    /// history line and their index entry.
    async fn forget_entries(&self, user_id: &str, call_id: &str, report: &mut ErasureReport) -> Result<(), StoreError> {
        let sk = keys::history_sk(call_id);
        if self.delete_existing(&keys::user_pk(user_id), &sk).await? {
            report.history_entries_deleted += 1;
        }
        self.delete(&keys::party_pk(user_id), &sk).await
    }

    /// Deletes item `pk`/`sk`; whether there was one.
    async fn delete_existing(&self, pk: &str, sk: &str) -> Result<bool, StoreError> {
        let output = self
            .client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key_item(pk, sk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| StoreError::request("DeleteItem", e))?;
        Ok(output.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Rewrites the call of `entry` without `user_id`, deletes its pages of other versions,
    /// and replaces the user as the counterpart in the other participants' history entries.
    /// Before the call, while it still names them: the directory entries of the name it gives
    /// them, and the call's subnet samples. Whatever of the call still names the user is
    /// rewritten — the header's parties or organizer, a party page, a session page — so a run
    /// cut off between pages and header is finished by the next. A call that started after the
    /// erasure is left alone.
    async fn erase_from_call(
        &self,
        entry: &CallEntry,
        user_id: &str,
        home_tenant: &str,
        round: &mut Round,
    ) -> Result<CallErased, StoreError> {
        let call_id = entry.call_id.as_str();
        let pk = keys::call_pk(call_id);
        for _ in 0..REWRITE_ATTEMPTS {
            let items = self.partition(&pk, true).await?;
            if let Some(stored) = StoredRow::find(&pk, &items)? {
                // A Teams call under the same id (its header beside the row) is erased from too.
                let beside_a_call = items.iter().any(|item| {
                    item.get(keys::SK).and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk == keys::CALL_HEADER_SK)
                });
                match self.erase_from_phone_row(stored, user_id, home_tenant, round).await? {
                    Some(erased) if !beside_a_call => return Ok(erased),
                    Some(_) => {}
                    None => continue,
                }
            }
            // Expired items count: their personal data is stored until DynamoDB deletes it.
            let CallItems { header, mut session_pages, party_pages, .. } = CallItems::read(&pk, items)?;
            let Some(mut header) = header else {
                return Ok(CallErased::Done);
            };
            if !covers(round.erased_at, header.summary.start_date_time) {
                return Ok(CallErased::After);
            }
            let version = header.summary.version;
            let (current, stale): (Vec<_>, Vec<_>) = session_pages.drain(..).partition(|p| p.head.version == version);
            let mut session_pages = current;
            let (mut party_pages, stale_parties): (Vec<_>, Vec<_>) =
                party_pages.into_iter().partition(|p| p.head.version == version);
            let mut everyone = header.clone();
            everyone.restore_parties(party_pages.clone());
            let parties = everyone.summary.parties;
            // The names the call gives them: its parties', and its sessions' (pages a writer that
            // lost the commit to a newer one may have left beside a header without them).
            let ends = session_pages.iter().flat_map(|p| &p.sessions).flat_map(|s| [&s.caller, &s.callee]);
            let named: Vec<Party> = ends.flatten().filter_map(endpoint_party).collect();
            let identities = parties.iter().chain(&named);
            for identity in identities.filter(|p| p.id == user_id && p.has_history(home_tenant)) {
                if !round.directory.contains(identity) {
                    for entry in DirectoryItem::all(identity, 0) {
                        self.delete(&entry.pk, &entry.sk).await?;
                        round.report.directory_entries_deleted += 1;
                    }
                    round.directory.push(identity.clone());
                }
            }
            let organizer = header.summary.organizer_id.clone();
            let guard = WriteGuard::Unchanged { version, rating: header.summary.rating };
            // The day it counts in, and the days on either side: an older version may have ended
            // across midnight from this one.
            let day = usage_day(header.summary.end_date_time);
            let days = [day.previous_day(), Some(day), day.next_day()];
            // Every version's subnets: an older one may have put them on another subnet.
            let subnets = audio_subnets(session_pages.iter().chain(&stale).flat_map(|p| &p.sessions));
            let mut found = header.summary.erase_party(user_id);
            for session in session_pages.iter_mut().flat_map(|p| &mut p.sessions) {
                found |= session.erase_party(user_id);
            }
            for stored in party_pages.iter_mut().flat_map(|p| &mut p.parties).filter(|s| s.party.id == user_id) {
                stored.party = Party::erased(stored.party.kind);
                stored.subnet = None;
                found = true;
            }
            if found {
                for day in days.into_iter().flatten() {
                    self.forget_subnet_samples(call_id, day, subnets.keys()).await?;
                }
                if !self.replace_call(&header, &session_pages, &party_pages, guard).await? {
                    continue;
                }
                round.report.calls_rewritten += 1;
            }
            let stale_keys = stale.iter().map(|p| &p.head).chain(stale_parties.iter().map(|p| &p.head));
            for head in stale_keys {
                self.delete(&head.pk, &head.sk).await?;
                round.report.stale_pages_deleted += 1;
            }
            // Only where the user can be someone's counterpart: a meeting's is its organizer, and
            // the organizer's own line has none (the organizer's id may be the placeholder by
            // now, after a run cut off: then the index says whether it was them), so erasing an
            // attendee of a town hall reads none of its thousands of entries.
            let organizer = organizer.as_deref();
            let was_organizer = match entry.organizer {
                Some(organized) => organized,
                None => entry.counterpart.as_ref().is_none_or(|c| c.id == user_id),
            };
            let shown = header.summary.call_type != CallType::GroupCall
                || organizer == Some(user_id)
                || (organizer == Some(ERASED_ID) && was_organizer);
            if !shown {
                return Ok(CallErased::Done);
            }
            let home = |p: &&Party| p.has_history(home_tenant) && p.id != ERASED_ID && p.id != user_id;
            let others: Vec<&Party> = parties.iter().filter(home).collect();
            let resumed = round.fan_out.take().filter(|f| f.call_id == call_id && f.version == version);
            let mut done = resumed.map_or(0, |f| f.done as usize).min(others.len());
            while done < others.len() {
                let batch = &others[done..(done + FAN_OUT_BATCH).min(others.len())];
                let rewrites: Vec<_> =
                    batch.iter().map(|party| self.erase_counterpart(&party.id, call_id, user_id)).collect();
                let rewritten: Vec<bool> =
                    futures::stream::iter(rewrites).buffer_unordered(ERASE_CONCURRENCY).try_collect().await?;
                round.report.counterparts_rewritten += rewritten.into_iter().filter(|r| *r).count() as u32;
                done += batch.len();
                if done < others.len() && round.deadline.passed() {
                    round.fan_out = Some(FanOut { call_id: call_id.to_owned(), version, done: done as u32 });
                    return Ok(CallErased::OutOfTime);
                }
            }
            return Ok(CallErased::Done);
        }
        Err(StoreError::Contention { what: "a call" })
    }

    /// Takes `user_id` out of the phone-call row `stored` (the partition's `#PHONE` in place of a
    /// call's header). Its user's erasure deletes the directory entries of the name the row gives
    /// them, the party index entries of its numbers, then the row; a number's erasure rewrites
    /// the row without the number (guarded on what was read: `None` if it changed meanwhile) and
    /// the user's history line that showed it. Their own entries of the row go after (as for a
    /// call), so a run cut off anywhere is finished by the next.
    async fn erase_from_phone_row(
        &self,
        stored: StoredRow,
        user_id: &str,
        home_tenant: &str,
        round: &mut Round,
    ) -> Result<Option<CallErased>, StoreError> {
        let StoredRow { row, ingested_at } = stored;
        if !covers(round.erased_at, row.phone.start()) {
            return Ok(Some(CallErased::After));
        }
        let call_id = row.phone.id();
        if row.user_id == user_id {
            if let Some(user) = row.phone.user(home_tenant).filter(|u| !round.directory.contains(u)) {
                for entry in DirectoryItem::all(&user, 0) {
                    self.delete(&entry.pk, &entry.sk).await?;
                    round.report.directory_entries_deleted += 1;
                }
                round.directory.push(user);
            }
            let (caller, callee) = row.phone.numbers();
            for number in caller.into_iter().chain(callee) {
                self.delete(&keys::party_pk(number), &keys::history_sk(call_id)).await?;
            }
            self.delete(&row.pk, &row.sk).await?;
            round.report.calls_rewritten += 1;
            return Ok(Some(CallErased::Done));
        }
        if let Some(phone) = row.phone.without_number(user_id) {
            let scrubbed = PhoneItem { phone, ..row };
            if !self.put_value(&scrubbed, WriteGuard::IngestedAt(&ingested_at)).await? {
                return Ok(None);
            }
            round.report.calls_rewritten += 1;
            // Only onto the line still there: a user erased meanwhile keeps none.
            if self.put_value(&history_item(&scrubbed), WriteGuard::Present).await? {
                round.report.counterparts_rewritten += 1;
            }
        }
        Ok(Some(CallErased::Done))
    }

    /// Puts the rewritten header and pages, if `guard` holds on the header; `false` if it
    /// changed meanwhile. In one transaction where they fit in one (100 items, 4 MB); a larger
    /// meeting's pages go first (each onto the page it replaces) and the header, guarded, last:
    /// pages of the version rewritten without the person are only ever less than they were, so a
    /// reader between the two sees nothing it could not see before, and a guard that fails leads
    /// to a fresh read and rewrite.
    async fn replace_call(
        &self,
        header: &CallHeader,
        sessions: &[SessionPage],
        parties: &[PartyPage],
        guard: WriteGuard<'_>,
    ) -> Result<bool, StoreError> {
        let pages: Vec<Item> =
            sessions.iter().map(to_item).chain(parties.iter().map(to_item)).collect::<Result<_, _>>()?;
        let bytes: usize = pages.iter().map(item_size).sum();
        if pages.len() >= TRANSACTION_ITEMS || bytes >= TRANSACTION_BYTES {
            if self.put_all(pages.iter().map(|page| (page, WriteGuard::Present))).await?.contains(&false) {
                return Ok(false);
            }
            return self.put_guarded(to_item(header)?, guard).await;
        }
        let mut actions = vec![guarded_put(self.table(), to_item(header)?, guard)];
        for page in pages {
            let put =
                Put::builder().table_name(self.table()).set_item(Some(page)).build().expect("table and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        match self.client().transact_write_items().set_transact_items(Some(actions)).send().await {
            Ok(_) => Ok(true),
            Err(error) if cancelled_by_condition(&error) => Ok(false),
            Err(error) => Err(StoreError::request("TransactWriteItems", error)),
        }
    }

    /// Replaces `user_id` as the counterpart in `party_id`'s history entry of `call_id` (by a
    /// placeholder of the same kind), and forgets their subnet there.
    async fn erase_counterpart(&self, party_id: &str, call_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let Some(mut item) = self.get::<HistoryItem>(&keys::user_pk(party_id), &keys::history_sk(call_id)).await?
        else {
            return Ok(false);
        };
        let Some(kind) = item.entry.counterpart.as_ref().filter(|c| c.id == user_id).map(|c| c.kind) else {
            return Ok(false);
        };
        item.entry.counterpart = Some(Party::erased(kind));
        item.entry.ends.counterpart_subnet = None;
        self.put_value(&item, WriteGuard::AtVersion(item.version)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ASKED: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

    fn asked() -> ErasureMarker {
        let mut marker = ErasureMarker::new("u", ASKED);
        marker.request(ASKED);
        marker
    }

    #[test]
    fn a_second_request_counts_from_its_own_time_and_moves_the_sweep() {
        let mut marker = asked();
        let later = ASKED + time::Duration::days(2);
        marker.request(later);
        assert_eq!((marker.requested_at, marker.requests), (later, 2));
        assert_eq!(marker.sweep_at, Some(later + WRITER_WINDOW));
        assert_eq!(marker.expires_at, retention::erasure_expires_at(later).unix_timestamp());
        // A request that arrives out of order never moves the time back.
        marker.request(ASKED);
        assert_eq!((marker.requested_at, marker.requests), (later, 3));
    }

    #[test]
    fn only_a_run_started_once_every_racing_writer_is_done_ends_the_sweep() {
        let mut marker = asked();
        marker.finish(ASKED, ASKED + time::Duration::seconds(3));
        assert!(marker.report.complete);
        assert_eq!(marker.sweep_at, Some(ASKED + WRITER_WINDOW), "the sweep is still to come");
        let just_before = ASKED + WRITER_WINDOW - time::Duration::seconds(1);
        marker.finish(just_before, just_before);
        assert!(marker.sweep_at.is_some(), "a writer may still be running");
        marker.finish(ASKED + WRITER_WINDOW, ASKED + WRITER_WINDOW);
        assert_eq!(marker.sweep_at, None);
    }

    #[test]
    fn a_run_older_than_the_latest_request_does_not_call_it_complete() {
        let mut marker = asked();
        marker.hand_over(None);
        marker.request(ASKED + time::Duration::minutes(1));
        marker.finish(ASKED, ASKED + time::Duration::minutes(2));
        assert!(!marker.report.complete, "the newer request's own run finishes it");
        assert_eq!(marker.requested_at, ASKED + time::Duration::minutes(1));
    }

    #[test]
    fn an_erasure_covers_the_calls_that_started_at_or_before_it() {
        assert!(covers(ASKED, ASKED - time::Duration::seconds(1)));
        assert!(covers(ASKED, ASKED));
        assert!(!covers(ASKED, ASKED + time::Duration::seconds(1)));
    }
}
