//! The Microsoft Graph connector's domain: what Graph sends us (change and lifecycle
//! notifications), how a record fetched in pages, over as many invocations as Graph's
//! per-record limits need, becomes one whole record, and when the subscription must be
//! created, renewed or followed by a backfill. Pure values and functions; the HTTP side lives
//! in `crate::msgraph`, the queue and the kept pages in `crate::store::connector`.

pub mod assemble;
pub mod notification;
pub mod pacing;
pub mod subscription;

pub use assemble::{Body, FetchError, FetchState, Items, MAX_RECORD_JSON, Part, Request};
pub use notification::{
    Dropped, Lifecycle, LifecycleEvent, LifecycleEvents, Notifications, Notified, Ours, is_guid, is_record_key,
    listed_record_keys, parse_lifecycle, parse_notifications,
};
pub use pacing::{Limit, Pacer, PerRecordLimits, RequestKind};
pub use subscription::{ActiveSubscription, Job, SubscriptionPlan, plan};
