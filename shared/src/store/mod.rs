//! Storage: the only code that knows DynamoDB. The single-table key design (`keys`, `schema`),
//! the items and their sizes (`items`, `size`, `prepare`), the client and its write guards
//! (`client`), and one module per kind of data: calls, lists (history, directory, audit),
//! tenant data sets, subnets, escalations and the idempotency keys of their writes
//! (`idempotency`), the Graph fleet's request budget (`budget`), erasure writes, the stream
//! read back (`stream`) and the audit trail's tamper evidence on it (`tamper`). See
//! `docs/data-model.md` for the access patterns.

pub mod audit;
pub mod budget;
pub mod calls;
pub mod client;
pub mod compact;
pub mod connector;
pub mod datasets;
pub mod erase;
pub mod escalations;
pub mod idempotency;
pub mod items;
pub mod keys;
pub mod lists;
pub mod phone;
pub mod prepare;
pub mod schema;
pub mod size;
pub mod stream;
pub mod subnets;
pub mod tamper;

pub use calls::{Published, UpsertStatus};
pub use client::{DynamoStore, Item, Page, WriteGuard};
pub use datasets::{ActiveDataset, DatasetKind};
pub use erase::{ErasureMarker, ErasureRun, Erasures, WRITER_WINDOW, covers};
pub use phone::{PhoneStatus, PreparedPhone, Stored};
pub use prepare::{PartyWrites, PreparedCall, PreparedClassification, VersionWrites};

use crate::domain::problem::value_free;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Why a storage operation failed. None of these is the caller's fault: they map to 5xx.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB refused or failed a request (after the SDK's own retries). `transient` when
    /// retrying later is likely to work: throttling, a 5xx, a timeout, a lost connection.
    #[error("DynamoDB {operation} failed: {detail}")]
    Request { operation: &'static str, detail: String, transient: bool },
    /// An item in the table does not read as the type it should be. Its display names the kind
    /// of item and of failure, never the key or the value (`Debug` has both, for debug lines).
    #[error("stored item {} is unreadable: {}", keys::kind(.key), value_free(&.source.to_string()))]
    Corrupt {
        key: String,
        #[source]
        source: serde_dynamo::Error,
    },
    /// What should be written exceeds DynamoDB's limits.
    #[error("{} is too large to store: {detail}", keys::kind(.key))]
    TooLarge { key: String, detail: String },
    /// The pages of a call's committed version do not hold what its header counts in them.
    #[error("the pages of {} are out of step with its header: {detail}", keys::kind(.key))]
    PagesOutOfStep { key: String, detail: String },
    /// A record on the table's stream does not read as a change of the table (what is wrong,
    /// never a value of its images).
    #[error("unreadable stream record: {0}")]
    UnreadableChange(String),
    /// The pages a resumable Graph fetch kept do not read back (or could not be packed): what
    /// is wrong, never a value of the record.
    #[error("a Graph fetch's kept pages: {0}")]
    KeptPages(String),
    /// Concurrent writers kept cancelling each other's writes of `what` (a call, an escalation,
    /// a tenant file); retrying will likely work. Names the kind, never an id.
    #[error("{what} is being written concurrently; retry")]
    Contention { what: &'static str },
}

impl StoreError {
    /// Wraps an SDK error with the operation that failed, keeping the full error chain.
    pub fn request<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let transient = match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => {
                service.raw().status().is_server_error() || service.err().code().is_some_and(is_throttling)
            }
            _ => false,
        };
        Self::Request { operation, detail: DisplayErrorContext(&error).to_string(), transient }
    }

    /// Whether a write was refused only because its condition did not hold: the expected
    /// outcome of a conditional write that lost, not a failure.
    pub fn condition_failed<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
    {
        error.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
    }

    /// Whether retrying later is likely to succeed (throttling, contention).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Request { transient: true, .. } | Self::Contention { .. })
    }
}

/// Whether an error code (or a transaction's cancellation reason) means "too fast, slow down".
pub fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException" | "ProvisionedThroughputExceededException" | "RequestLimitExceeded" | "ThrottlingError"
    )
}
