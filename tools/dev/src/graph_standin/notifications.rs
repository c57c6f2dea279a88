//! What the stand-in sends: change notifications when records are published (one delivery per
//! 100 records, as Graph batches) and lifecycle events, each delivered in the background and
//! retried on 5xx and failed connections.
//!
//! It delivers to the URLs the subscriptions name and nowhere else, naming the tenant it was
//! configured with (`Behaviour::tenant`) and the subscription, as Graph does.

use super::{StandIn, rfc3339};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Attempts per delivery (Graph keeps trying for hours; the stand-in for about a minute).
const DELIVERY_ATTEMPTS: u32 = 8;

impl StandIn {
    /// Publishes records (each a whole Graph call record; a later version replaces an earlier
    /// one) and notifies every live subscription, one delivery per 100 records, as Graph batches.
    pub async fn publish(self: &Arc<Self>, records: Vec<Value>) {
        let ids: Vec<String> = {
            let mut state = self.state();
            records
                .into_iter()
                .filter_map(|record| {
                    let id = record["id"].as_str()?.to_owned();
                    state.records.insert(id.clone(), Arc::new(record));
                    Some(id)
                })
                .collect()
        };
        let tenant = self.behaviour().tenant;
        for chunk in ids.chunks(100) {
            for sub in self.live_subscriptions() {
                let value: Vec<Value> = chunk
                    .iter()
                    .map(|id| {
                        let resource = format!("communications/callRecords/{id}");
                        json!({
                            "subscriptionId": sub.id, "clientState": sub.client_state, "changeType": "updated",
                            "resource": resource, "tenantId": tenant,
                            "subscriptionExpirationDateTime": rfc3339(sub.expires_at),
                            "resourceData": { "@odata.type": "#microsoft.graph.callrecord",
                                "@odata.id": resource, "id": id },
                        })
                    })
                    .collect();
                self.deliver(sub.notification_url.clone(), json!({ "value": value })).await;
            }
        }
    }

    /// Stores records without notifying anyone (they show up only in listings: a backfill's case).
    pub fn publish_silently(&self, records: Vec<Value>) {
        let mut state = self.state();
        for record in records {
            if let Some(id) = record["id"].as_str() {
                state.records.insert(id.to_owned(), Arc::new(record));
            }
        }
    }

    /// Sends lifecycle event `event` to every live subscription; `subscriptionRemoved` removes
    /// them first, as Graph does.
    pub async fn lifecycle(self: &Arc<Self>, event: &str) {
        let subscriptions = self.live_subscriptions();
        let tenant = self.behaviour().tenant;
        if event == "subscriptionRemoved" {
            self.state().subscriptions.clear();
        }
        for sub in subscriptions {
            let Some(url) = sub.lifecycle_url.clone() else { continue };
            let body = json!({ "value": [{
                "subscriptionId": sub.id, "clientState": sub.client_state, "lifecycleEvent": event,
                "resource": "/communications/callRecords", "tenantId": tenant,
                "subscriptionExpirationDateTime": rfc3339(sub.expires_at),
            }]});
            self.deliver(url, body).await;
        }
    }

    /// Waits until every notification delivery started so far has ended.
    pub async fn deliveries_done(&self) {
        let mut deliveries = self.deliveries.lock().await;
        while deliveries.join_next().await.is_some() {}
    }

    /// Delivers `body` to `url` in the background, retrying 5xx and failed connections with
    /// exponential backoff; a 4xx ends it.
    async fn deliver(self: &Arc<Self>, url: String, body: Value) {
        let stand_in = self.clone();
        self.deliveries.lock().await.spawn(async move {
            for attempt in 0..DELIVERY_ATTEMPTS {
                match stand_in.http.post(&url).json(&body).send().await {
                    Ok(response) if response.status().is_success() => {
                        stand_in.stats.notifications_delivered.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Ok(response) if response.status().is_client_error() => break,
                    _ => {}
                }
                tokio::time::sleep(std::time::Duration::from_millis(250 << attempt.min(6))).await;
            }
            stand_in.stats.delivery_failures.fetch_add(1, Ordering::Relaxed);
        });
    }
}
