//! Change and lifecycle notifications as Graph posts them. Only ids arrive (no record data), and
//! only a notification that carries our `clientState` and names a call record is worth a fetch:
//! anything else is dropped and counted, never fetched.

use crate::domain::ids::id_problem;
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
    /// It does not name a call record (another resource, or no usable id).
    NotACallRecord,
}

/// What one delivery of change notifications asks of us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notified {
    /// The call record ids to fetch, each once, in the order first named.
    pub ids: Vec<String>,
    /// How many notifications were dropped, and why.
    pub dropped: Vec<Dropped>,
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
/// `communications/callRecords('{id}')`).
fn call_record_id(notification: &ChangeNotification) -> Option<String> {
    let resource = notification.resource.as_deref()?.trim_start_matches('/');
    let prefix = resource.get(..CALL_RECORDS.len())?;
    if !prefix.eq_ignore_ascii_case(CALL_RECORDS) {
        return None;
    }
    let rest = &resource[CALL_RECORDS.len()..];
    let from_resource = match rest.strip_prefix('/') {
        Some(id) => id,
        None => rest.strip_prefix('(')?.strip_suffix(')')?.trim_matches('\''),
    };
    let id = notification.resource_data.as_ref().and_then(|d| d.id.clone()).unwrap_or_else(|| from_resource.to_owned());
    is_record_key(&id).then_some(id)
}

/// Whether `id` can name one call record in a Graph URL: an id callscope accepts that is one
/// path segment and not a dot segment (`..` would fetch the whole collection), with nothing a URL
/// reads as a query or fragment.
pub fn is_record_key(id: &str) -> bool {
    id_problem(id).is_none() && id != "." && id != ".." && !id.contains(['/', '\\', '?', '#'])
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

/// Reads a change-notification delivery: the ids to fetch (deduplicated) and what was dropped.
/// A body that is not a delivery at all is refused, with the path and position of the problem.
pub fn parse_notifications(body: &[u8], accepted: &[&str]) -> Result<Notified, Rejection> {
    let delivery: Delivery<ChangeNotification> = read(body)?;
    let mut notified = Notified::default();
    let mut seen = std::collections::HashSet::new();
    for notification in &delivery.value {
        if !client_state_matches(notification.client_state.as_deref(), accepted) {
            notified.dropped.push(Dropped::WrongClientState);
        } else {
            match call_record_id(notification) {
                None => notified.dropped.push(Dropped::NotACallRecord),
                Some(id) if seen.insert(id.clone()) => notified.ids.push(id),
                Some(_) => {}
            }
        }
    }
    Ok(notified)
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
    subscription_id: Option<String>,
    lifecycle_event: LifecycleEvent,
}

/// One lifecycle notification that carried our secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub event: LifecycleEvent,
    pub subscription_id: Option<String>,
}

