//! Background jobs. Each calls use cases, like an HTTP handler does: the
//! retention sweep (erase personal data), the channel statistics collector
//! (record observed statistics), the distribution consumer (record
//! distribution reports arriving over NATS), the claim deadline sweep
//! (forfeit unclaimed prizes) and notification delivery (send the outbox,
//! record each outcome).

pub mod channel_stats;
pub mod claim_deadline;
pub mod distribution;
pub mod notify;
pub mod retention;
