//! Local-only stand-ins for what AWS and Microsoft Graph do around callscope's functions: the
//! table on a local DynamoDB, dev tokens, API Gateway with its JWT authorizer, the work
//! queues on a local SQS, the stream and queue triggers, a stand-in Graph, the webhook function served in-process, and a sample tenant.
//!
//! This library is what the tests, the benchmarks and the `callscope-dev` CLI share; the CLI
//! (`src/bin/callscope-dev`) only parses arguments and prints. None of it is deployed: no
//! function may depend on this crate, and the functions have no "local mode" for it to switch on.
//! Every server here is an axum `Router` on `axum::serve`.

pub mod gateway;
pub mod graph_standin;
pub mod iam;
pub mod in_process;
pub mod invoke;
pub mod queues;
pub mod stream;
pub mod table;
pub mod tenant;
pub mod token;
pub mod trigger;

/// What a local stand-in reports when a request to a local server or to the local DynamoDB
/// fails: the tools print it and stop, so its message is all that matters.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
