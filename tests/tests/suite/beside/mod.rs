//! The tests `make test` runs against a moto server of their own, beside the rest of the suite
//! (`scripts/test-rust.sh`): the fault run and the modules that wait longest on moto, so that
//! both servers are busy for about as long.

mod connector_admin;
mod erasure;
mod faults;
mod graph;
mod queues;
mod races;
mod security;
