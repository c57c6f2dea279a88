//! The Graph connector's use cases: take Graph's notifications (queue the ids, answer fast),
//! take its lifecycle events (queue jobs), start a backfill for an admin, and — in the Graph
//! worker — run one piece of queued work: fetch a record whole and store it through exactly
//! the path of `POST /calls`, keep the subscription, or list a window for a backfill.

use super::AppError;
use super::ingest::{Accepted, ingest_calls};
use crate::domain::access::{AuditAction, AuditEvent, Principal, Role};
use crate::domain::connector::{
    Dropped, Job, LifecycleEvent, SubscriptionPlan, parse_lifecycle, parse_notifications, plan, subscription,
};
use crate::domain::problem::Problem;
use crate::msgraph::{GraphClient, GraphError};
use crate::store::DynamoStore;
use crate::store::connector::Work;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Attempts at fetching one record (each itself retrying throttled requests) before it is
/// set aside as a dead letter.
pub const MAX_FETCH_ATTEMPTS: u32 = 5;

/// What `POST /graph/notifications` did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationReport {
    /// Call record ids queued for a fetch (ids already pending are not queued twice).
    pub queued: usize,
    /// Notifications dropped, by reason.
    pub dropped: BTreeMap<Dropped, usize>,
}

/// Queues a fetch of every call record a delivery names with one of our `client_states`.
pub async fn accept_notifications(
    store: &DynamoStore,
    body: &[u8],
    client_states: &[&str],
    now: OffsetDateTime,
) -> Result<NotificationReport, AppError> {
    let notified = parse_notifications(body, client_states)?;
    let mut dropped = BTreeMap::new();
    for reason in notified.dropped {
        *dropped.entry(reason).or_insert(0) += 1;
    }
    if !dropped.is_empty() {
        tracing::warn!(?dropped, "notifications dropped");
    }
    let queued = store.queue_fetches(&notified.ids, now).await?;
    Ok(NotificationReport { queued, dropped })
}

