//! The Graph connector's use cases: take Graph's notifications (queue the ids, answer fast),
//! take its lifecycle events (queue jobs), start a backfill for an admin, and — in the Graph
//! worker — run one piece of queued work: fetch a record whole and store it through exactly
//! the path of `POST /calls`, keep the subscription, or list a window for a backfill.
//!
//! A record is fetched page by page under Graph's per-record limits (`domain::connector::
//! pacing`) and never past the invocation's deadline, and a function never sleeps through a
//! wait: when the next request may not go for more than a moment (its per-record slot, Graph's
//! `Retry-After`) or not before the deadline (less [`Worker::margin`]), the pages fetched so far
//! are kept in the table and the fetch's message goes back on its queue, delayed until it may
//! go on (`docs/decisions.md`, the town-hall fetch and the work queues).

use super::AppError;
use super::dispatch::Dispatch;
use super::ingest::{Accepted, ingest_calls};
use super::phone::ingest_phone_rows;
use crate::domain::access::{AuditAction, AuditEvent, Principal, Role};
use crate::domain::connector::{
    Dropped, FleetBudget, Grant, Job, Lane, LifecycleEvent, Ours, PerRecordLimits, PhoneLog, SubscriptionPlan, Work,
    listed_record_keys, parse_lifecycle, parse_notifications, phone_poll, plan, subscription,
};
use crate::domain::problem::Problem;
use crate::domain::retention;
use crate::msgraph::{GraphClient, GraphError};
use crate::queue::MAX_DELAY;
use crate::store::DynamoStore;
use crate::store::connector::{Chunk, Progress, QUEUE_ITEM_LIFETIME};
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Attempts at fetching one record that failed (Graph unreachable, a network error) before it
/// is set aside as a dead letter. Throttling is no failure: a throttled fetch waits as long as
/// Graph asks, on its queue.
pub const MAX_FETCH_ATTEMPTS: u32 = 5;
/// The longest wait for a per-record slot a fetch makes in place; a longer one goes back on the
/// queue.
const MAX_INLINE_WAIT: time::Duration = time::Duration::seconds(2);
/// How far a backfill lists ahead of the fleet: it lists a page only while fewer than `depth`
/// messages wait on the backfill queue, else it hands itself over, delayed by `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillBound {
    pub depth: u64,
    pub wait: std::time::Duration,
}

impl BackfillBound {
    /// As deployed: a listing page queues up to 1,000 fetches and the fleet takes ~25 records a
    /// second for a backfill (`docs/capacity.md`), so 5,000 waiting is a few minutes of work,
    /// and a look every two minutes keeps the queue from running dry.
    pub const DEPLOYED: Self = Self { depth: 5_000, wait: std::time::Duration::from_secs(120) };
}
/// MiB of the Graph worker's memory (1,024 MB) its concurrent ingests may take together.
const INGEST_MEMORY_MIB: u32 = 700;
/// How many times its JSON a record takes in memory while ingested (569 MiB for 69.5 MiB).
const INGEST_MEMORY_FACTOR: usize = 9;
/// The memory the fetches of one warm Graph worker share for ingesting: two town halls in one
/// batch take turns instead of running the function out of memory.
static INGEST_MEMORY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(INGEST_MEMORY_MIB as usize);

/// What `POST /graph/notifications` did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationReport {
    /// Call record ids queued for a fetch (ids already pending are not queued twice).
    pub queued: usize,
    /// Notifications dropped, by reason.
    pub dropped: BTreeMap<Dropped, usize>,
}

/// Queues a fetch of every call record a delivery names that is `ours` (our clientState and
/// home tenant) and of our current subscription. The subscription's id is read (one `GetItem`)
/// only when a notification passed the other checks: a delivery refused from itself costs no
/// storage request.
pub async fn accept_notifications(
    dispatch: &Dispatch,
    body: &[u8],
    ours: Ours<'_>,
    now: OffsetDateTime,
) -> Result<NotificationReport, AppError> {
    let read = parse_notifications(body, ours)?;
    let current = current_subscription(&dispatch.store, read.needs_subscription(), now).await?;
    let notified = read.of_subscription(current.as_deref());
    if !notified.ids.is_empty() {
        // For the admin's connector page; at most once a minute per warm function, and a
        // failure to note it costs the delivery nothing.
        if let Err(error) = dispatch.store.note_notification(now).await {
            tracing::warn!(%error, "the last notification's time not recorded");
        }
    }
    let dropped = counted(notified.dropped);
    let queued = dispatch.fetches(&notified.ids, Lane::Live, now).await?;
    Ok(NotificationReport { queued, dropped })
}

