//! The Graph worker's work queues, against moto's SQS and the stand-in Graph, driven as the
//! SQS event source mapping drives them (`tests/connector.rs`): a throttle waited out on the
//! queue, not in a function; a message that keeps failing set aside with its body, and redriven;
//! an invocation at its deadline taking nothing, putting it back at once, and losing nothing; a backfill that neither
//! delays live work nor lists far ahead of the fleet.

use callscope_core::app::connector::BackfillBound;
use callscope_core::app::connector::Deadline;
use callscope_core::domain::connector::{Job, Lane, Work};
use callscope_core::support::fixtures;
use callscope_dev::graph_standin::Behaviour;
use callscope_dev::queues::MAX_RECEIVE_COUNT;
use callscope_tests::connector::Connector;
use callscope_tests::*;
use ingest::worker::{Invocation, handle};
use std::time::{Duration, Instant};

/// A call record id as Graph gives them (a GUID).
fn id(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-00000000c0de")
}

fn record(n: u32) -> serde_json::Value {
    fixtures::call_json(&id(n), 1, 2, 1, ANCHOR - time::Duration::hours(3))
}

async fn stored(connector: &Connector, ns: &[u32]) -> usize {
    let ids: Vec<String> = ns.iter().map(|n| id(*n)).collect();
    connector.pipeline.store().stored_versions(&ids, connector.now()).await.unwrap().len()
}

#[tokio::test]
async fn a_throttled_fetch_waits_on_its_queue_for_retry_after_not_in_a_function() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.stand_in.set_behaviour(|b| {
        b.throttle_percent = 100;
        b.retry_after_seconds = 20;
    });
    connector.stand_in.publish(vec![record(1)]).await;
    connector.stand_in.deliveries_done().await;
    let started = Instant::now();
    assert_eq!(connector.run_batch(Lane::Live).await, 1);
    // Far less than Graph's 20 s: the invocation handed the wait to the queue.
    assert!(started.elapsed() < Duration::from_secs(12), "the worker waited {:?}", started.elapsed());
    assert_eq!(connector.failures, 0, "a throttle is not a failure");
    assert_eq!(connector.live.delayed().await.unwrap(), 1, "back on the live queue, delayed");
    assert_eq!(stored(&connector, &[1]).await, 0);
    connector.stand_in.set_behaviour(|b| b.throttle_percent = 0);
    connector.drain().await;
    assert_eq!(stored(&connector, &[1]).await, 1);
    assert!(started.elapsed() >= Duration::from_secs(19), "fetched again only after Retry-After");
}

#[tokio::test]
async fn a_fetch_throttled_every_time_is_never_set_aside_and_is_stored_once_graph_lets_it() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    // Every request answered 429 with `Retry-After: 0`: each run retries in place, then hands
    // the wait to the queue — far more runs than a failure would get before its dead letter.
    connector.stand_in.set_behaviour(|b| {
        b.throttle_percent = 100;
        b.retry_after_seconds = 0;
    });
    connector.stand_in.publish(vec![record(6)]).await;
    connector.stand_in.deliveries_done().await;
    let mut runs = 0;
    while runs < 2 * callscope_core::app::connector::MAX_FETCH_ATTEMPTS {
        runs += connector.run_batch(Lane::Live).await as u32;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(connector.failures, 0);
    assert!(connector.pipeline.store().dead_letter_of(&id(6)).await.unwrap().is_none(), "not set aside");
    connector.stand_in.set_behaviour(|b| b.throttle_percent = 0);
    connector.drain().await;
    assert_eq!(stored(&connector, &[6]).await, 1);
}

