//! HTTP routes, one module per resource, each owning its `router()`; the
//! HTML pages' handlers are in [`pages`].

pub mod analytics;
pub mod campaigns;
pub mod draws;
pub mod extract;
pub mod health;
pub mod pages;
pub mod participants;
pub mod participations;
pub mod personal_data;
pub mod prizes;
pub mod self_check;
pub mod store_qr;