/// Our current subscription's id, as the keeper stored it, when `needed` (`None` when none is
/// stored, or not needed).
async fn current_subscription(
    store: &DynamoStore,
    needed: bool,
    now: OffsetDateTime,
) -> Result<Option<String>, AppError> {
    if !needed {
        return Ok(None);
    }
    Ok(store.subscription_state(now).await?.map(|state| state.subscription_id))
}

/// The reasons notifications were dropped, counted (and logged, without their content).
fn counted(reasons: Vec<Dropped>) -> BTreeMap<Dropped, usize> {
    let mut dropped = BTreeMap::new();
    for reason in reasons {
        *dropped.entry(reason).or_insert(0) += 1;
    }
    if !dropped.is_empty() {
        tracing::warn!(?dropped, "notifications dropped");
    }
    dropped
}

/// Queues what each lifecycle event of `ours` asks for; how many jobs were queued.
/// `subscriptionRemoved` is taken whatever subscription it names (it queues a keep, which asks
/// Graph itself); the other events only from our current subscription
/// (`LifecycleEvents::of_subscription`).
pub async fn accept_lifecycle(
    dispatch: &Dispatch,
    body: &[u8],
    ours: Ours<'_>,
    now: OffsetDateTime,
) -> Result<usize, AppError> {
    let read = parse_lifecycle(body, ours)?;
    let current = current_subscription(&dispatch.store, read.needs_subscription(), now).await?;
    let (events, dropped) = read.of_subscription(current.as_deref());
    counted(dropped);
    // One job of each kind per delivery, and per window across deliveries (`Job::once_per_window`).
    let mut jobs: Vec<Job> = Vec::new();
    for event in events {
        tracing::info!(event = ?event.event, "lifecycle notification");
        let job = match event.event {
            LifecycleEvent::ReauthorizationRequired => Job::Keep { reauthorize: true },
            LifecycleEvent::SubscriptionRemoved => Job::Keep { reauthorize: false },
            LifecycleEvent::Missed => Job::Reconcile,
            LifecycleEvent::Other => continue,
        };
        if !jobs.contains(&job) {
            jobs.push(job);
        }
    }
    let mut queued = 0;
    for job in jobs {
        queued += usize::from(dispatch.job(job, now).await?);
    }
    Ok(queued)
}

/// The body of `POST /graph/backfill`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillRequest {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
}

/// Queues a backfill of `[from, to)` for an admin (audited; refusals counted), clamped to the
/// 30 days Graph keeps; answers the window that will be listed.
pub async fn request_backfill(
    dispatch: &Dispatch,
    principal: &Principal,
    body: &[u8],
    now: OffsetDateTime,
    request_id: &str,
) -> Result<Job, AppError> {
    let store = &dispatch.store;
    let event = AuditEvent::new(principal, AuditAction::Backfill, now, request_id);
    super::authorize::audited(store, principal.require_any(&[Role::Admin]), &event).await?;
    let request = read_backfill(body)?;
    let job = Job::backfill(request.from, request.to, now);
    if let Job::Backfill { from, to, .. } = &job
        && from >= to
    {
        let message = "must be before `to`, and the window must overlap the last 30 days";
        return Err(crate::domain::problem::Rejection { problems: vec![Problem::invalid("from", message)] }.into());
    }
    store.write_audit(event).await?;
    dispatch.job(job.clone(), now).await?;
    Ok(job)
}

/// What an admin's retry of a dead letter did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    pub call_id: String,
    /// `false` when a fetch of the record was pending already (it goes on; nothing more queued).
    pub queued: bool,
}

/// Queues a fetch of dead-lettered `call_id` again for an admin (audited; refusals counted):
/// `404` when it has no dead letter. The dead letter stays listed until the record is stored
/// (then the worker removes it) or fails again (then its reason and attempts are rewritten).
pub async fn retry_dead_letter(
    dispatch: &Dispatch,
    principal: &Principal,
    call_id: &str,
    now: OffsetDateTime,
    request_id: &str,
) -> Result<Retried, AppError> {
    let store = &dispatch.store;
    let event = AuditEvent::new(principal, AuditAction::DeadLetterRetry, now, request_id).call(call_id);
    super::authorize::audited(store, principal.require_any(&[Role::Admin]), &event).await?;
    AppError::check_id("callId", call_id)?;
    let live = store.dead_letter_of(call_id).await?.filter(|d| d.expires_at > now.unix_timestamp());
    if live.is_none() {
        return Err(AppError::NotFound("dead letter"));
    }
    store.write_audit(event).await?;
    let queued = dispatch.retry(call_id, now).await?;
    tracing::info!(queued, "dead letter retried");
    Ok(Retried { call_id: call_id.to_owned(), queued })
}

