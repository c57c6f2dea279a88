//! Tamper evidence for the audit trail. DynamoDB cannot make an item append-only: a role that
//! may put audit entries may also put one over an existing entry (say with a past `expiresAt`,
//! which hides it from `GET /audit` at once), and whoever may delete items may delete one. IAM
//! keeps every function to puts (and the refusal counts to updates); this recognises, on the
//! table's stream, every change of an audit item the product itself never makes.
//!
//! What the product does to the trail, and nothing else:
//! - an entry (`AUDIT#<day>#<shard>`) is inserted once, never changed;
//! - a refusal count (`AUDIT#<day>#refused`) is inserted, then only its `refusedAttempts` grows;
//! - a day of the index (`AUDITDAYS`) is inserted, then only put again as it was (or with a
//!   later `expiresAt`, as its write condition allows);
//! - every one of them is removed by DynamoDB's TTL process when it expires, whose stream record
//!   names the service as its principal ([`Origin::TimeToLive`]).

use super::keys::{self, AuditPartition, EXPIRES_AT, PK, SK};
use super::stream::{Change, ChangeKind, Origin};
use serde_dynamo::AttributeValue;

/// Which kind of audit item was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditItemKind {
    /// An entry of a served request.
    Entry,
    /// The count of a caller's refused attempts in a minute.
    RefusalCount,
    /// A day of the index of days with entries.
    Day,
}

/// A change to the audit trail the product never makes, named by what locates the item: the
/// day, the shard, and the time and request id of the entry's sort key. Nothing in it is personal
/// data (a refusal count's sort key ends in the caller's id, which is left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tampering {
    pub item: AuditItemKind,
    pub change: ChangeKind,
    pub day: String,
    pub shard: Option<String>,
    /// The time of the entry (a refusal count's minute).
    pub at: Option<String>,
    /// API Gateway's id of the audited request (entries only).
    pub request_id: Option<String>,
}

/// What a change of an audit item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// A change the product makes itself: a refusal counted, a day indexed again, an expiry.
    Kept,
    /// Anything else.
    Tampered(Tampering),
}

/// Judges `change` if it is a modification or removal of an audit item; `None` for every other
/// change (inserts included: adding is what the trail is for). The item's keys are read from
/// its old image, which every such change carries on a `NEW_AND_OLD_IMAGES` stream.
pub fn inspect(change: &Change) -> Option<AuditVerdict> {
    if change.kind == ChangeKind::Insert {
        return None;
    }
    let (pk, sk) = (string(&change.old_image, PK)?, string(&change.old_image, SK)?);
    let partition = keys::audit_partition(pk)?;
    let kept = match (change.kind, partition) {
        (ChangeKind::Remove, _) => change.origin == Origin::TimeToLive,
        (_, AuditPartition::Entries { .. }) => false,
        (_, AuditPartition::Refusals { .. }) => counted_once_more(change),
        (_, AuditPartition::Days) => indexed_again(change),
    };
    if kept {
        return Some(AuditVerdict::Kept);
    }
    let (at, id) = sk.split_once('#').map_or((sk, None), |(at, id)| (at, Some(id)));
    let tampering = match partition {
        AuditPartition::Entries { day, shard } => Tampering {
            item: AuditItemKind::Entry,
            change: change.kind,
            day: day.to_owned(),
            shard: Some(shard.to_owned()),
            at: Some(at.to_owned()),
            request_id: id.map(str::to_owned),
        },
        AuditPartition::Refusals { day } => Tampering {
            item: AuditItemKind::RefusalCount,
            change: change.kind,
            day: day.to_owned(),
            shard: Some("refused".to_owned()),
            at: Some(at.to_owned()),
            request_id: None,
        },
        AuditPartition::Days => Tampering {
            item: AuditItemKind::Day,
            change: change.kind,
            day: sk.to_owned(),
            shard: None,
            at: None,
            request_id: None,
        },
    };
    Some(AuditVerdict::Tampered(tampering))
}

/// The refusal count grew, and nothing else changed (the first attempt's fields are kept).
fn counted_once_more(change: &Change) -> bool {
    const COUNT: &str = "refusedAttempts";
    let grew = matches!(
        (number(&change.old_image, COUNT), number(&change.new_image, COUNT)),
        (Some(old), Some(new)) if new > old
    );
    grew && only_added_to(change, COUNT)
}

