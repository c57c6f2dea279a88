//! The Graph connector on a fresh table, for its tests and its benchmark: the stand-in Graph
//! (`callscope_dev::graph_standin`) delivering over HTTP to the webhook handler served
//! in-process, the Graph worker, and its work queues, read as Lambda's SQS event source
//! mapping reads them.

use crate::{ANCHOR, GRAPH_CLIENT_STATE, Pipeline, dispatch, sqs_client};
use callscope_core::app::connector::{BackfillBound, Deadline, Outcome, Worker};
use callscope_core::domain::connector::{FleetBudget, Job, Lane, PerRecordLimits, Work};
use callscope_core::msgraph::{GraphClient, GraphSettings};
use callscope_core::support::clock::Clock;
use callscope_core::support::fixtures::HOME_TENANT;
use callscope_dev::graph_standin::{Behaviour, StandIn};
use callscope_dev::queues::Poller;
use ingest::worker::{Invocation, handle};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, OffsetDateTime};

/// The connector on a fresh table: the stand-in Graph, the webhook handler behind an HTTP
/// listener, the worker and its queues; time can be moved forward.
pub struct Connector {
    pub pipeline: Pipeline,
    pub stand_in: Arc<StandIn>,
    pub worker: Worker,
    /// The live and the backfill queue, as their event source mappings read them.
    pub live: Poller,
    pub backfill: Poller,
    pub webhook_url: String,
    /// Seconds the clock is moved past [`ANCHOR`].
    pub offset: Arc<AtomicI64>,
    /// How long each worker invocation may run (its deadline): the template's timeout.
    pub invocation: std::time::Duration,
    /// Worker invocations so far (batches received from a queue, handed to the handler).
    pub invocations: usize,
    /// Messages the worker reported as failed so far (each delivered again).
    pub failures: usize,
}