/// Reads a lifecycle delivery: the events that carried one of our `accepted` clientStates, and
/// how many did not.
pub fn parse_lifecycle(body: &[u8], accepted: &[&str]) -> Result<(Vec<Lifecycle>, usize), Rejection> {
    let delivery: Delivery<LifecycleNotification> = read(body)?;
    let total = delivery.value.len();
    let ours: Vec<Lifecycle> = delivery
        .value
        .into_iter()
        .filter(|n| client_state_matches(n.client_state.as_deref(), accepted))
        .map(|n| Lifecycle { event: n.lifecycle_event, subscription_id: n.subscription_id })
        .collect();
    let foreign = total - ours.len();
    Ok((ours, foreign))
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

    fn notification(state: &str, resource: &str, id: Option<&str>) -> serde_json::Value {
        json!({
            "subscriptionId": "sub-1", "clientState": state, "changeType": "created",
            "resource": resource, "tenantId": "t",
            "resourceData": { "@odata.type": "#microsoft.graph.callrecord", "@odata.id": resource, "id": id },
        })
    }

    fn parse(value: serde_json::Value) -> Result<Notified, Rejection> {
        parse_notifications(value.to_string().as_bytes(), &[SECRET])
    }

    #[test]
    fn call_records_with_our_state_are_fetched_once_each() {
        let delivery = json!({ "value": [
            notification(SECRET, "communications/callRecords/a", Some("a")),
            notification(SECRET, "communications/callRecords/b", Some("b")),
            notification(SECRET, "communications/callRecords/a", Some("a")),
        ]});
        assert_eq!(parse(delivery).unwrap(), Notified { ids: vec!["a".into(), "b".into()], dropped: vec![] });
    }

    #[test]
    fn a_backfill_listing_queues_record_keys_once_each_and_drops_the_rest() {
        let listed = ["b", "..", "a", "a/b", "b", "a?$top=999", ".", "a#x", "a\\b", ""].map(String::from).to_vec();
        assert_eq!(listed_record_keys(listed), (vec!["a".into(), "b".into()], 7));
    }

    #[test]
    fn an_id_that_is_not_one_record_is_not_fetched() {
        for id in ["..", ".", "a/b", "a?$top=999", "a#x", "a\\b"] {
            let delivery = json!({ "value": [notification(SECRET, "communications/callRecords/x", Some(id))] });
            assert_eq!(parse(delivery).unwrap().dropped, [Dropped::NotACallRecord], "{id:?}");
        }
        assert!(is_record_key("e523d2ed-2966-4b6b-925b-754a88034cc5") && is_record_key("a..b"));
    }

    #[test]
    fn wrong_or_missing_state_and_other_resources_are_dropped() {
        let mut missing = notification(SECRET, "communications/callRecords/c", Some("c"));
        missing.as_object_mut().unwrap().remove("clientState");
        let delivery = json!({ "value": [
            notification("guess", "communications/callRecords/a", Some("a")),
            notification(&format!("{SECRET}x"), "communications/callRecords/a", Some("a")),
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
    fn the_id_comes_from_the_resource_when_resource_data_lacks_it() {
        let delivery = json!({ "value": [
            notification(SECRET, "/communications/callRecords/z9", None),
            notification(SECRET, "communications/callRecords('k7')", None),
            notification(SECRET, "Communications/CallRecords(q1)", None),
            notification(SECRET, "communications/callRecordsX/z9", None),
        ]});
        let notified = parse(delivery).unwrap();
        assert_eq!(notified.ids, vec!["z9".to_owned(), "k7".to_owned(), "q1".to_owned()]);
        assert_eq!(notified.dropped, vec![Dropped::NotACallRecord]);
    }

    #[test]
    fn a_body_that_is_not_a_delivery_names_where() {
        let rejection = parse_notifications(b"{\"value\": [{\"resource\": 5}]}", &[SECRET]).unwrap_err();
        assert_eq!(rejection.problems[0].path, "value[0].resource");
        let rejection = parse_notifications(b"{\n\"value\": [", &[SECRET]).unwrap_err();
        assert_eq!(rejection.problems[0].line, Some(2));
        let rejection = parse_notifications(b"{}", &[SECRET]).unwrap_err();
        assert!(rejection.problems[0].message.contains("value"), "{:?}", rejection.problems);
    }

    #[test]
    fn lifecycle_events_with_our_state_are_read() {
        let body = json!({ "value": [
            { "subscriptionId": "s", "clientState": SECRET, "lifecycleEvent": "missed" },
            { "subscriptionId": "s", "clientState": SECRET, "lifecycleEvent": "somethingNew" },
            { "subscriptionId": "s", "clientState": "no", "lifecycleEvent": "subscriptionRemoved" },
        ]});
        let (ours, foreign) = parse_lifecycle(body.to_string().as_bytes(), &[SECRET]).unwrap();
        assert_eq!(
            ours.iter().map(|l| l.event).collect::<Vec<_>>(),
            vec![LifecycleEvent::Missed, LifecycleEvent::Other]
        );
        assert_eq!(foreign, 1);
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
