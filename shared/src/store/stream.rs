//! The table's stream, read back: what a change record says in DynamoDB's own terms, and
//! whether it is a call version to rate.
//!
//! The filter here and the event-source filter in `infra/template.yaml` must agree: rate
//! INSERT and MODIFY of call headers, unless the MODIFY is our own result write (same version,
//! already rated); run the next round of an erasure whose marker says it was handed over and is
//! not complete; judge every MODIFY and REMOVE of an audit item ([`tamper`](super::tamper)),
//! which the template's filter passes whole because only here can the images be compared; ignore
//! other REMOVEs (TTL expiry) and every other item.

use super::StoreError;
use super::keys;
use super::tamper::{self, AuditVerdict, Tampering};
use crate::domain::classify::Rating;
use crate::domain::problem::value_free;
use aws_lambda_events::dynamodb::EventRecord;
use serde::Deserialize;

/// The kind of change a stream record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

impl ChangeKind {
    /// From the stream's `eventName`.
    pub fn from_event_name(name: &str) -> Result<Self, StoreError> {
        match name {
            "INSERT" => Ok(Self::Insert),
            "MODIFY" => Ok(Self::Modify),
            "REMOVE" => Ok(Self::Remove),
            _ => Err(StoreError::UnreadableChange(format!("unknown eventName `{name}`"))),
        }
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// DynamoDB's Time to Live process, deleting an expired item.
    TimeToLive,
    /// A request to the table (any principal's).
    Request,
}

impl Origin {
    /// The principal a TTL deletion's stream record names, exactly: `userIdentity` is
    /// `{"type": "Service", "principalId": "dynamodb.amazonaws.com"}` (DynamoDB Streams' `Identity`).
    /// Every other record, a request's, has no `userIdentity`.
    pub fn from_user_identity(kind: &str, principal_id: &str) -> Self {
        if kind == "Service" && principal_id == "dynamodb.amazonaws.com" { Self::TimeToLive } else { Self::Request }
    }
}

/// One stream record, in DynamoDB's own terms (images may be empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub new_image: serde_dynamo::Item,
    pub old_image: serde_dynamo::Item,
    pub origin: Origin,
}

impl Change {
    /// The change a Lambda DynamoDB event record reports.
    pub fn from_record(record: &EventRecord) -> Result<Self, StoreError> {
        Ok(Self {
            kind: ChangeKind::from_event_name(&record.event_name)?,
            new_image: record.change.new_image.clone(),
            old_image: record.change.old_image.clone(),
            origin: record
                .user_identity
                .as_ref()
                .map_or(Origin::Request, |who| Origin::from_user_identity(&who.type_, &who.principal_id)),
        })
    }
}

/// Why a change is not rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// An item was removed (TTL expiry): nothing to rate.
    Removal,
    /// Not a call header (pages, history, directory, ...).
    NotACallHeader,
    /// The header changed only by our own result write.
    OwnResultWrite,
    /// An audit item changed the way the product changes it (a refusal counted, a day indexed
    /// again, an expiry).
    AuditTrailKept,
}

/// What to do with a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Rate {
        call_id: String,
        version: i64,
    },
    /// An erasure handed over unfinished: run its next round.
    ContinueErasure {
        user_id: String,
    },
    /// The audit trail was changed as the product never changes it: raise the alarm.
    Tampered(Tampering),
    Skip(Skip),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MarkerImage {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    continued: bool,
}

#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "SK")]
    sk: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderImage {
    call_id: String,
    version: i64,
    rating: Rating,
}

