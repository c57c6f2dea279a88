//! Local-only tools for callscope: everything that plays AWS's part on a developer's machine.
//! None of it is deployed; the functions themselves have no "local mode".

pub mod cold_start;
pub mod direct;
pub mod gateway;
pub mod graph;
pub mod iam;
pub mod show;
pub mod stream;
pub mod tenant;
pub mod token;
pub mod trigger;
