//! Change and lifecycle notifications as Graph posts them. Only ids arrive (no record data), and
//! only a notification of ours that names a call record is worth a fetch: ours carries our
//! `clientState`, our home tenant's id and our current subscription's id, and names a record by
//! a GUID. Anything else is dropped and counted, never fetched.
//!
//! A delivery is read in two steps, so that what can be refused from the delivery alone costs
//! no storage request: [`parse_notifications`] (or [`parse_lifecycle`]) checks the clientState
//! and the tenant; then, only if anything is left, the caller reads our subscription id and
//! [`Notifications::of_subscription`] (or [`LifecycleEvents::of_subscription`]) checks it.

use crate::domain::problem::{Problem, Rejection};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Most notifications one delivery may carry (Graph batches up to 1,000; more is not Graph).
pub const MAX_NOTIFICATIONS: usize = 1_000;

/// The body of a notification delivery: `{"value": [...]}`.
#[derive(Debug, Deserialize)]
struct Delivery<T> {
    value: Vec<T>,
}

/// One change notification, as much of it as we read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeNotification {
    #[serde(default)]
    client_state: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    resource_data: Option<ResourceData>,
}

#[derive(Debug, Deserialize)]
struct ResourceData {
    #[serde(default)]
    id: Option<String>,
}

/// Why a notification was dropped (counted, logged without its content, never fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Dropped {
    /// Its `clientState` is missing or is not our secret: not from our subscription.
    WrongClientState,
    /// Its `tenantId` is missing or is not our home tenant's.
    ForeignTenant,
    /// Its `subscriptionId` is missing or is not our current subscription's, or no subscription
    /// of ours is stored yet.
    ForeignSubscription,
    /// It does not name a call record (another resource, or no id).
    NotACallRecord,
    /// The call record id it names is not a GUID (`..`, a path, a query, anything else).
    NotAGuid,
}

/// Who a delivery must come from to be ours, as far as the delivery alone tells.
#[derive(Debug, Clone, Copy)]
pub struct Ours<'a> {
    /// Our clientStates: the current one, and the previous one during a rotation.
    pub client_states: &'a [&'a str],
    /// Our home tenant's id (a GUID, compared without regard to case).
    pub tenant: &'a str,
}

impl Ours<'_> {
    /// Why a notification with `client_state` and `tenant` is not ours, if it is not.
    fn refuses(&self, client_state: Option<&str>, tenant: Option<&str>) -> Option<Dropped> {
        if !client_state_matches(client_state, self.client_states) {
            Some(Dropped::WrongClientState)
        } else if !tenant.is_some_and(|t| is_guid(t) && t.eq_ignore_ascii_case(self.tenant)) {
            Some(Dropped::ForeignTenant)
        } else {
            None
        }
    }
}

/// Whether `given` names our current subscription (`current`, as the keeper stored it; `None`
/// when none is stored).
fn is_current(given: Option<&str>, current: Option<&str>) -> bool {
    matches!((given, current), (Some(given), Some(current)) if given.eq_ignore_ascii_case(current))
}

/// What one delivery of change notifications asks of us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notified {
    /// The call record ids to fetch, each once, in the order first named.
    pub ids: Vec<String>,
    /// How many notifications were dropped, and why.
    pub dropped: Vec<Dropped>,
}

/// A change-notification delivery with its clientStates and tenants checked: what is left
/// waits for our subscription id ([`Notifications::of_subscription`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifications {
    /// Each notification left: the subscription it names, and its record id (or why it names none).
    left: Vec<(Option<String>, Result<String, Dropped>)>,
    /// What was dropped already.
    dropped: Vec<Dropped>,
}

impl Notifications {
    /// Whether deciding the rest needs our subscription id (nothing is left otherwise).
    pub fn needs_subscription(&self) -> bool {
        !self.left.is_empty()
    }