fn read_backfill(body: &[u8]) -> Result<BackfillRequest, AppError> {
    Ok(crate::domain::problem::read_json(body)?)
}

/// What one piece of queued work came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The record was fetched whole and went through ingest.
    Stored(Vec<Accepted>),
    /// Graph no longer has it (older than 30 days): dropped, not retried.
    Gone,
    /// It failed for now and was queued again.
    Requeued,
    /// Graph's per-record limits, a throttle or the invocation's deadline stopped it: the pages
    /// fetched so far are kept, and it was queued to go on from there when it may.
    Paused,
    /// It kept failing (or Graph refused it): set aside with its reason.
    DeadLettered,
    /// A newer notification queued the same record again: that one fetches it.
    Superseded,
    /// A job ran; how many fetches it queued (a phone-call poll: how many rows it stored).
    JobDone { queued: usize },
}

/// The Graph worker's context, built once per cold start.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The table and the work queues.
    pub dispatch: Dispatch,
    pub graph: GraphClient,
    pub home_tenant: String,
    /// How long one backfill run lists before it hands the rest over as a new job.
    pub backfill_budget: std::time::Duration,
    /// The per-record limits a fetch keeps to (Graph's, or a faster stand-in's in tests).
    pub pacing: PerRecordLimits,
    /// How long before the invocation's deadline a fetch stops asking Graph: the time it keeps
    /// for storing a whole record, or keeping its pages and queuing itself again.
    pub margin: std::time::Duration,
    /// How long a fetch that failed waits on its queue before its next attempt, doubled with
    /// each failure ([`RETRY_BASE`] when deployed).
    pub retry_base: std::time::Duration,
    /// How far a backfill lists ahead of the fleet.
    pub backfill_bound: BackfillBound,
    /// The whole fleet's share of Graph's per-app-per-tenant limit, by lane.
    pub budget: FleetBudget,
}

/// How many windows in a row a request waits for the fleet's budget in place (each at most
/// its window, two seconds) before its fetch goes back on the queue instead.
const BUDGET_WAITS: u32 = 3;

/// A failed fetch's first wait before it is tried again: Graph's outages are mostly short,
/// and five attempts doubling from 30 s span about 7 minutes.
pub const RETRY_BASE: std::time::Duration = std::time::Duration::from_secs(30);

pub use crate::support::deadline::Deadline;

/// What the fetching part of one run came to.
enum Fetched {
    /// The record, whole, as one JSON document.
    Whole(Vec<u8>),
    /// The run is over without a whole record.
    Over(Outcome),
}

/// Sleeps until `at` (by the system clock: Graph's windows and Lambda's deadline are real
/// time, whatever clock the product's "now" reads).
async fn sleep_until(at: OffsetDateTime) {
    if let Ok(wait) = std::time::Duration::try_from(at - OffsetDateTime::now_utc()) {
        tokio::time::sleep(wait).await;
    }
}

impl Worker {
    /// The table.
    fn store(&self) -> &DynamoStore {
        &self.dispatch.store
    }

    /// Runs one piece of queued work, by `deadline` (the invocation's, by the system clock).
    /// An `Err` means "deliver it again" (storage or the queue failed, or a job could not reach
    /// Graph); every other outcome is final.
    pub async fn run(&self, work: Work, now: OffsetDateTime, deadline: Deadline) -> Result<Outcome, AppError> {
        match work {
            Work::Fetch { call_id, attempts, nonce, not_before, lane, retried } => {
                if !self.store().take_fetch(&call_id, &nonce, now).await? {
                    return Ok(Outcome::Superseded);
                }
                let fetch = Fetch { call_id: &call_id, attempts, run: &nonce, lane, retried };
                if let Some(at) = not_before.filter(|at| *at > OffsetDateTime::now_utc() + MAX_INLINE_WAIT) {
                    // Delivered early (a wait longer than the queue's longest delay): back on the
                    // queue for the rest of it.
                    tracing::debug!(%call_id, "a resumed fetch must wait longer; queued again");
                    self.resume(&fetch, attempts, at).await?;
                    return Ok(Outcome::Paused);
                }
                if let Some(at) = not_before {
                    sleep_until(at).await;
                }
                self.fetch(&fetch, now, deadline.0 - self.margin).await
            }
            Work::Job(job) => {
                self.store().take_job(&job).await?;
                self.run_job(job, now, deadline).await
            }
        }
    }

