//! The Microsoft Graph connector's domain: what Graph sends us (change and lifecycle
//! notifications), how a record fetched in pages becomes one whole record, and when the
//! subscription must be created, renewed or followed by a backfill. Pure values and functions;
//! the HTTP side lives in `crate::msgraph`, the queue in `crate::store::connector`.

pub mod assemble;
pub mod notification;
pub mod subscription;

pub use assemble::{Assembled, PageError, Part, RecordPages};
pub use notification::{Dropped, Lifecycle, LifecycleEvent, Notified, parse_lifecycle, parse_notifications};
pub use subscription::{ActiveSubscription, Job, SubscriptionPlan, plan};
