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
use promo_domain::access::{AccessEvent, PersonalDataAccess};
use promo_domain::campaign::{Campaign, CampaignEvent};
use promo_domain::draw::{Draw, DrawEvent};
use promo_domain::notification::{NotificationDelivery, NotificationEvent};
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
    /// A look at unmasked personal data (the access log).
    Access(AccessEvent),
    /// The outcome of an attempt to deliver a notification.
    Notification(NotificationEvent),
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
///
/// The prize delivery events (claims and substitution on `Draw`, the
/// access log, notification delivery) exist at version 1 only.
pub fn known_version(aggregate_type: &str, event_type: &str, version: &str) -> bool {
    match (aggregate_type, event_type) {
        ("Campaign", "CampaignPublished") | ("Draw", "WinnersDrawn") => {
            version == "1" || version == "2"
        }
        ("Draw", "PrizeClaimed" | "PrizeForfeited" | "AlternatePromoted" | "PrizeUnawarded")
        | ("PersonalDataAccess", "PersonalDataAccessed")
        | ("Notification", "NotificationSent" | "NotificationFailed") => version == "1",
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
        t if t == PersonalDataAccess::TYPE => {
            DomainEvent::Access(serde_json::from_str(payload).map_err(malformed)?)
        }
        t if t == NotificationDelivery::TYPE => {
            DomainEvent::Notification(serde_json::from_str(payload).map_err(malformed)?)
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
decoded!(Access, AccessEvent);
decoded!(Notification, NotificationEvent);

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

    /// Each prize delivery event, as cqrs-es stores it (type, version and
    /// payload from the domain), is known and decodes back to itself. Long
    /// because it lists one sample of every new event in one table, so the
    /// next one is added here, beside the others.
    #[test]
    fn the_prize_delivery_events_decode_at_their_versions() {
        use chrono::{TimeZone, Utc};
        use cqrs_es::DomainEvent as _;
        use promo_domain::access::AccessAction;
        use promo_domain::draw::claims::{
            AlternatePromoted, ForfeitCause, PrizeClaimed, PrizeForfeited, PrizeUnawarded,
        };
        use promo_domain::notification::NotificationKind;
        use uuid::Uuid;

        let at = Utc.with_ymd_and_hms(2025, 11, 2, 0, 0, 0).unwrap();
        let (campaign_id, participant_id) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let draws = [
            DrawEvent::PrizeClaimed(PrizeClaimed {
                campaign_id,
                participant_id,
                rank: 1,
                claimed_by: "owner".into(),
                claimed_at: at,
            }),
            DrawEvent::PrizeForfeited(PrizeForfeited {
                campaign_id,
                participant_id,
                rank: 1,
                cause: ForfeitCause::OwnerDecision,
                reason: "연락 두절".into(),
                forfeited_by: "owner".into(),
                forfeited_at: at,
            }),
            DrawEvent::AlternatePromoted(AlternatePromoted {
                campaign_id,
                rank: 1,
                participant_id,
                pid: "ab".repeat(32),
                entry_number: "EVT1-20251101-001".into(),
                alternate_rank: 4,
                claim_deadline: at,
                promoted_at: at,
            }),
            DrawEvent::PrizeUnawarded(PrizeUnawarded {
                campaign_id,
                rank: 1,
                unawarded_at: at,
            }),
        ];
        let mut stored: Vec<(&str, DomainEvent, String, String, String)> = draws
            .into_iter()
            .map(|e| {
                let json = serde_json::to_string(&e).unwrap();
                (
                    Draw::TYPE,
                    DomainEvent::Draw(e.clone()),
                    e.event_type(),
                    e.event_version(),
                    json,
                )
            })
            .collect();
        let access = AccessEvent::PersonalDataAccessed {
            access_id: Uuid::from_u128(3),
            campaign_id,
            accessed_by: "owner".into(),
            action: AccessAction::WinnerContacts,
            participant_ids: vec![participant_id],
            accessed_at: at,
        };
        stored.push((
            PersonalDataAccess::TYPE,
            DomainEvent::Access(access.clone()),
            access.event_type(),
            access.event_version(),
            serde_json::to_string(&access).unwrap(),
        ));
        for notification in [
            NotificationEvent::NotificationSent {
                campaign_id,
                participant_id,
                kind: NotificationKind::Winner,
                attempt: 2,
                http_status: 202,
                sent_at: at,
            },
            NotificationEvent::NotificationFailed {
                campaign_id,
                participant_id,
                kind: NotificationKind::EntryConfirmed,
                attempt: 1,
                reason: "timeout".into(),
                is_final: false,
                failed_at: at,
            },
        ] {
            stored.push((
                NotificationDelivery::TYPE,
                DomainEvent::Notification(notification.clone()),
                notification.event_type(),
                notification.event_version(),
                serde_json::to_string(&notification).unwrap(),
            ));
        }
        for (aggregate, expected, event_type, version, payload) in stored {
            assert!(
                known_version(aggregate, &event_type, &version),
                "{event_type}"
            );
            assert!(!known_version(aggregate, &event_type, "2"), "{event_type}");
            let decoded = decode(aggregate, &event_type, &version, &payload).unwrap();
            assert_eq!(decoded, expected);
        }
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
