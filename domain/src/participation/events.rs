//! Domain events of the participation aggregate. Names never change; a
//! changed shape bumps `event_version()` and gets an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channel::Channel;
use crate::privacy::SealedPersonalData;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum ParticipationEvent {
    /// SPEC's `ParticipantRegistered` (참여정보 저장됨). Name and phone
    /// travel only inside `personal_data`, sealed under the campaign's key.
    ParticipantRegistered {
        participant_id: Uuid,
        campaign_id: Uuid,
        pid: String,
        entry_number: String,
        channel: Channel,
        store_visited: bool,
        bonus_entries: u8,
        agree_marketing: bool,
        personal_data: SealedPersonalData,
        registered_at: DateTime<Utc>,
    },
}

impl DomainEvent for ParticipationEvent {
    fn event_type(&self) -> String {
        match self {
            ParticipationEvent::ParticipantRegistered { .. } => "ParticipantRegistered",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
