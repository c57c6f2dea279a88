//! The Microsoft Graph connector's domain: what Graph sends us (change and lifecycle
//! notifications), how a record fetched in pages, over as many invocations as Graph's
//! per-record limits need, becomes one whole record, and when the subscription must be
//! created, renewed or followed by a backfill, and how many Graph requests the whole fleet may
//! send. Pure values and functions; the HTTP side lives in `crate::msgraph`, the work queues in
//! `crate::queue`, the queue markers and the kept pages in `crate::store::connector`, the
//! fleet's budget counted in `crate::store::budget`.

pub mod assemble;
pub mod budget;
pub mod notification;
pub mod pacing;
pub mod phone_poll;
pub mod subscription;
pub mod work;

pub use assemble::{Body, FetchError, FetchState, Items, MAX_RECORD_JSON, Part, Request};
pub use budget::{FleetBudget, GRAPH_APP_LIMIT, Grant};
pub use notification::{
    Dropped, Lifecycle, LifecycleEvent, LifecycleEvents, Notifications, Notified, Ours, is_guid, is_record_key,
    listed_record_keys, parse_lifecycle, parse_notifications,
};
pub use pacing::{Limit, Pacer, PerRecordLimits, RequestKind};
pub use phone_poll::{PhoneLog, Reading};
pub use subscription::{ActiveSubscription, Job, SubscriptionPlan, plan};
pub use work::{Lane, Work};
