//! Prometheus metrics of the write and projection paths: appends, relay
//! publish delay (commit → JetStream) and projector apply delay (commit →
//! read model), per projector; stalls, quarantined messages and a refused
//! relay start.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::health::Health;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectorLabel {
    pub projector: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

fn delay_histogram() -> Histogram {
    // 1 ms .. ~65 s
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// All metrics of one service instance. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct Metrics {
    pub events_appended: Counter,
    pub participations: Family<OutcomeLabel, Counter>,
    pub relay_published: Counter,
    pub relay_publish_delay: Histogram,
    pub relay_position: Gauge,
    pub projector_applied: Family<ProjectorLabel, Counter>,
    pub projector_delay: Family<ProjectorLabel, Histogram, fn() -> Histogram>,
    pub projector_gaps: Family<ProjectorLabel, Counter>,
    /// 1 while a projector is stalled or halted.
    pub projector_stalled: Family<ProjectorLabel, Gauge>,
    /// Foreign messages a projector set aside to the quarantine subject.
    pub quarantined: Family<ProjectorLabel, Counter>,
    /// 1 while the relay refuses to start (the start check failed).
    pub relay_refused: Gauge,
    /// What the background loops report, for `/ready`.
    pub health: Health,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            events_appended: Counter::default(),
            participations: Family::default(),
            relay_published: Counter::default(),
            relay_publish_delay: delay_histogram(),
            relay_position: Gauge::default(),
            projector_applied: Family::default(),
            projector_delay: Family::new_with_constructor(delay_histogram),
            projector_gaps: Family::default(),
            projector_stalled: Family::default(),
            quarantined: Family::default(),
            relay_refused: Gauge::default(),
            health: Health::default(),
        }
    }
}

impl Metrics {
    pub fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("promo");
        r.register(
            "events_appended",
            "Domain events appended to the event store",
            self.events_appended.clone(),
        );
        r.register(
            "participations",
            "Participation requests by outcome",
            self.participations.clone(),
        );
        r.register(
            "relay_published",
            "Events published to JetStream by the relay",
            self.relay_published.clone(),
        );
        r.register(
            "relay_publish_delay_seconds",
            "Delay from event commit to JetStream acknowledgement (relay lag)",
            self.relay_publish_delay.clone(),
        );
        r.register(
            "relay_position",
            "Store position of the last event the relay published",
            self.relay_position.clone(),
        );
        r.register(
            "projector_applied",
            "Events applied by each projector",
            self.projector_applied.clone(),
        );
        r.register(
            "projector_delay_seconds",
            "Delay from event commit to read-model commit (projector lag)",
            self.projector_delay.clone(),
        );
        r.register(
            "projector_gaps",
            "Messages a projector held back because an earlier one was missing",
            self.projector_gaps.clone(),
        );
        r.register(
            "projector_stalled",
            "1 while a projector has not moved forward for longer than PROJECTOR_STALL_SECS, or halted",
            self.projector_stalled.clone(),
        );
        r.register(
            "quarantined",
            "Messages on the event stream that are not the event store's, set aside by a projector",
            self.quarantined.clone(),
        );
        r.register(
            "relay_refused",
            "1 while the relay refuses to start because the stream is not the database's",
            self.relay_refused.clone(),
        );
        r
    }

    /// Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry())
            .expect("writing to a String cannot fail");
        out
    }
}