    /// Queues `fetch` again, to go on no earlier than `not_before`, delayed on its queue until
    /// then (as long as the queue can delay it).
    async fn resume(&self, fetch: &Fetch<'_>, attempts: u32, not_before: OffsetDateTime) -> Result<(), AppError> {
        let delay = std::time::Duration::try_from(not_before - OffsetDateTime::now_utc()).unwrap_or_default();
        self.dispatch.later(fetch.again(attempts, Some(not_before)), delay.min(MAX_DELAY)).await
    }

    /// Runs one job (queued, or the schedule's).
    async fn run_job(&self, job: Job, now: OffsetDateTime, deadline: Deadline) -> Result<Outcome, AppError> {
        match job {
            Job::Keep { reauthorize } => self.keep_subscription(reauthorize, now).await,
            Job::Backfill { from, to, next_link } => self.backfill(from, to, next_link, now, deadline).await,
            Job::Reconcile => {
                let (from, to) = Job::reconciliation_window(now);
                self.backfill(from, to, None, now, deadline).await
            }
            Job::PhonePoll => {
                let mut stored = 0;
                for log in PhoneLog::ALL {
                    match self.poll_phone(log, now, deadline).await? {
                        Polled::Done(rows) => stored += rows,
                        Polled::HandedOver(rows) => {
                            // The rest goes on in a run of its own (the other log with it:
                            // its watermark makes reading it again cost nothing).
                            stored += rows;
                            break;
                        }
                    }
                }
                Ok(Outcome::JobDone { queued: stored })
            }
        }
    }

    /// Fetches (the rest of) the record until it is whole or `stop_at`, then stores it through
    /// ingest.
    async fn fetch(
        &self,
        fetch: &Fetch<'_>,
        now: OffsetDateTime,
        stop_at: OffsetDateTime,
    ) -> Result<Outcome, AppError> {
        let call_id = fetch.call_id;
        let mut progress = self.store().fetch_progress(call_id, now).await?.unwrap_or_default();
        let body = match self.fetch_pages(fetch, &mut progress, now, stop_at).await? {
            Fetched::Whole(body) => body,
            Fetched::Over(outcome) => return Ok(outcome),
        };
        // Ingesting a record takes about 8 times its JSON in memory (BENCHMARKS.md, a
        // 25,000-session meeting): the invocation's fetches ingest one large record at a time.
        let weight = (body.len().saturating_mul(INGEST_MEMORY_FACTOR) >> 20).clamp(1, INGEST_MEMORY_MIB as usize);
        let _memory = INGEST_MEMORY.acquire_many(weight as u32).await.expect("the semaphore is never closed");
        let failure = match ingest_calls(self.store(), &body, now, &self.home_tenant).await {
            Ok(accepted) => {
                tracing::debug!(%call_id, requests = progress.state.requests, "fetched and stored a call record");
                self.store().drop_pages(call_id).await?;
                if fetch.retried {
                    self.store().forget_dead_letter(call_id).await?;
                }
                return Ok(Outcome::Stored(accepted));
            }
            Err(AppError::Rejected(rejection)) => format!("refused by ingest: {}", rejection.redacted()),
            Err(other) => return Err(other),
        };
        self.dead_letter(fetch, failure, now).await
    }