#[tokio::test]
async fn a_message_that_keeps_failing_waits_in_its_dead_letter_queue_with_its_body_and_is_redriven() {
    let mut connector = Connector::subscribed(Behaviour::default()).await;
    connector.stand_in.publish(vec![record(2)]).await;
    connector.stand_in.deliveries_done().await;
    // The worker's storage refuses every write: each delivery of the message fails.
    let healthy = connector.worker.dispatch.store.clone();
    connector.worker.dispatch.store = as_function(&cut_off_store(healthy.table(), 0), "graph-worker");
    connector.drain_counting_failures().await;
    assert_eq!(connector.failures, MAX_RECEIVE_COUNT as usize, "delivered maxReceiveCount times");
    assert_eq!(connector.live.pending().await.unwrap(), 0);

    let queues = callscope_dev::queues::ensure(&sqs_client(), healthy.table(), TEST_VISIBILITY_SECONDS).await.unwrap();
    let dead = callscope_dev::queues::Poller::new(sqs_client(), queues.dead_letters(Lane::Live)).await.unwrap();
    let letters = dead.receive(0).await.unwrap();
    assert_eq!(letters.records.len(), 1);
    let work: Work = serde_json::from_str(letters.records[0].body.as_deref().unwrap()).unwrap();
    assert!(matches!(&work, Work::Fetch { call_id, lane: Lane::Live, .. } if *call_id == id(2)), "{work:?}");
    // Redriven (infra/README.md) once storage is back: stored.
    connector.worker.dispatch.queue.send(&[work], Duration::ZERO).await.unwrap();
    dead.settle(&letters, &[]).await.unwrap();
    connector.worker.dispatch.store = healthy;
    connector.failures = 0;
    connector.drain().await;
    assert_eq!(stored(&connector, &[2]).await, 1);
}

#[tokio::test]
async fn an_invocation_at_its_deadline_takes_nothing_and_loses_nothing() {
    let connector = Connector::subscribed(Behaviour::default()).await;
    connector.stand_in.publish(vec![record(3), record(4), record(5)]).await;
    connector.stand_in.deliveries_done().await;
    let batch = connector.live.receive(0).await.unwrap();
    assert_eq!(batch.records.len(), 3);
    let requests = connector.api_requests();
    // Less than the worker's margin left: it takes none of the batch.
    let late = Deadline::after(connector.worker.margin / 2);
    let response = handle(&connector.worker, &connector.clock(), Invocation::Queue(batch.clone()), late).await.unwrap();
    assert_eq!(response.batch_item_failures.len(), 3, "each reported, to come back");
    assert_eq!(connector.api_requests(), requests, "nothing asked of Graph");
    let failed: Vec<String> = response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    connector.live.settle(&batch, &failed).await.unwrap();
    // Put back at once, as they were: the next invocation takes them, without waiting out the
    // visibility timeout.
    let again = connector.live.receive(0).await.unwrap();
    assert_eq!(again.records.len(), 3, "visible again at once");
    assert_eq!(
        again.records.iter().map(|m| &m.body).collect::<Vec<_>>(),
        batch.records.iter().map(|m| &m.body).collect::<Vec<_>>()
    );
    let response = handle(
        &connector.worker,
        &connector.clock(),
        Invocation::Queue(again.clone()),
        Deadline::after(connector.invocation),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
    connector.live.settle(&again, &[]).await.unwrap();
    assert_eq!(stored(&connector, &[3, 4, 5]).await, 3);
}

#[tokio::test]
async fn a_backfill_neither_delays_live_work_nor_lists_far_ahead_of_the_fleet() {
    let behaviour = Behaviour { list_page: 10, ..Behaviour::default() };
    let mut connector = Connector::subscribed(behaviour).await;
    connector.worker.backfill_bound = BackfillBound { depth: 10, wait: Duration::from_secs(1) };
    let listed: Vec<u32> = (10..40).collect();
    connector.stand_in.publish_silently(listed.iter().map(|n| record(*n)).collect());
    let dispatch = connector.worker.dispatch.clone();
    let job = Job::backfill(ANCHOR - time::Duration::days(2), ANCHOR, connector.now());
    assert!(dispatch.job(job, connector.now()).await.unwrap());
    // The backfill lists one page (10 fetches) and, its queue at the bound, hands the rest over.
    assert_eq!(connector.run_batch(Lane::Backfill).await, 1);
    assert_eq!(connector.backfill.pending().await.unwrap(), 11, "10 fetches and the listing's rest");
    // A live notification meanwhile is fetched at once, whatever waits on the backfill queue.
    connector.stand_in.publish(vec![record(1)]).await;
    connector.stand_in.deliveries_done().await;
    assert_eq!(connector.run_batch(Lane::Live).await, 1);
    assert_eq!(stored(&connector, &[1]).await, 1);
    assert_eq!(stored(&connector, &listed).await, 0, "the backfill's fetches still wait");
    connector.drain().await;
    assert_eq!(stored(&connector, &listed).await, listed.len(), "the backfill went on where it stopped");
}
