//! Tenant data (the other half of CQD's upload): buildings, which map networks to sites, and
//! endpoints, which map machine names to make and model. Shown on every session.

pub mod building;
pub mod endpoint;
pub mod file;

pub use building::{Building, BuildingFile, BuildingMap, parse_buildings};
pub use endpoint::{EndpointMap, EndpointRow, parse_endpoints};
pub use file::Delimiter;

/// The tenant data a view draws on, as loaded by the function.
#[derive(Debug, Clone, Default)]
pub struct Sites {
    pub buildings: BuildingMap,
    pub endpoints: EndpointMap,
}