impl Connector {
    /// The connector with the stand-in behaving as `behaviour`.
    pub async fn new(behaviour: Behaviour) -> Self {
        let pipeline = Pipeline::new().await;
        let offset = Arc::new(AtomicI64::new(0));
        let clock = moving_clock(offset.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // The worker keeps to the limits the stand-in enforces (Graph's, or scaled down).
        let pacing = behaviour.record_limits.unwrap_or(PerRecordLimits::GRAPH);
        let stand_in = StandIn::start(listener, behaviour, clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let webhook_url = callscope_dev::in_process::serve_webhook(pipeline.webhook.clone(), listener);
        let vars = [
            ("GRAPH_API_URL", stand_in.api_url()),
            ("GRAPH_TOKEN_URL", stand_in.token_url()),
            ("GRAPH_CLIENT_ID", "callscope-tests".to_owned()),
            ("GRAPH_CLIENT_STATE", GRAPH_CLIENT_STATE.to_owned()),
            ("GRAPH_CLIENT_SECRET", "client-secret".to_owned()),
            ("GRAPH_NOTIFICATION_URL", format!("{webhook_url}/graph/notifications")),
        ];
        let lookup = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let settings = GraphSettings::from_lookup(lookup, HOME_TENANT).unwrap();
        let worker = Worker {
            dispatch: dispatch(&crate::as_function(pipeline.store(), "graph-worker")),
            graph: GraphClient::new(settings),
            home_tenant: HOME_TENANT.to_owned(),
            backfill_budget: std::time::Duration::from_secs(60),
            pacing,
            margin: std::time::Duration::from_secs(5),
            // A failed fetch is tried again at once (the deployed worker waits 30 s, doubling).
            retry_base: std::time::Duration::ZERO,
            backfill_bound: BackfillBound::DEPLOYED,
            budget: FleetBudget::GRAPH,
        };
        let urls = worker.dispatch.queue.urls().clone();
        let live = Poller::new(sqs_client(), urls.of(Lane::Live)).await.unwrap();
        let backfill = Poller::new(sqs_client(), urls.of(Lane::Backfill)).await.unwrap();
        let invocation = std::time::Duration::from_secs(300);
        Self {
            pipeline,
            stand_in,
            worker,
            live,
            backfill,
            webhook_url,
            offset,
            invocation,
            invocations: 0,
            failures: 0,
        }
    }

    /// The connector with its subscription made and the first backfill drained: where a test
    /// of what Graph delivers starts.
    pub async fn subscribed(behaviour: Behaviour) -> Self {
        let mut connector = Self::new(behaviour).await;
        connector.keep().await;
        connector.drain().await;
        connector
    }

    /// Publishes `records` on the stand-in and runs the worker until the stream is drained.
    pub async fn publish_and_drain(&mut self, records: Vec<serde_json::Value>) {
        self.stand_in.publish(records).await;
        self.drain().await;
    }

    /// The connector's now.
    pub fn now(&self) -> OffsetDateTime {
        ANCHOR + Duration::seconds(self.offset.load(Ordering::Relaxed))
    }

    /// A clock reading [`Self::now`].
    pub fn clock(&self) -> Clock {
        moving_clock(self.offset.clone())
    }

    /// Runs the worker over both queues until nothing is left on them (waiting out delayed
    /// messages, as the event source mapping would), live first; every message must succeed.
    pub async fn drain(&mut self) {
        self.drain_counting_failures().await;
        assert_eq!(self.failures, 0, "the worker reported failures");
    }

    /// [`Self::drain`], but a message the worker reports as failed comes back after its
    /// visibility timeout (and goes to the dead-letter queue after `maxReceiveCount`); counted
    /// in [`Self::failures`].
    pub async fn drain_counting_failures(&mut self) {
        self.stand_in.deliveries_done().await;
        loop {
            let mut received = 0;
            for lane in [Lane::Live, Lane::Backfill] {
                received += self.run_batch(lane).await;
            }
            if received > 0 {
                continue;
            }
            if self.live.pending().await.unwrap() + self.backfill.pending().await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Receives one batch from `lane`'s queue and runs the worker on it; how many messages.
    pub async fn run_batch(&mut self, lane: Lane) -> usize {
        let poller = match lane {
            Lane::Live => &self.live,
            Lane::Backfill => &self.backfill,
        };
        let batch = poller.receive(0).await.unwrap();
        if batch.records.is_empty() {
            return 0;
        }
        let deadline = Deadline::after(self.invocation);
        self.invocations += 1;
        let response = handle(&self.worker, &self.clock(), Invocation::Queue(batch.clone()), deadline).await.unwrap();
        let failed: Vec<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
        self.failures += failed.len();
        poller.settle(&batch, &failed).await.unwrap();
        batch.records.len()
    }

    /// Loses every message the queues hold now, as a purge (or a message past its retention)
    /// would: the markers stay in the table, pending, and nothing delivers them.
    pub async fn lose_queued(&mut self) {
        let client = sqs_client();
        for url in [&self.worker.dispatch.queue.urls().live, &self.worker.dispatch.queue.urls().backfill] {
            client.purge_queue().queue_url(url).send().await.unwrap();
        }
    }

    /// Runs the subscription keeper once.
    pub async fn keep(&self) -> Outcome {
        let deadline = Deadline::after(self.invocation);
        self.worker.run(Work::Job(Job::Keep { reauthorize: false }), self.now(), deadline).await.unwrap()
    }

    /// The id of the subscription the keeper stored: the one notifications must name.
    pub async fn subscription_id(&self) -> String {
        let state = self.pipeline.store().subscription_state(self.now()).await.unwrap();
        state.expect("a subscription: the keeper ran").subscription_id
    }

    /// Graph API requests the stand-in served so far.
    pub fn api_requests(&self) -> u64 {
        self.stand_in.stats.api_requests.load(Ordering::Relaxed)
    }
}

/// A clock at [`ANCHOR`] plus `offset` seconds.
fn moving_clock(offset: Arc<AtomicI64>) -> Clock {
    Clock::from_fn(move || ANCHOR + Duration::seconds(offset.load(Ordering::Relaxed)))
}