    /// Asks Graph for the record's pages while its limits and `stop_at` allow: the record
    /// whole, or what the run came to (its pages kept and the fetch queued to go on, gone,
    /// requeued, dead-lettered).
    async fn fetch_pages(
        &self,
        fetch: &Fetch<'_>,
        progress: &mut Progress,
        now: OffsetDateTime,
        stop_at: OffsetDateTime,
    ) -> Result<Fetched, AppError> {
        let call_id = fetch.call_id;
        let mut fresh: Vec<Chunk> = Vec::new();
        while let Some(request) = progress.state.next_request() {
            let kind = request.kind();
            if let Some(slot) = progress.state.pacer.next_slot(kind, &self.pacing) {
                if slot > stop_at.min(OffsetDateTime::now_utc() + MAX_INLINE_WAIT) {
                    let pause = Pause { not_before: slot, attempts: fetch.attempts };
                    return self.pause(fetch, progress, fresh, pause, now).await.map(Fetched::Over);
                }
                sleep_until(slot).await;
            }
            if let Some(retry_at) = self.take_budget(fetch.lane, stop_at).await? {
                let pause = Pause { not_before: retry_at, attempts: fetch.attempts };
                return self.pause(fetch, progress, fresh, pause, now).await.map(Fetched::Over);
            }
            let error = match self.graph.record_page(call_id, request, stop_at).await {
                Ok(answer) => {
                    progress.state.pacer.record(kind, OffsetDateTime::now_utc(), &self.pacing);
                    match progress.state.take(answer) {
                        Ok(items) => {
                            fresh.extend(Chunk::deflate(items)?);
                            continue;
                        }
                        Err(error) if error.restarts() => match progress.state.restart() {
                            Ok(()) => {
                                tracing::debug!(%call_id, %error, "record revised while fetched; starting over");
                                progress.chunks.clear();
                                fresh.clear();
                                continue;
                            }
                            Err(error) => error.to_string(),
                        },
                        Err(error) => error.to_string(),
                    }
                }
                Err(GraphError::NotFound) => {
                    tracing::info!("call record not found at Graph (older than 30 days?); dropped");
                    self.store().drop_pages(call_id).await?;
                    return Ok(Fetched::Over(Outcome::Gone));
                }
                Err(GraphError::WouldWait(wait)) => {
                    // Graph asked for a wait (or the deadline came): the fetch goes back on its
                    // queue for as long as Graph asked. Throttling is not a failed attempt.
                    let pause = Pause { not_before: OffsetDateTime::now_utc() + wait, attempts: fetch.attempts };
                    return self.pause(fetch, progress, fresh, pause, now).await.map(Fetched::Over);
                }
                Err(error) if error.is_transient() && fetch.attempts + 1 < MAX_FETCH_ATTEMPTS => {
                    tracing::warn!(attempt = fetch.attempts + 1, error = %error, "fetch failed; queued again");
                    if !self.keep(fetch, progress, fresh, now).await? {
                        return Ok(Fetched::Over(Outcome::Superseded));
                    }
                    let delay = (self.retry_base * 2u32.saturating_pow(fetch.attempts)).min(MAX_DELAY);
                    self.dispatch.later(fetch.again(fetch.attempts + 1, None), delay).await?;
                    return Ok(Fetched::Over(Outcome::Requeued));
                }
                Err(error) => error.to_string(),
            };
            return self.dead_letter(fetch, error, now).await.map(Fetched::Over);
        }
        let Some(mut body) = progress.state.body() else {
            return Err(AppError::Store(crate::store::StoreError::KeptPages(
                "a finished fetch without a record".into(),
            )));
        };
        for chunk in self.store().kept_chunks(call_id, progress).await?.iter().chain(&fresh) {
            body.push(chunk.part, &chunk.inflate()?).map_err(|e| crate::store::StoreError::KeptPages(e.to_string()))?;
        }
        Ok(Fetched::Whole(body.finish()))
    }

    /// Keeps what this run fetched and queues the fetch to go on from there.
    async fn pause(
        &self,
        fetch: &Fetch<'_>,
        progress: &mut Progress,
        fresh: Vec<Chunk>,
        pause: Pause,
        now: OffsetDateTime,
    ) -> Result<Outcome, AppError> {
        if !self.keep(fetch, progress, fresh, now).await? {
            return Ok(Outcome::Superseded);
        }
        let (sessions, participants) = progress.state.counts();
        let call_id = fetch.call_id;
        tracing::debug!(%call_id, sessions, participants, requests = progress.state.requests, "fetch paused");
        self.resume(fetch, pause.attempts, pause.not_before).await?;
        Ok(Outcome::Paused)
    }

    /// Keeps `fresh` and the progress; `false` if another run of the same record saved first.
    async fn keep(
        &self,
        fetch: &Fetch<'_>,
        progress: &mut Progress,
        fresh: Vec<Chunk>,
        now: OffsetDateTime,
    ) -> Result<bool, AppError> {
        if progress.state.requests == 0 && progress.saves == 0 {
            return Ok(true); // nothing fetched yet: nothing to keep
        }
        let end = progress.state.end().and_then(|end| OffsetDateTime::parse(end, &Rfc3339).ok());
        let expires_at =
            end.map_or(now + QUEUE_ITEM_LIFETIME, |end| (end + retention::HISTORY).min(now + QUEUE_ITEM_LIFETIME));
        let kept =
            self.store().keep_pages(fetch.call_id, fetch.run, progress, fresh, expires_at.unix_timestamp()).await?;
        if !kept {
            tracing::info!("another run of the same fetch saved first; this one stops");
        }
        Ok(kept)
    }

