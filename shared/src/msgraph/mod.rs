//! Microsoft Graph over HTTPS: the app-only token, requests that wait out throttling (never
//! past a caller's deadline), and the few calls the connector makes (a record's pages, list
//! records, manage the subscription). Knows nothing of the table; `crate::app::connector` ties
//! it to the store.

pub mod calls;
pub mod client;
pub mod settings;

pub use client::{GraphClient, GraphError};
pub use settings::GraphSettings;