/// Every attribute of the old image but `attribute` is in the new one, unchanged: a refusal
/// count sets each detail only `if_not_exists`, so a later refusal of the same caller in the
/// same minute may add one the first lacked (a target user, a call), never change one.
fn only_added_to(change: &Change, attribute: &str) -> bool {
    let new = change.new_image.inner();
    change
        .old_image
        .inner()
        .iter()
        .filter(|(name, _)| name.as_str() != attribute)
        .all(|(name, old)| new.get(name) == Some(old))
}

/// The day was put again as it was, or expiring later.
fn indexed_again(change: &Change) -> bool {
    let not_earlier = match (number(&change.old_image, EXPIRES_AT), number(&change.new_image, EXPIRES_AT)) {
        (Some(old), Some(new)) => new >= old,
        _ => false,
    };
    not_earlier && same_but(change, EXPIRES_AT)
}

/// The old and new images agree on every attribute but `attribute`.
fn same_but(change: &Change, attribute: &str) -> bool {
    let without = |image: &serde_dynamo::Item| {
        let mut attributes = image.inner().clone();
        attributes.remove(attribute);
        attributes
    };
    without(&change.old_image) == without(&change.new_image)
}

fn string<'a>(image: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match image.get(name)? {
        AttributeValue::S(value) => Some(value),
        _ => None,
    }
}