    /// Sets the record aside with `reason` (and drops what its fetch kept).
    async fn dead_letter(&self, fetch: &Fetch<'_>, reason: String, now: OffsetDateTime) -> Result<Outcome, AppError> {
        let (call_id, attempts) = (fetch.call_id, fetch.attempts + 1);
        // The reason names no value or id of the record (`Rejection::redacted`, `GraphError`):
        // it is logged and kept for the admins, who find the call's id beside it.
        // The message is what the template's GraphDeadLetters metric filter matches, exactly.
        tracing::error!(attempts, reason = %reason, listed = "GET /graph/dead-letters", "fetch dead-lettered");
        tracing::debug!(%call_id, "fetch dead-lettered");
        self.store().dead_letter(call_id, reason, attempts, now).await?;
        self.store().drop_pages(call_id).await?;
        Ok(Outcome::DeadLettered)
    }

    async fn keep_subscription(&self, reauthorize: bool, now: OffsetDateTime) -> Result<Outcome, AppError> {
        let active = self.graph.our_subscription().await?;
        let last_live = self.store().subscription_state(now).await?.map(|s| s.last_live);
        let (live, backfill) = match plan(now, active.as_ref(), last_live, reauthorize) {
            SubscriptionPlan::Keep => (active.expect("Keep is planned only for a live subscription"), None),
            SubscriptionPlan::Renew { id, expires_at } => match self.graph.renew_subscription(&id, expires_at).await {
                Ok(renewed) => (renewed, None),
                Err(GraphError::NotFound) => {
                    let from = last_live.unwrap_or(now) - subscription::LISTING_OVERLAP;
                    let backfill = Job::backfill(from, now, now);
                    (self.graph.create_subscription(expires_at).await?, Some(backfill))
                }
                Err(other) => return Err(other.into()),
            },
            SubscriptionPlan::Create { expires_at, backfill } => {
                (self.graph.create_subscription(expires_at).await?, Some(backfill))
            }
        };
        tracing::info!(expires_at = %live.expires_at, backfill = backfill.is_some(), "subscription kept");
        // The gap's backfill first: once the state is saved, a retry of this run finds the new
        // subscription live and plans no backfill.
        let mut queued = 0;
        if let Some(job) = backfill {
            queued += usize::from(self.dispatch.job(job, now).await?);
        }
        self.store().save_subscription_state(&live.id, live.expires_at, now).await?;
        // Every keeper run (hourly) also reconciles, unless a `missed` event did this hour.
        queued += usize::from(self.dispatch.job(Job::Reconcile, now).await?);
        Ok(Outcome::JobDone { queued })
    }

    /// Lists `[from, to)` (from `link`, where an earlier run stopped) and queues every record
    /// not stored at the version listed, while the backfill queue is below its bound and the
    /// run within its budget; the rest is handed over as a job of its own.
    async fn backfill(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        mut link: Option<String>,
        now: OffsetDateTime,
        deadline: Deadline,
    ) -> Result<Outcome, AppError> {
        let started = std::time::Instant::now();
        let mut queued = 0;
        loop {
            let depth = self.dispatch.queue.depth(Lane::Backfill).await?;
            if depth >= self.backfill_bound.depth {
                tracing::info!(depth, "backfill queue full; the listing goes on later");
                self.dispatch
                    .later(Work::Job(Job::Backfill { from, to, next_link: link }), self.backfill_bound.wait)
                    .await?;
                break;
            }
            if let Some(retry_at) =
                self.take_budget(Lane::Backfill, OffsetDateTime::now_utc() + BUDGET_HAND_OVER).await?
            {
                let wait = std::time::Duration::try_from(retry_at - OffsetDateTime::now_utc()).unwrap_or_default();
                self.dispatch.later(Work::Job(Job::Backfill { from, to, next_link: link }), wait).await?;
                break;
            }
            let (listed, next) = self.graph.list_records(from, to, link.as_deref()).await?;
            let (ids, dropped) = listed_record_keys(listed.iter().map(|l| l.id.clone()).collect());
            if dropped > 0 {
                tracing::warn!(dropped, "listed ids that are not call records dropped");
            }
            // Only what is not stored at the version listed: a listing overlaps what the
            // notifications brought (and a reconciliation, the last 42 hours) by design.
            let stored = self.store().stored_versions(&ids, now).await?;
            let newer = |id: &String| {
                let listed = listed.iter().filter(|l| &l.id == id);
                stored.get(id).is_none_or(|at| listed.into_iter().any(|l| l.version.is_none_or(|v| v > *at)))
            };
            let ids: Vec<String> = ids.into_iter().filter(newer).collect();
            queued += self.dispatch.fetches(&ids, Lane::Backfill, now).await?;
            match next {
                None => break,
                // A listing page may take a request's timeout and its retries: one more only
                // while the run has its budget and twice its margin before the deadline.
                Some(next) if started.elapsed() >= self.backfill_budget || deadline.is_within(self.margin * 2) => {
                    let rest = Job::Backfill { from, to, next_link: Some(next) };
                    self.dispatch.later(Work::Job(rest), std::time::Duration::ZERO).await?;
                    break;
                }
                Some(next) => link = Some(next),
            }
        }
        tracing::info!(queued, "backfill listed");
        Ok(Outcome::JobDone { queued })
    }
}

