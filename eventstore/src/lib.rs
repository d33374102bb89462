//! The write side of the service. Commands end here: events are appended to
//! the Postgres event store (through cqrs-es, or set-based by group commit
//! for registrations), and the relay publishes every committed event to NATS
//! JetStream in commit order. Campaign keys and entry numbers are allocated
//! here because they are part of writing an entry.
#![forbid(unsafe_code)]

pub mod codec;
pub mod group_commit;
pub mod health;
pub mod jetstream;
pub mod metrics;
pub mod nats_url;
pub mod participation_log;
pub mod provenance;
pub mod registrations;
pub mod relay;
pub mod secrets;
pub mod store;
pub mod supervise;