/// Queues what each lifecycle event asks for; how many jobs were queued.
pub async fn accept_lifecycle(
    store: &DynamoStore,
    body: &[u8],
    client_states: &[&str],
    now: OffsetDateTime,
) -> Result<usize, AppError> {
    let (events, foreign) = parse_lifecycle(body, client_states)?;
    if foreign > 0 {
        tracing::warn!(foreign, "lifecycle notifications without our clientState dropped");
    }
    let mut queued = 0;
    for event in events {
        tracing::info!(event = ?event.event, "lifecycle notification");
        let job = match event.event {
            LifecycleEvent::ReauthorizationRequired => Job::Keep { reauthorize: true },
            LifecycleEvent::SubscriptionRemoved => Job::Keep { reauthorize: false },
            LifecycleEvent::Missed => Job::backfill(now - subscription::MISSED_WINDOW, now, now),
            LifecycleEvent::Other => continue,
        };
        store.queue_job(job, now).await?;
        queued += 1;
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
    store: &DynamoStore,
    principal: &Principal,
    body: &[u8],
    now: OffsetDateTime,
    request_id: &str,
) -> Result<Job, AppError> {
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
    store.queue_job(job.clone(), now).await?;
    Ok(job)
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
    /// It kept failing (or Graph refused it): set aside with its reason.
    DeadLettered,
    /// A newer notification queued the same record again: that one fetches it.
    Superseded,
    /// A job ran; how many fetches it queued.
    JobDone { queued: usize },
}

/// The Graph worker's context, built once per cold start.
#[derive(Debug, Clone)]
pub struct Worker {
    pub store: DynamoStore,
    pub graph: GraphClient,
    pub home_tenant: String,
    /// How long one backfill run lists before it hands the rest over as a new job.
    pub backfill_budget: std::time::Duration,
}

impl Worker {
    /// Runs one piece of queued work. An `Err` means "deliver it again" (storage failed, or a
    /// job could not reach Graph); every other outcome is final.
    pub async fn run(&self, work: Work, now: OffsetDateTime) -> Result<Outcome, AppError> {
        match work {
            Work::Fetch { call_id, attempts, nonce } => {
                if !self.store.take_fetch(&call_id, &nonce, now).await? {
                    return Ok(Outcome::Superseded);
                }
                self.fetch(&call_id, attempts, now).await
            }
            Work::Job(Job::Keep { reauthorize }) => self.keep(reauthorize, now).await,
            Work::Job(Job::Backfill { from, to, next_link }) => self.backfill(from, to, next_link, now).await,
        }
    }

    async fn fetch(&self, call_id: &str, attempts: u32, now: OffsetDateTime) -> Result<Outcome, AppError> {
        let failure = match self.graph.fetch_record(call_id).await {
            Ok(record) => match ingest_calls(&self.store, &record.body, now, &self.home_tenant).await {
                Ok(accepted) => {
                    tracing::debug!(%call_id, requests = record.requests, "fetched and stored a call record");
                    return Ok(Outcome::Stored(accepted));
                }
                Err(AppError::Rejected(rejection)) => {
                    let first = rejection.problems.first();
                    let at = first.map(|p| p.path.as_str()).unwrap_or_default();
                    format!("refused by ingest: {} ({at})", first.map(|p| p.message.as_str()).unwrap_or_default())
                }
                Err(other) => return Err(other),
            },
            Err(GraphError::NotFound) => {
                tracing::info!(%call_id, "call record not found at Graph (older than 30 days?); dropped");
                return Ok(Outcome::Gone);
            }
            Err(error) if error.is_transient() && attempts + 1 < MAX_FETCH_ATTEMPTS => {
                tracing::warn!(%call_id, attempt = attempts + 1, error = %error, "fetch failed; queued again");
                self.store.requeue_fetch(call_id, attempts + 1, error.to_string(), now).await?;
                return Ok(Outcome::Requeued);
            }
            Err(error) => error.to_string(),
        };
        tracing::error!(%call_id, attempts = attempts + 1, reason = %failure, "fetch dead-lettered");
        self.store.dead_letter(call_id, failure, attempts + 1, now).await?;
        Ok(Outcome::DeadLettered)
    }

    async fn keep(&self, reauthorize: bool, now: OffsetDateTime) -> Result<Outcome, AppError> {
        let active = self.graph.our_subscription().await?;
        let last_live = self.store.subscription_state(now).await?.map(|s| s.last_live);
        let (live, backfill) = match plan(now, active.as_ref(), last_live, reauthorize) {
            SubscriptionPlan::Keep => (active.expect("Keep is planned only for a live subscription"), None),
            SubscriptionPlan::Renew { id, expires_at } => match self.graph.renew_subscription(&id, expires_at).await {
                Ok(renewed) => (renewed, None),
                Err(GraphError::NotFound) => {
                    let backfill = Job::backfill(last_live.unwrap_or(now) - subscription::GAP_OVERLAP, now, now);
                    (self.graph.create_subscription(expires_at).await?, Some(backfill))
                }
                Err(other) => return Err(other.into()),
            },
            SubscriptionPlan::Create { expires_at, backfill } => {
                (self.graph.create_subscription(expires_at).await?, Some(backfill))
            }
        };
        tracing::info!(expires_at = %live.expires_at, backfill = backfill.is_some(), "subscription kept");
        self.store.save_subscription_state(&live.id, live.expires_at, now).await?;
        let queued = usize::from(backfill.is_some());
        if let Some(job) = backfill {
            self.store.queue_job(job, now).await?;
        }
        Ok(Outcome::JobDone { queued })
    }

    async fn backfill(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        mut link: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Outcome, AppError> {
        let started = std::time::Instant::now();
        let mut queued = 0;
        loop {
            let (mut ids, next) = self.graph.list_records(from, to, link.as_deref()).await?;
            ids.sort();
            ids.dedup();
            queued += self.store.queue_fetches(&ids, now).await?;
            match next {
                None => break,
                Some(next) if started.elapsed() >= self.backfill_budget => {
                    self.store.queue_job(Job::Backfill { from, to, next_link: Some(next) }, now).await?;
                    break;
                }
                Some(next) => link = Some(next),
            }
        }
        tracing::info!(queued, "backfill listed");
        Ok(Outcome::JobDone { queued })
    }
}
