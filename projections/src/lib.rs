//! Everything around the event store that is not the domain: connecting and
//! migrating Postgres, the relay that publishes committed events to NATS
//! JetStream in commit order, and the projectors that build read models from
//! JetStream durable consumers.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod campaigns;
pub mod distribution;
pub mod draws;
pub mod entry_numbers;
pub mod group_commit;
pub mod jetstream;
pub mod metrics;
pub mod notifications;
pub mod participants;
pub mod participation_log;
pub mod projector;
pub mod relay;
pub mod replay;
pub mod secrets;
pub mod store;
pub mod supervise;