    /// What the delivery asks of us, given our current subscription id (`None`: none stored,
    /// and every notification left is dropped as [`Dropped::ForeignSubscription`]; the keeper
    /// queues a backfill as it creates the subscription, and the hourly reconciliation lists
    /// the last hours, so nothing notified in that window is lost).
    pub fn of_subscription(self, current: Option<&str>) -> Notified {
        let mut notified = Notified { ids: Vec::new(), dropped: self.dropped };
        let mut seen = std::collections::HashSet::new();
        for (subscription, record) in self.left {
            match record {
                _ if !is_current(subscription.as_deref(), current) => {
                    notified.dropped.push(Dropped::ForeignSubscription)
                }
                Err(reason) => notified.dropped.push(reason),
                Ok(id) if seen.insert(id.clone()) => notified.ids.push(id),
                Ok(_) => {}
            }
        }
        notified
    }
}

/// Whether `given` is one of our `accepted` clientStates (the current one, and the previous
/// one during a rotation), compared with each in time that does not depend on where they differ.
pub fn client_state_matches(given: Option<&str>, accepted: &[&str]) -> bool {
    given.is_some_and(|given| {
        accepted.iter().fold(false, |matched, secret| matched | bool::from(given.as_bytes().ct_eq(secret.as_bytes())))
    })
}

/// The collection of call records, as a notification's `resource` starts.
const CALL_RECORDS: &str = "communications/callrecords";

/// The call record id a notification names, when its resource is a call record: its
/// `resourceData.id`, else the key in `resource` (`communications/callRecords/{id}`, or OData's
/// `communications/callRecords('{id}')`); it must be a record key.
fn call_record_id(notification: &ChangeNotification) -> Result<String, Dropped> {
    let resource = notification.resource.as_deref().ok_or(Dropped::NotACallRecord)?.trim_start_matches('/');
    let prefix = resource.get(..CALL_RECORDS.len()).ok_or(Dropped::NotACallRecord)?;
    if !prefix.eq_ignore_ascii_case(CALL_RECORDS) {
        return Err(Dropped::NotACallRecord);
    }
    let rest = &resource[CALL_RECORDS.len()..];
    let from_resource = match rest.strip_prefix('/') {
        Some(id) => id,
        None => {
            rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or(Dropped::NotACallRecord)?.trim_matches('\'')
        }
    };
    let id = notification.resource_data.as_ref().and_then(|d| d.id.clone()).unwrap_or_else(|| from_resource.to_owned());
    match id.as_str() {
        "" => Err(Dropped::NotACallRecord),
        id if is_record_key(id) => Ok(id.to_owned()),
        _ => Err(Dropped::NotAGuid),
    }
}

/// Whether `id` is a GUID: 8-4-4-4-12 hexadecimal digits, in any case, and nothing else.
pub fn is_guid(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Whether `id` can name one call record on the Graph path (a notification, a listing, a
/// fetch's URL): Graph's call record ids are GUIDs, so nothing else is taken (`..` would fetch
/// the whole collection; a `/`, `?` or `#` would change the URL). Records posted to
/// `POST /calls` keep the ids callscope accepts there.
pub fn is_record_key(id: &str) -> bool {
    is_guid(id)
}

/// The ids a backfill listing names, as fetches to queue: sorted, each once, only those that
/// are record keys (a listing is Graph's answer, and is checked like a notification); and how
/// many were dropped as not record keys.
pub fn listed_record_keys(mut ids: Vec<String>) -> (Vec<String>, usize) {
    let listed = ids.len();
    ids.retain(|id| is_record_key(id));
    let dropped = listed - ids.len();
    ids.sort();
    ids.dedup();
    (ids, dropped)
}

/// Reads a change-notification delivery and checks each notification's clientState and tenant
/// against `ours`; [`Notifications::of_subscription`] decides the rest. A body that is not a
/// delivery at all is refused, with the path and position of the problem.
pub fn parse_notifications(body: &[u8], ours: Ours<'_>) -> Result<Notifications, Rejection> {
    let delivery: Delivery<ChangeNotification> = read(body)?;
    let mut read = Notifications::default();
    for notification in &delivery.value {
        match ours.refuses(notification.client_state.as_deref(), notification.tenant_id.as_deref()) {
            Some(reason) => read.dropped.push(reason),
            None => read.left.push((notification.subscription_id.clone(), call_record_id(notification))),
        }
    }
    Ok(read)
}

/// What a lifecycle notification asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LifecycleEvent {
    /// Renew (reauthorize) the subscription now, or it stops.
    ReauthorizationRequired,
    /// The subscription is gone: create a new one (and backfill the gap).
    SubscriptionRemoved,
    /// Some notifications were never delivered: backfill.
    Missed,
    /// An event Graph added after this was written: logged, nothing done.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifecycleNotification {
    #[serde(default)]
    client_state: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    lifecycle_event: LifecycleEvent,
}

/// One lifecycle notification that carried our secret and our tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// What it asks for.
    pub event: LifecycleEvent,
    /// The subscription it names.
    pub subscription_id: Option<String>,
}