/// Decides what `change` asks of classify.
pub fn decide(change: &Change) -> Result<Decision, StoreError> {
    match tamper::inspect(change) {
        Some(AuditVerdict::Tampered(tampering)) => return Ok(Decision::Tampered(tampering)),
        Some(AuditVerdict::Kept) => return Ok(Decision::Skip(Skip::AuditTrailKept)),
        None => {}
    }
    if change.kind == ChangeKind::Remove {
        return Ok(Decision::Skip(Skip::Removal));
    }
    let unreadable = |e: serde_dynamo::Error| StoreError::UnreadableChange(value_free(&e.to_string()));
    let Keys { sk } = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
    if sk == keys::ERASED_SK {
        let marker: MarkerImage = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
        return Ok(match keys::erased_user(&marker.pk) {
            Some(user) if marker.continued && !marker.complete => {
                Decision::ContinueErasure { user_id: user.to_owned() }
            }
            _ => Decision::Skip(Skip::NotACallHeader),
        });
    }
    if sk != keys::CALL_HEADER_SK {
        return Ok(Decision::Skip(Skip::NotACallHeader));
    }
    let new: HeaderImage = serde_dynamo::from_item(change.new_image.clone()).map_err(unreadable)?;
    if change.kind == ChangeKind::Modify && new.rating != Rating::Pending {
        let old: Option<HeaderImage> = serde_dynamo::from_item(change.old_image.clone()).ok();
        if old.is_some_and(|old| old.version == new.version) {
            return Ok(Decision::Skip(Skip::OwnResultWrite));
        }
    }
    Ok(Decision::Rate { call_id: new.call_id, version: new.version })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(value: serde_json::Value) -> serde_dynamo::Item {
        serde_dynamo::to_item(value).unwrap()
    }

    fn header(version: i64, rating: &str) -> serde_dynamo::Item {
        image(json!({ "PK": "CALL#c1", "SK": "#HEADER", "callId": "c1", "version": version, "rating": rating }))
    }

    fn change(kind: ChangeKind, new: serde_dynamo::Item, old: serde_dynamo::Item) -> Change {
        Change { kind, new_image: new, old_image: old, origin: Origin::Request }
    }

    fn empty() -> serde_dynamo::Item {
        image(json!({}))
    }

    #[test]
    fn new_and_changed_versions_are_rated() {
        let rate = Decision::Rate { call_id: "c1".into(), version: 2 };
        assert_eq!(decide(&change(ChangeKind::Insert, header(2, "pending"), empty())).unwrap(), rate);
        assert_eq!(decide(&change(ChangeKind::Modify, header(2, "pending"), header(1, "poor"))).unwrap(), rate);
        // Re-put at the same version while still pending (a repaired write) is rated too.
        assert_eq!(decide(&change(ChangeKind::Modify, header(2, "pending"), header(2, "pending"))).unwrap(), rate);
    }

    #[test]
    fn our_own_writes_removals_and_other_items_are_skipped() {
        let own = change(ChangeKind::Modify, header(2, "good"), header(2, "pending"));
        assert_eq!(decide(&own).unwrap(), Decision::Skip(Skip::OwnResultWrite));
        let removal = change(ChangeKind::Remove, empty(), header(2, "good"));
        assert_eq!(decide(&removal).unwrap(), Decision::Skip(Skip::Removal));
        let page = image(json!({ "PK": "CALL#c1", "SK": "RESULTS#0000", "version": 2 }));
        assert_eq!(decide(&change(ChangeKind::Insert, page, empty())).unwrap(), Decision::Skip(Skip::NotACallHeader));
    }

    #[test]
    fn a_changed_audit_entry_is_tampering_and_its_expiry_is_not() {
        let entry =
            image(json!({ "PK": "AUDIT#2026-11-25#0", "SK": "2026-11-25T12:00:00.000000Z#r1", "expiresAt": 9 }));
        let hidden =
            image(json!({ "PK": "AUDIT#2026-11-25#0", "SK": "2026-11-25T12:00:00.000000Z#r1", "expiresAt": 1 }));
        assert!(matches!(decide(&change(ChangeKind::Modify, hidden, entry.clone())).unwrap(), Decision::Tampered(_)));
        assert!(matches!(decide(&change(ChangeKind::Remove, empty(), entry.clone())).unwrap(), Decision::Tampered(_)));
        let expiry = Change { origin: Origin::TimeToLive, ..change(ChangeKind::Remove, empty(), entry.clone()) };
        assert_eq!(decide(&expiry).unwrap(), Decision::Skip(Skip::AuditTrailKept));
        assert_eq!(decide(&change(ChangeKind::Insert, entry, empty())).unwrap(), Decision::Skip(Skip::NotACallHeader));
    }

    #[test]
    fn only_the_ttl_service_principal_is_the_ttl_process() {
        assert_eq!(Origin::from_user_identity("Service", "dynamodb.amazonaws.com"), Origin::TimeToLive);
        for (kind, principal) in [
            ("Service", "lambda.amazonaws.com"),
            ("AssumedRole", "dynamodb.amazonaws.com"),
            ("Service", "dynamodb.amazonaws.com.evil"),
            ("service", "dynamodb.amazonaws.com"),
            ("", ""),
        ] {
            assert_eq!(Origin::from_user_identity(kind, principal), Origin::Request, "{kind} {principal}");
        }
        let mut record = EventRecord::default();
        record.event_name = "REMOVE".into();
        assert_eq!(Change::from_record(&record).unwrap().origin, Origin::Request, "no userIdentity: a request");
        let mut ttl = aws_lambda_events::dynamodb::UserIdentity::default();
        ttl.type_ = "Service".into();
        ttl.principal_id = "dynamodb.amazonaws.com".into();
        record.user_identity = Some(ttl);
        assert_eq!(Change::from_record(&record).unwrap().origin, Origin::TimeToLive);
        // The sample TTL removal carries the identity as the stream writes it.
        let sample: aws_lambda_events::dynamodb::Event =
            serde_json::from_str(include_str!("../../../events/classify-remove-ttl.json")).unwrap();
        assert_eq!(Change::from_record(&sample.records[0]).unwrap().origin, Origin::TimeToLive);
    }

    #[test]
    fn unreadable_images_are_errors_not_panics() {
        let bad =
            image(json!({ "PK": "CALL#c1", "SK": "#HEADER", "callId": "c1", "version": "two", "rating": "pending" }));
        assert!(matches!(decide(&change(ChangeKind::Insert, bad, empty())), Err(StoreError::UnreadableChange(_))));
        assert!(matches!(decide(&change(ChangeKind::Insert, empty(), empty())), Err(StoreError::UnreadableChange(_))));
    }
}
