//! The participation aggregate: one per (campaign, entrant), identified by
//! the entrant's pseudonymous id, so that the event store's primary key
//! itself makes a second entry impossible, even when requests race.

mod events;

pub use events::ParticipationEvent;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::campaign::{CampaignStatus, EntryWindow};
use crate::channel::Channel;
use crate::privacy::SealedPersonalData;

/// Bonus entries for a store visit (SPEC: 1 base, 3 when visited).
pub const BONUS_ENTRIES_VISITED: u8 = 3;
pub const BONUS_ENTRIES_BASE: u8 = 1;

pub fn bonus_entries(store_visited: bool) -> u8 {
    if store_visited {
        BONUS_ENTRIES_VISITED
    } else {
        BONUS_ENTRIES_BASE
    }
}

/// `RegisterParticipant`: everything arrives already parsed, sealed and
/// stamped (time, ids, entry number) by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterParticipant {
    pub participant_id: Uuid,
    pub campaign_id: Uuid,
    /// Hex pseudonymous id (keyed hash of the normalised phone).
    pub pid: String,
    pub entry_number: String,
    pub channel: Channel,
    pub store_visited: bool,
    pub agree_privacy: bool,
    pub agree_marketing: bool,
    pub personal_data: SealedPersonalData,
    pub campaign: EntryWindow,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParticipationCommand {
    Register(Box<RegisterParticipant>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParticipationError {
    #[error("이미 참여하신 이벤트입니다")]
    AlreadyEntered,
    #[error("개인정보 수집 및 이용에 동의해야 참여할 수 있습니다")]
    PrivacyConsentRequired,
    #[error("참여 기간이 아닌 이벤트입니다")]
    CampaignNotOpen,
    #[error("종료된 이벤트입니다")]
    CampaignEnded,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Participation {
    pub participant_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub entry_number: Option<String>,
    pub bonus_entries: u8,
}

/// Pure rule: may an entry be accepted now?
pub fn ensure_entry_window_open(
    window: &EntryWindow,
    now: DateTime<Utc>,
) -> Result<(), ParticipationError> {
    match window.status {
        CampaignStatus::Draft => Err(ParticipationError::CampaignNotOpen),
        CampaignStatus::Ended => Err(ParticipationError::CampaignEnded),
        CampaignStatus::Active if now >= window.ends_at => Err(ParticipationError::CampaignEnded),
        CampaignStatus::Active if now < window.starts_at => {
            Err(ParticipationError::CampaignNotOpen)
        }
        CampaignStatus::Active => Ok(()),
    }
}

/// Pure decision for a registration.
pub fn decide_registration(
    state: &Participation,
    command: RegisterParticipant,
) -> Result<ParticipationEvent, ParticipationError> {
    if state.participant_id.is_some() {
        return Err(ParticipationError::AlreadyEntered);
    }
    if !command.agree_privacy {
        return Err(ParticipationError::PrivacyConsentRequired);
    }
    ensure_entry_window_open(&command.campaign, command.registered_at)?;
    Ok(ParticipationEvent::ParticipantRegistered {
        participant_id: command.participant_id,
        campaign_id: command.campaign_id,
        pid: command.pid,
        entry_number: command.entry_number,
        channel: command.channel,
        store_visited: command.store_visited,
        bonus_entries: bonus_entries(command.store_visited),
        agree_marketing: command.agree_marketing,
        personal_data: command.personal_data,
        registered_at: command.registered_at,
    })
}

impl Aggregate for Participation {
    const TYPE: &'static str = "Participation";
    type Command = ParticipationCommand;
    type Event = ParticipationEvent;
    type Error = ParticipationError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            ParticipationCommand::Register(register) => {
                let event = decide_registration(self, *register)?;
                sink.write(event, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ParticipationEvent::ParticipantRegistered {
                participant_id,
                campaign_id,
                entry_number,
                bonus_entries,
                ..
            } => {
                self.participant_id = Some(participant_id);
                self.campaign_id = Some(campaign_id);
                self.entry_number = Some(entry_number);
                self.bonus_entries = bonus_entries;
            }
        }
    }
}

#[cfg(test)]
mod tests;