impl Lifecycle {
    /// Whether it is taken whatever subscription it names: `subscriptionRemoved` only queues a
    /// keep, which asks Graph itself what our subscription is (once per window however often
    /// it is queued), so one naming a subscription the keeper already replaced costs nothing
    /// and one naming ours before it was stored is not lost.
    fn is_taken_from_any_subscription(&self) -> bool {
        self.event == LifecycleEvent::SubscriptionRemoved
    }
}

/// A lifecycle delivery with its clientStates and tenants checked: what is left waits for our
/// subscription id ([`LifecycleEvents::of_subscription`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleEvents {
    left: Vec<Lifecycle>,
    /// What was dropped already.
    dropped: Vec<Dropped>,
}

impl LifecycleEvents {
    /// Whether deciding the rest needs our subscription id.
    pub fn needs_subscription(&self) -> bool {
        self.left.iter().any(|event| !event.is_taken_from_any_subscription())
    }

    /// The events that are ours, given our current subscription id (`None`: none stored), and
    /// every reason one was dropped. `subscriptionRemoved` is taken whatever subscription it
    /// names; the others only from our current one (with none stored, the keeper's creation
    /// and the hourly reconciliation cover what they would have asked for).
    pub fn of_subscription(self, current: Option<&str>) -> (Vec<Lifecycle>, Vec<Dropped>) {
        let mut dropped = self.dropped;
        let (ours, foreign): (Vec<Lifecycle>, Vec<Lifecycle>) = self.left.into_iter().partition(|event| {
            event.is_taken_from_any_subscription() || is_current(event.subscription_id.as_deref(), current)
        });
        dropped.extend(foreign.iter().map(|_| Dropped::ForeignSubscription));
        (ours, dropped)
    }
}

/// Reads a lifecycle delivery and checks each event's clientState and tenant against `ours`;
/// [`LifecycleEvents::of_subscription`] decides the rest.
pub fn parse_lifecycle(body: &[u8], ours: Ours<'_>) -> Result<LifecycleEvents, Rejection> {
    let delivery: Delivery<LifecycleNotification> = read(body)?;
    let mut read = LifecycleEvents::default();
    for n in delivery.value {
        match ours.refuses(n.client_state.as_deref(), n.tenant_id.as_deref()) {
            Some(reason) => read.dropped.push(reason),
            None => read.left.push(Lifecycle { event: n.lifecycle_event, subscription_id: n.subscription_id }),
        }
    }
    Ok(read)
}

