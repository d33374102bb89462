//! The personal-data access aggregate: every time unmasked personal data
//! is shown (a winner's full name and phone number for prize delivery), a
//! `PersonalDataAccessed` event records who saw whose data, when and why,
//! before anything is decrypted.
//!
//! One aggregate per access (id = a fresh access id), not one per campaign:
//! an audit trail grows with every look, and on the campaign aggregate it
//! would lengthen every load of the campaign (the entry path and group
//! commit read it) and make each look race the owner's campaign commands
//! for the stream. A single-event stream appends without contention and is
//! never loaded again; the access log read model gathers a campaign's
//! accesses. The rules here are the ones an access must pass: only the
//! campaign's owner, never after the data was erased, once per access id.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why unmasked personal data was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessAction {
    /// `GET /events/{id}/winners/contacts`: the current winners, to deliver prizes.
    WinnerContacts,
    /// The participant export with full contacts of entrants who consented
    /// to marketing (`?contacts=marketing`).
    MarketingContactsExport,
}

impl AccessAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessAction::WinnerContacts => "WINNER_CONTACTS",
            AccessAction::MarketingContactsExport => "MARKETING_CONTACTS_EXPORT",
        }
    }
}

/// What the rules need to know about the campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFacts {
    pub campaign_id: Uuid,
    pub owner_id: String,
    /// The campaign's personal data was crypto-shredded.
    pub personal_data_erased: bool,
}

/// `RecordAccess`: record that `accessed_by` is about to see the unmasked
/// personal data of `participant_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAccess {
    pub access_id: Uuid,
    pub campaign: AccessFacts,
    pub accessed_by: String,
    pub action: AccessAction,
    pub participant_ids: Vec<Uuid>,
    pub accessed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
pub enum AccessEvent {
    PersonalDataAccessed {
        access_id: Uuid,
        campaign_id: Uuid,
        accessed_by: String,
        action: AccessAction,
        participant_ids: Vec<Uuid>,
        accessed_at: DateTime<Utc>,
    },
}

impl DomainEvent for AccessEvent {
    fn event_type(&self) -> String {
        match self {
            AccessEvent::PersonalDataAccessed { .. } => "PersonalDataAccessed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// 403 `FORBIDDEN`.
    #[error("only the campaign's owner may see its personal data")]
    NotOwner,
    /// 410 `PII_ERASED`.
    #[error("개인정보가 파기되어 더 이상 볼 수 없습니다")]
    PersonalDataErased,
    /// The access id was used before (a fresh id per access; never expected).
    #[error("this access was recorded already")]
    AlreadyRecorded,
}

/// State: whether the access was recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDataAccess {
    pub recorded: bool,
}

/// Pure decision for an access.
pub fn decide_access(
    state: &PersonalDataAccess,
    command: RecordAccess,
) -> Result<AccessEvent, AccessError> {
    if state.recorded {
        return Err(AccessError::AlreadyRecorded);
    }
    if command.accessed_by != command.campaign.owner_id {
        return Err(AccessError::NotOwner);
    }
    if command.campaign.personal_data_erased {
        return Err(AccessError::PersonalDataErased);
    }
    Ok(AccessEvent::PersonalDataAccessed {
        access_id: command.access_id,
        campaign_id: command.campaign.campaign_id,
        accessed_by: command.accessed_by,
        action: command.action,
        participant_ids: command.participant_ids,
        accessed_at: command.accessed_at,
    })
}

impl Aggregate for PersonalDataAccess {
    const TYPE: &'static str = "PersonalDataAccess";
    type Command = RecordAccess;
    type Event = AccessEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = decide_access(self, command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            AccessEvent::PersonalDataAccessed { .. } => self.recorded = true,
        }
    }
}

#[cfg(test)]
mod tests;