/// What one poll of a phone-call log came to.
enum Polled {
    /// Read up to its window's end (or nothing to read, or another worker reads it); rows stored.
    Done(usize),
    /// Cut off (deadline, throttling, the budget): where it stopped is saved and a poll is queued
    /// to go on from there; rows stored so far.
    HandedOver(usize),
}

impl Worker {
    /// Reads `log`'s window ([`phone_poll::plan`]) page by page through the fleet's budget,
    /// handing each page to ingest, saving where it stopped after each page, and advancing the
    /// watermark once the window is read whole. Cut off by the deadline, Graph's throttling or
    /// the budget, it queues a poll that resumes where it stopped.
    async fn poll_phone(&self, log: PhoneLog, now: OffsetDateTime, deadline: Deadline) -> Result<Polled, AppError> {
        let state = self.store().phone_watermark(log, now).await?;
        let through = state.as_ref().and_then(|s| s.through);
        let mut version = state.as_ref().map_or(0, |s| s.version);
        let Some(mut reading) = phone_poll::plan(through, state.as_ref().and_then(|s| s.reading.as_ref()), now) else {
            return Ok(Polled::Done(0));
        };
        let stop_at = deadline.0 - self.margin;
        let mut stored = 0;
        loop {
            let wait = if deadline.is_within(self.margin * 2) {
                Some(std::time::Duration::ZERO)
            } else if let Some(retry_at) = self.take_budget(Lane::Backfill, stop_at).await? {
                Some(std::time::Duration::try_from(retry_at - OffsetDateTime::now_utc()).unwrap_or_default())
            } else {
                match self.graph.phone_page(log, reading.from, reading.to, reading.next_link.as_deref(), stop_at).await
                {
                    Ok(page) => {
                        let mut next = page["@odata.nextLink"].as_str().map(str::to_owned);
                        if next.is_some() && next == reading.next_link {
                            // A page linking to itself would be read for ever: the window ends here.
                            tracing::warn!(
                                function = log.function(),
                                "a phone-call page links to itself; the window ends"
                            );
                            next = None;
                        }
                        stored += self.store_phone_page(log, page, now).await?;
                        reading.next_link = next;
                        let done = reading.next_link.is_none();
                        let (through, kept) =
                            if done { (Some(reading.to), None) } else { (through, Some(reading.clone())) };
                        version += 1;
                        if !self.store().save_phone_watermark(log, through, kept, version, now).await? {
                            tracing::info!(function = log.function(), "another worker polls this log; this one stops");
                            return Ok(Polled::Done(stored));
                        }
                        if done {
                            tracing::info!(function = log.function(), stored, "phone-call log read");
                            return Ok(Polled::Done(stored));
                        }
                        None
                    }
                    Err(GraphError::WouldWait(wait)) => Some(wait),
                    Err(other) => return Err(other.into()),
                }
            };
            if let Some(wait) = wait {
                // Where it stopped is saved (after each page); a poll goes on from there.
                tracing::info!(function = log.function(), stored, "phone-call poll handed over");
                self.dispatch.later(Work::Job(Job::PhonePoll), wait.min(MAX_DELAY)).await?;
                return Ok(Polled::HandedOver(stored));
            }
        }
    }

