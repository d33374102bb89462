//! HTTP routes, one module per resource, each owning its `router()`.

pub mod campaigns;
pub mod extract;
pub mod health;
pub mod participants;
pub mod participations;