fn number(image: &serde_dynamo::Item, name: &str) -> Option<i128> {
    match image.get(name)? {
        AttributeValue::N(value) => value.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(value: serde_json::Value) -> serde_dynamo::Item {
        serde_dynamo::to_item(value).unwrap()
    }

    fn entry(expires_at: i64) -> serde_dynamo::Item {
        image(json!({
            "PK": "AUDIT#2026-11-25#3", "SK": "2026-11-25T12:00:00.000000Z#req-1",
            "subject": "sub-1", "role": "support-engineer", "action": "viewCall", "expiresAt": expires_at,
        }))
    }

    fn refusals(count: u32, role: &str) -> serde_dynamo::Item {
        image(json!({
            "PK": "AUDIT#2026-11-25#refused", "SK": "2026-11-25T12:00:00.000000Z#sub-2",
            "subject": "sub-2", "role": role, "action": "viewCall", "refusedAttempts": count, "expiresAt": 1_800_000_000,
        }))
    }

    fn day(expires_at: i64) -> serde_dynamo::Item {
        image(json!({ "PK": "AUDITDAYS", "SK": "2026-11-25", "expiresAt": expires_at }))
    }

    fn empty() -> serde_dynamo::Item {
        image(json!({}))
    }

    fn change(kind: ChangeKind, new: serde_dynamo::Item, old: serde_dynamo::Item, origin: Origin) -> Change {
        Change { kind, new_image: new, old_image: old, origin }
    }

    fn tampered(change: &Change) -> Tampering {
        match inspect(change) {
            Some(AuditVerdict::Tampered(tampering)) => tampering,
            other => panic!("{change:?} should be tampering, is {other:?}"),
        }
    }

    #[test]
    fn what_the_product_does_to_the_trail_is_kept() {
        let kept = |c: Change| assert_eq!(inspect(&c), Some(AuditVerdict::Kept), "{c:?}");
        kept(change(ChangeKind::Modify, refusals(2, "none"), refusals(1, "none"), Origin::Request));
        kept(change(ChangeKind::Modify, refusals(40, "none"), refusals(3, "none"), Origin::Request));
        kept(change(ChangeKind::Modify, day(1_800_000_000), day(1_800_000_000), Origin::Request));
        kept(change(ChangeKind::Modify, day(1_800_086_400), day(1_800_000_000), Origin::Request));
        for old in [entry(1_800_000_000), refusals(5, "none"), day(1_800_000_000)] {
            kept(change(ChangeKind::Remove, empty(), old, Origin::TimeToLive));
        }
    }

    #[test]
    fn inserts_and_other_items_are_not_judged_here() {
        assert_eq!(inspect(&change(ChangeKind::Insert, entry(1), empty(), Origin::Request)), None);
        assert_eq!(inspect(&change(ChangeKind::Insert, refusals(1, "none"), empty(), Origin::Request)), None);
        let header = image(json!({ "PK": "CALL#c1", "SK": "#HEADER", "expiresAt": 1 }));
        assert_eq!(inspect(&change(ChangeKind::Remove, empty(), header.clone(), Origin::Request)), None);
        assert_eq!(inspect(&change(ChangeKind::Modify, header.clone(), header, Origin::Request)), None);
        assert_eq!(inspect(&change(ChangeKind::Remove, empty(), empty(), Origin::Request)), None);
    }

    #[test]
    fn an_entry_overwritten_or_deleted_is_tampering_named_without_personal_data() {
        let hidden = tampered(&change(ChangeKind::Modify, entry(1), entry(1_800_000_000), Origin::Request));
        assert_eq!(
            hidden,
            Tampering {
                item: AuditItemKind::Entry,
                change: ChangeKind::Modify,
                day: "2026-11-25".into(),
                shard: Some("3".into()),
                at: Some("2026-11-25T12:00:00.000000Z".into()),
                request_id: Some("req-1".into()),
            }
        );
        // Even an overwrite that changes nothing visible is one: the product never rewrites an entry.
        let mut same = entry(1_800_000_000);
        same.insert("role".into(), AttributeValue::S("admin".into()));
        assert_eq!(
            tampered(&change(ChangeKind::Modify, same, entry(1_800_000_000), Origin::Request)).item,
            AuditItemKind::Entry
        );
        let deleted = tampered(&change(ChangeKind::Remove, empty(), entry(1_800_000_000), Origin::Request));
        assert_eq!((deleted.change, deleted.request_id.as_deref()), (ChangeKind::Remove, Some("req-1")));
    }

    #[test]
    fn a_refusal_count_may_only_grow() {
        let shrunk = tampered(&change(ChangeKind::Modify, refusals(1, "none"), refusals(16, "none"), Origin::Request));
        assert_eq!(shrunk.item, AuditItemKind::RefusalCount);
        assert_eq!(shrunk.request_id, None, "the caller's id in the sort key is not logged");
        assert_eq!(shrunk.at.as_deref(), Some("2026-11-25T12:00:00.000000Z"));
        let same = change(ChangeKind::Modify, refusals(16, "none"), refusals(16, "none"), Origin::Request);
        assert_eq!(tampered(&same).item, AuditItemKind::RefusalCount);
        let rewritten = change(ChangeKind::Modify, refusals(17, "admin"), refusals(16, "none"), Origin::Request);
        assert_eq!(
            tampered(&rewritten).item,
            AuditItemKind::RefusalCount,
            "a grown count that rewrites the first attempt"
        );
        let mut expiring = refusals(17, "none");
        expiring.insert(EXPIRES_AT.into(), AttributeValue::N("1".into()));
        assert!(matches!(
            inspect(&change(ChangeKind::Modify, expiring, refusals(16, "none"), Origin::Request)),
            Some(AuditVerdict::Tampered(_))
        ));
        let deleted = change(ChangeKind::Remove, empty(), refusals(16, "none"), Origin::Request);
        assert_eq!(tampered(&deleted).change, ChangeKind::Remove);
    }

    #[test]
    fn a_later_refusal_in_the_minute_may_add_a_detail_the_first_lacked() {
        let mut targeted = refusals(2, "none");
        targeted.insert("targetUser".into(), AttributeValue::S("u".into()));
        let added = change(ChangeKind::Modify, targeted, refusals(1, "none"), Origin::Request);
        assert_eq!(inspect(&added), Some(AuditVerdict::Kept));
        let mut dropped = refusals(1, "none");
        dropped.insert("targetUser".into(), AttributeValue::S("u".into()));
        let removed = change(ChangeKind::Modify, refusals(2, "none"), dropped, Origin::Request);
        assert_eq!(tampered(&removed).item, AuditItemKind::RefusalCount, "a detail taken away");
    }

    #[test]
    fn a_day_may_only_be_indexed_again() {
        let earlier = tampered(&change(ChangeKind::Modify, day(1), day(1_800_000_000), Origin::Request));
        assert_eq!((earlier.item, earlier.day.as_str(), earlier.shard), (AuditItemKind::Day, "2026-11-25", None));
        let mut extra = day(1_800_000_000);
        extra.insert("note".into(), AttributeValue::S("x".into()));
        assert!(matches!(
            inspect(&change(ChangeKind::Modify, extra, day(1_800_000_000), Origin::Request)),
            Some(AuditVerdict::Tampered(_))
        ));
        assert_eq!(
            tampered(&change(ChangeKind::Remove, empty(), day(1_800_000_000), Origin::Request)).item,
            AuditItemKind::Day
        );
    }
}
