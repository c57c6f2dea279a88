//! The Graph fleet's shared budget against a real table: however many workers ask at once, a
//! window grants exactly its cap, live work still has room once backfill is refused, the next
//! window grants again, and every window's count expires (decision 71).

use callscope_core::domain::connector::{FleetBudget, Grant, Lane};
use callscope_core::store::DynamoStore;
use callscope_core::store::keys::{BUDGET_SK, EXPIRES_AT, budget_pk};
use callscope_tests::{all_items, as_function, fresh_store, stored_item, stress_size};
use serde::Deserialize;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// A window's count as stored.
#[derive(Debug, Deserialize)]
struct Count {
    requests: u32,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
}

/// The count of the window starting at `start`, read back.
async fn count(store: &DynamoStore, start: OffsetDateTime) -> Count {
    stored_item(store.table(), &budget_pk(start), BUDGET_SK).await.expect("the window was counted")
}

/// The Graph worker's store on a fresh table: every request checked against its role.
async fn worker_store() -> DynamoStore {
    as_function(&fresh_store().await, "graph-worker")
}

#[tokio::test]
async fn concurrent_takes_in_one_window_grant_exactly_the_cap() {
    let store = worker_store().await;
    let budget = FleetBudget::GRAPH;
    let start = datetime!(2026-12-04 12:00:00 UTC);
    let asks = stress_size(2_000, 300);
    let takes = (0..asks).map(|n| {
        let lane = if n % 3 == 0 { Lane::Backfill } else { Lane::Live };
        let at = start + Duration::milliseconds((n % 2_000) as i64);
        let store = store.clone();
        async move { store.take_graph_request(lane, &budget, at).await.unwrap() }
    });
    let grants = futures::future::join_all(takes).await;
    let granted = grants.iter().filter(|grant| **grant == Grant::Granted).count();
    assert_eq!(granted, budget.live as usize, "{asks} asked at once");
    let next = start + budget.window;
    assert!(grants.iter().all(|grant| matches!(grant, Grant::Granted) || *grant == Grant::RetryAt(next)));
    assert_eq!(count(&store, start).await.requests, budget.live, "a refusal is not counted");
}

#[tokio::test]
async fn live_is_granted_after_backfill_is_refused_and_a_new_window_grants_again() {
    let store = worker_store().await;
    let budget = FleetBudget { window: Duration::seconds(20), live: 3, backfill: 2 };
    let start = datetime!(2026-12-04 12:00:00 UTC);
    let next = start + budget.window;
    let take = |lane, at| store.take_graph_request(lane, &budget, at);
    assert_eq!(take(Lane::Backfill, start).await.unwrap(), Grant::Granted);
    assert_eq!(take(Lane::Backfill, start + Duration::seconds(5)).await.unwrap(), Grant::Granted);
    assert_eq!(take(Lane::Backfill, start + Duration::seconds(6)).await.unwrap(), Grant::RetryAt(next));
    assert_eq!(take(Lane::Live, start + Duration::seconds(7)).await.unwrap(), Grant::Granted, "live's own room");
    let last = next - Duration::milliseconds(1);
    assert_eq!(take(Lane::Live, last).await.unwrap(), Grant::RetryAt(next), "the window is full");
    assert_eq!(take(Lane::Backfill, last).await.unwrap(), Grant::RetryAt(next));
    assert_eq!(take(Lane::Backfill, next).await.unwrap(), Grant::Granted, "a new window grants again");
    assert_eq!(take(Lane::Live, next).await.unwrap(), Grant::Granted);
    assert_eq!(count(&store, start).await.requests, 3);
    assert_eq!(count(&store, next).await.requests, 2);
}

#[tokio::test]
async fn every_window_is_one_item_that_expires_minutes_after_it_ends() {
    let store = worker_store().await;
    let budget = FleetBudget::GRAPH;
    let start = datetime!(2026-12-04 12:00:00 UTC);
    for n in 0..5 {
        let at = start + Duration::milliseconds(n * 900);
        assert_eq!(store.take_graph_request(Lane::Live, &budget, at).await.unwrap(), Grant::Granted);
    }
    let items = all_items(store.table()).await;
    assert_eq!(items.len(), 2, "the windows of 12:00:00 and 12:00:02");
    assert!(items.iter().all(|item| item.contains_key(EXPIRES_AT)), "every item has the TTL attribute");
    for (window, requests) in [(0, 3), (2, 2)] {
        let window = start + Duration::seconds(window);
        let stored = count(&store, window).await;
        assert_eq!(stored.requests, requests);
        let ends = window + budget.window;
        assert_eq!(stored.expires_at, (ends + Duration::minutes(5)).unix_timestamp());
    }
}