    /// Stores one page of a phone-call log through ingest: the rows ingest refuses (e.g. a row
    /// that ended more than 30 days ago, at an overlapping window's old edge) are left out by
    /// their problems' indexes and the rest stored; a refused row is counted and logged without
    /// its content, and never stops the poll. How many rows were stored.
    async fn store_phone_page(
        &self,
        log: PhoneLog,
        mut page: serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<usize, AppError> {
        let mut refused = 0;
        // Each round leaves out at least one row (or ends), so the rounds are bounded by the
        // page's rows: a check that only runs once the others pass (a Teams call's id, an item's
        // size) can refuse a further row in a later round.
        loop {
            let body = page.to_string().into_bytes();
            match ingest_phone_rows(self.store(), &body, now, &self.home_tenant).await {
                Ok(accepted) => {
                    if refused > 0 {
                        tracing::warn!(
                            function = log.function(),
                            refused,
                            "phone-call rows refused by ingest; left out"
                        );
                    }
                    return Ok(accepted.len());
                }
                Err(AppError::Rejected(rejection)) => {
                    let indexes: std::collections::BTreeSet<usize> =
                        rejection.problems.iter().filter_map(|p| p.index).collect();
                    let rows = page["value"].as_array_mut();
                    match rows {
                        Some(rows)
                            if !indexes.is_empty()
                                && indexes.iter().all(|&i| i < rows.len())
                                && rejection.problems.iter().all(|p| p.index.is_some()) =>
                        {
                            refused += indexes.len();
                            let mut index = 0;
                            rows.retain(|_| {
                                index += 1;
                                !indexes.contains(&(index - 1))
                            });
                        }
                        _ => {
                            let refused = refused + page["value"].as_array().map_or(0, Vec::len).max(1);
                            let reason = rejection.redacted();
                            tracing::warn!(function = log.function(), refused, %reason, "a phone-call page refused by ingest; left out");
                            return Ok(0);
                        }
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }
}

impl Worker {
    /// Takes one Graph request of `lane` from the fleet's budget, waiting for the next window
    /// up to [`BUDGET_WAITS`] times (never past `stop_at`); `Some(when to try again)` if the
    /// budget stays spent, and the work should go back on its queue until then.
    async fn take_budget(&self, lane: Lane, stop_at: OffsetDateTime) -> Result<Option<OffsetDateTime>, AppError> {
        for _ in 0..BUDGET_WAITS {
            match self.store().take_graph_request(lane, &self.budget, OffsetDateTime::now_utc()).await? {
                Grant::Granted => return Ok(None),
                Grant::RetryAt(at) if at <= stop_at => sleep_until(at).await,
                Grant::RetryAt(at) => return Ok(Some(at)),
            }
        }
        tracing::debug!(?lane, "the fleet's Graph budget stays spent; the work goes back on its queue");
        Ok(Some(OffsetDateTime::now_utc() + BUDGET_BACK_OFF))
    }
}

/// How long work waits on its queue when the fleet's budget stayed spent: long enough for the
/// fleet's backlog of the moment to clear.
const BUDGET_BACK_OFF: time::Duration = time::Duration::seconds(10);
/// How long a listing waits for the budget before it hands itself over.
const BUDGET_HAND_OVER: time::Duration = time::Duration::seconds(10);

impl Fetch<'_> {
    /// This fetch sent back on its queue under the same queuing, after `attempts` failed
    /// attempts, to go on no earlier than `not_before`.
    fn again(&self, attempts: u32, not_before: Option<OffsetDateTime>) -> Work {
        Work::Fetch {
            call_id: self.call_id.to_owned(),
            attempts,
            nonce: self.run.to_owned(),
            not_before,
            lane: self.lane,
            retried: self.retried,
        }
    }
}

/// One queued fetch, as a run of it knows it.
struct Fetch<'a> {
    call_id: &'a str,
    /// Failed attempts before this run.
    attempts: u32,
    /// This queuing's nonce: the kept chunks of this run are named by it.
    run: &'a str,
    /// The queue it came on, and goes back on.
    lane: Lane,
    /// An admin's retry of a dead letter: storing the record removes it.
    retried: bool,
}

/// Why and until when a fetch pauses.
struct Pause {
    /// When it may go on.
    not_before: OffsetDateTime,
    /// Failed attempts so far.
    attempts: u32,
}