/// Reads `body` as a delivery, naming the path (and line and column) of what is wrong.
fn read<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Delivery<T>, Rejection> {
    let delivery: Delivery<T> = crate::domain::problem::read_json(body)?;
    if delivery.value.len() > MAX_NOTIFICATIONS {
        let message = format!("holds {} notifications; at most {MAX_NOTIFICATIONS}", delivery.value.len());
        return Err(Rejection { problems: vec![Problem::invalid("value", message)] });
    }
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "our-client-state";
    const TENANT: &str = "b5c9d8e1-4a2f-4e3b-9c1d-6f7a8b9c0d1e";
    const SUBSCRIPTION: &str = "2f1c1a5e-5b9e-4a4e-9d64-0e7a5f3b8c21";
    const A: &str = "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b";
    const B: &str = "e523d2ed-2966-4b6b-925b-754a88034cc5";

    fn ours() -> Ours<'static> {
        Ours { client_states: &[SECRET], tenant: TENANT }
    }

    fn notification(state: &str, resource: &str, id: Option<&str>) -> serde_json::Value {
        json!({
            "subscriptionId": SUBSCRIPTION, "clientState": state, "changeType": "created",
            "resource": resource, "tenantId": TENANT,
            "resourceData": { "@odata.type": "#microsoft.graph.callrecord", "@odata.id": resource, "id": id },
        })
    }

    fn record(id: &str) -> serde_json::Value {
        notification(SECRET, &format!("communications/callRecords/{id}"), Some(id))
    }

    fn parse(value: serde_json::Value) -> Result<Notified, Rejection> {
        Ok(parse_notifications(value.to_string().as_bytes(), ours())?.of_subscription(Some(SUBSCRIPTION)))
    }

    #[test]
    fn call_records_with_our_state_are_fetched_once_each() {
        let delivery = json!({ "value": [record(A), record(B), record(A)] });
        assert_eq!(parse(delivery).unwrap(), Notified { ids: vec![A.into(), B.into()], dropped: vec![] });
    }

    #[test]
    fn a_guid_in_upper_case_is_a_record_key_and_nothing_else_is() {
        let upper = A.to_ascii_uppercase();
        assert_eq!(parse(json!({ "value": [record(&upper)] })).unwrap().ids, vec![upper.clone()]);
        assert!(is_record_key(&upper) && is_record_key(B));
        let not_guids = [
            "..",
            ".",
            "a",
            "a..b",
            "",
            "{0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b}",
            "0b7e8c5a3f1d4e2c9a8b7c6d5e4f3a2b",
            "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2g",
            "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b/..",
            "0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2b?$top=999",
            " 0b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2",
            "0b7e8c5a_3f1d-4e2c-9a8b-7c6d5e4f3a2b",
            "０b7e8c5a-3f1d-4e2c-9a8b-7c6d5e4f3a2",
        ];
        for id in not_guids {
            assert!(!is_record_key(id), "{id:?}");
        }
    }

    #[test]
    fn a_backfill_listing_queues_guids_once_each_and_drops_the_rest() {
        let listed = [B, "..", A, "a/b", B, "a?$top=999", ".", "a#x", "a\\b", "", "x"].map(String::from).to_vec();
        assert_eq!(listed_record_keys(listed), (vec![A.into(), B.into()], 8));
    }

    #[test]
    fn an_id_that_is_not_a_guid_is_not_fetched() {
        for id in ["..", ".", "a/b", "a?$top=999", "a#x", "a\\b", "c-1", "a..b"] {
            let delivery =
                json!({ "value": [notification(SECRET, &format!("communications/callRecords/{A}"), Some(id))] });
            assert_eq!(parse(delivery).unwrap().dropped, [Dropped::NotAGuid], "{id:?}");
        }
        let from_resource = json!({ "value": [notification(SECRET, "communications/callRecords/..", None)] });
        assert_eq!(parse(from_resource).unwrap().dropped, [Dropped::NotAGuid]);
    }

    #[test]
    fn wrong_or_missing_state_and_other_resources_are_dropped() {
        let mut missing = record(A);
        missing.as_object_mut().unwrap().remove("clientState");
        let delivery = json!({ "value": [
            notification("guess", &format!("communications/callRecords/{A}"), Some(A)),
            notification(&format!("{SECRET}x"), &format!("communications/callRecords/{A}"), Some(A)),
            missing,
            notification(SECRET, "users/u1/messages/m", Some("m")),
            notification(SECRET, "communications/callRecords/", None),
        ]});
        let notified = parse(delivery).unwrap();
        assert!(notified.ids.is_empty());
        use Dropped::*;
        assert_eq!(
            notified.dropped,
            vec![WrongClientState, WrongClientState, WrongClientState, NotACallRecord, NotACallRecord]
        );
    }

    #[test]
    fn another_tenant_is_dropped_and_ours_is_compared_without_case() {
        let mut foreign = record(A);
        foreign["tenantId"] = json!("c0ffee00-4a2f-4e3b-9c1d-6f7a8b9c0d1e");
        let mut missing = record(A);
        missing.as_object_mut().unwrap().remove("tenantId");
        let mut not_a_guid = record(A);
        not_a_guid["tenantId"] = json!("contoso.onmicrosoft.com");
        let mut upper = record(B);
        upper["tenantId"] = json!(TENANT.to_ascii_uppercase());
        let notified = parse(json!({ "value": [foreign, missing, not_a_guid, upper] })).unwrap();
        assert_eq!(notified, Notified { ids: vec![B.into()], dropped: vec![Dropped::ForeignTenant; 3] });
    }

    #[test]
    fn another_subscription_is_dropped_and_nothing_is_ours_before_one_is_stored() {
        let mut foreign = record(A);
        foreign["subscriptionId"] = json!("9d2f4c1e-0000-4000-8000-000000000001");
        let mut missing = record(A);
        missing.as_object_mut().unwrap().remove("subscriptionId");
        let delivery = json!({ "value": [foreign, missing, record(B)] });
        let notified = parse(delivery.clone()).unwrap();
        assert_eq!(notified, Notified { ids: vec![B.into()], dropped: vec![Dropped::ForeignSubscription; 2] });
        let read = parse_notifications(delivery.to_string().as_bytes(), ours()).unwrap();
        assert!(read.needs_subscription());
        assert_eq!(
            read.of_subscription(None),
            Notified { ids: vec![], dropped: vec![Dropped::ForeignSubscription; 3] }
        );
    }

    #[test]
    fn a_delivery_refused_from_itself_needs_no_subscription() {
        let mut foreign = record(A);
        foreign["tenantId"] = json!("c0ffee00-4a2f-4e3b-9c1d-6f7a8b9c0d1e");
        let delivery = json!({ "value": [notification("guess", "communications/callRecords/x", None), foreign] });
        let read = parse_notifications(delivery.to_string().as_bytes(), ours()).unwrap();
        assert!(!read.needs_subscription(), "nothing left to decide: no storage request");
        let dropped = vec![Dropped::WrongClientState, Dropped::ForeignTenant];
        assert_eq!(read.of_subscription(None), Notified { ids: vec![], dropped });
    }

    #[test]
    fn the_id_comes_from_the_resource_when_resource_data_lacks_it() {
        let delivery = json!({ "value": [
            notification(SECRET, &format!("/communications/callRecords/{A}"), None),
            notification(SECRET, &format!("communications/callRecords('{B}')"), None),
            notification(SECRET, "Communications/CallRecords(0B7E8C5A-3F1D-4E2C-9A8B-7C6D5E4F3A2C)", None),
            notification(SECRET, &format!("communications/callRecordsX/{A}"), None),
        ]});
        let notified = parse(delivery).unwrap();
        assert_eq!(notified.ids, vec![A.to_owned(), B.to_owned(), "0B7E8C5A-3F1D-4E2C-9A8B-7C6D5E4F3A2C".to_owned()]);
        assert_eq!(notified.dropped, vec![Dropped::NotACallRecord]);
    }

    #[test]
    fn a_body_that_is_not_a_delivery_names_where() {
        let rejection = parse_notifications(b"{\"value\": [{\"resource\": 5}]}", ours()).unwrap_err();
        assert_eq!(rejection.problems[0].path, "value[0].resource");
        let rejection = parse_notifications(b"{\n\"value\": [", ours()).unwrap_err();
        assert_eq!(rejection.problems[0].line, Some(2));
        let rejection = parse_notifications(b"{}", ours()).unwrap_err();
        assert!(rejection.problems[0].message.contains("value"), "{:?}", rejection.problems);
    }

    fn lifecycle(state: &str, tenant: &str, subscription: &str, event: &str) -> serde_json::Value {
        json!({ "subscriptionId": subscription, "clientState": state, "tenantId": tenant, "lifecycleEvent": event })
    }

    #[test]
    fn lifecycle_events_of_our_state_tenant_and_subscription_are_read() {
        let other = "c0ffee00-4a2f-4e3b-9c1d-6f7a8b9c0d1e";
        let body = json!({ "value": [
            lifecycle(SECRET, TENANT, SUBSCRIPTION, "missed"),
            lifecycle(SECRET, TENANT, SUBSCRIPTION, "somethingNew"),
            lifecycle("no", TENANT, SUBSCRIPTION, "subscriptionRemoved"),
            lifecycle(SECRET, other, SUBSCRIPTION, "subscriptionRemoved"),
            lifecycle(SECRET, TENANT, other, "reauthorizationRequired"),
        ]});
        let read = parse_lifecycle(body.to_string().as_bytes(), ours()).unwrap();
        assert!(read.needs_subscription());
        let (taken, dropped) = read.of_subscription(Some(SUBSCRIPTION));
        assert_eq!(
            taken.iter().map(|l| l.event).collect::<Vec<_>>(),
            vec![LifecycleEvent::Missed, LifecycleEvent::Other]
        );
        use Dropped::*;
        assert_eq!(dropped, vec![WrongClientState, ForeignTenant, ForeignSubscription]);
    }

    #[test]
    fn a_removal_is_taken_from_any_subscription_of_ours_even_before_one_is_stored() {
        let old = "9d2f4c1e-0000-4000-8000-000000000001";
        let body = json!({ "value": [
            lifecycle(SECRET, TENANT, old, "subscriptionRemoved"),
            lifecycle(SECRET, TENANT, old, "missed"),
        ]});
        let read = parse_lifecycle(body.to_string().as_bytes(), ours()).unwrap();
        let (taken, dropped) = read.clone().of_subscription(None);
        assert_eq!(taken.iter().map(|l| l.event).collect::<Vec<_>>(), vec![LifecycleEvent::SubscriptionRemoved]);
        assert_eq!(dropped, vec![Dropped::ForeignSubscription]);
        let removal_only = json!({ "value": [lifecycle(SECRET, TENANT, old, "subscriptionRemoved")] });
        let read = parse_lifecycle(removal_only.to_string().as_bytes(), ours()).unwrap();
        assert!(!read.needs_subscription(), "a removal alone is decided without our subscription id");
    }

    #[test]
    fn client_state_compare_needs_the_exact_secret() {
        assert!(client_state_matches(Some(SECRET), &[SECRET]));
        assert!(!client_state_matches(Some(""), &[SECRET]));
        assert!(!client_state_matches(None, &[SECRET]));
        assert!(!client_state_matches(Some("our-client-statE"), &[SECRET]));
        // During a rotation both values are ours, and nothing else is.
        let rotating = [SECRET, "our-previous-state"];
        assert!(client_state_matches(Some("our-previous-state"), &rotating));
        assert!(client_state_matches(Some(SECRET), &rotating));
        assert!(!client_state_matches(Some("our-previous-statE"), &rotating));
        assert!(!client_state_matches(Some(SECRET), &[]), "nothing accepted: nothing matches");
    }
}
