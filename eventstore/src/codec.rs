//! The one event decoder: the only place outside the domain that knows event
//! type strings and versions, and so the one upcasting hook.
//!
//! Everything that reads stored events (projectors, group commit, the draw's
//! frozen list, replay) goes through [`decode`]. A changed event shape bumps
//! the domain event's `event_version()`; the old version is then upcast here,
//! in [`decode`]'s match, into today's shape, and nowhere else.
//!
//! Where SQL must read payload fields for speed (a million registrations are
//! not decoded one by one), the JSON paths it uses live in [`sql`], beside
//! the decoder, and are tested against it.

pub mod sql;

use cqrs_es::Aggregate;
use promo_domain::campaign::{Campaign, CampaignEvent};
use promo_domain::draw::{Draw, DrawEvent};
use promo_domain::participation::{Participation, ParticipationEvent};
use promo_domain::performance::{CampaignPerformance, PerformanceEvent};

use crate::store::StoredEvent;

/// Every domain event the store holds, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    Campaign(CampaignEvent),
    Participation(ParticipationEvent),
    Draw(DrawEvent),
    Performance(PerformanceEvent),
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown aggregate type {0}")]
    UnknownAggregate(String),
    #[error("{aggregate_type} event {event_type} version {version} is not known to this build")]
    UnknownVersion {
        aggregate_type: String,
        event_type: String,
        version: String,
    },
    #[error("{event_type} does not decode: {reason}")]
    Malformed { event_type: String, reason: String },
}

/// The version registrations (and every event type not listed in
/// [`known_version`]) are written with today.
pub const CURRENT_VERSION: &str = "1";

/// Whether this build reads `(aggregate type, event type, version)`.
/// Version 2 of `CampaignPublished` and `WinnersDrawn` adds the draw/v2 rules
/// as new fields; version 1 payloads read into the same types (serde
/// defaults make them `DrawTerms::Legacy` / rules `None`), so both are read
/// by the same arm below. A shape change that serde cannot absorb gets an
/// explicit upcasting arm in [`decode`].
pub fn known_version(aggregate_type: &str, event_type: &str, version: &str) -> bool {
    match (aggregate_type, event_type) {
        ("Campaign", "CampaignPublished") | ("Draw", "WinnersDrawn") => {
            version == "1" || version == "2"
        }
        _ => version == CURRENT_VERSION,
    }
}

/// Decodes one stored event into its typed domain event.
pub fn decode(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    payload: &str,
) -> Result<DomainEvent, DecodeError> {
    let malformed = |e: serde_json::Error| DecodeError::Malformed {
        event_type: event_type.to_string(),
        reason: e.to_string(),
    };
    if !known_version(aggregate_type, event_type, event_version) {
        // The upcasting hook: map (type, old version) to today's shape here.
        return Err(DecodeError::UnknownVersion {
            aggregate_type: aggregate_type.to_string(),
            event_type: event_type.to_string(),
            version: event_version.to_string(),
        });
    }
    Ok(match aggregate_type {
        t if t == Campaign::TYPE => {
            DomainEvent::Campaign(serde_json::from_str(payload).map_err(malformed)?)
        }
        t if t == Participation::TYPE => {
            DomainEvent::Participation(serde_json::from_str(payload).map_err(malformed)?)
        }
        t if t == Draw::TYPE => {
            DomainEvent::Draw(serde_json::from_str(payload).map_err(malformed)?)
        }
        t if t == CampaignPerformance::TYPE => {
            DomainEvent::Performance(serde_json::from_str(payload).map_err(malformed)?)
        }
        other => return Err(DecodeError::UnknownAggregate(other.to_string())),
    })
}

/// A domain event enum that [`StoredEvent::decode_as`] can extract.
pub trait Decoded: Sized {
    fn from_domain(event: DomainEvent) -> Option<Self>;
}

macro_rules! decoded {
    ($variant:ident, $ty:ty) => {
        impl Decoded for $ty {
            fn from_domain(event: DomainEvent) -> Option<Self> {
                match event {
                    DomainEvent::$variant(e) => Some(e),
                    _ => None,
                }
            }
        }
    };
}
decoded!(Campaign, CampaignEvent);
decoded!(Participation, ParticipationEvent);
decoded!(Draw, DrawEvent);
decoded!(Performance, PerformanceEvent);

impl StoredEvent {
    /// This event, typed.
    pub fn decode(&self) -> Result<DomainEvent, DecodeError> {
        decode(
            &self.aggregate_type,
            &self.event_type,
            &self.event_version,
            self.payload.get(),
        )
    }

    /// This event as the given aggregate's event type; an event of another
    /// aggregate is an error.
    pub fn decode_as<T: Decoded>(&self) -> Result<T, DecodeError> {
        T::from_domain(self.decode()?).ok_or_else(|| DecodeError::Malformed {
            event_type: self.event_type.clone(),
            reason: format!(
                "not an event of the expected aggregate ({})",
                self.aggregate_type
            ),
        })
    }

    /// A participant's registration: the event runs of which read models
    /// fold set-based.
    pub fn is_registration(&self) -> bool {
        self.aggregate_type == Participation::TYPE
    }

    pub fn is_campaign_event(&self) -> bool {
        self.aggregate_type == Campaign::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_version_is_refused_rather_than_misread() {
        let error = decode("Campaign", "CampaignEnded", "2", "{}").unwrap_err();
        assert!(
            matches!(error, DecodeError::UnknownVersion { .. }),
            "{error}"
        );
    }

    #[test]
    fn both_versions_of_the_published_campaign_are_read() {
        assert!(known_version("Campaign", "CampaignPublished", "1"));
        assert!(known_version("Campaign", "CampaignPublished", "2"));
        assert!(!known_version("Campaign", "CampaignPublished", "3"));
        assert!(!known_version(
            "Participation",
            "ParticipantRegistered",
            "2"
        ));
    }

    #[test]
    fn an_unknown_aggregate_is_refused() {
        let error = decode("Nope", "X", CURRENT_VERSION, "{}").unwrap_err();
        assert!(matches!(error, DecodeError::UnknownAggregate(_)));
    }

    #[test]
    fn every_aggregate_type_of_the_domain_decodes() {
        let ended = r#"{"CampaignEnded":{"campaignId":"00000000-0000-0000-0000-000000000001","endedAt":"2025-01-01T00:00:00Z"}}"#;
        match decode(Campaign::TYPE, "CampaignEnded", CURRENT_VERSION, ended) {
            Ok(DomainEvent::Campaign(CampaignEvent::CampaignEnded { .. })) => {}
            other => panic!("{other:?}"),
        }
    }
}
