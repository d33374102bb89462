//! The campaign aggregate (a marketing promotion, "이벤트" in the seeds):
//! draft → published (ACTIVE) → ended. It owns the owner, the entry period,
//! the draw rules fixed at publication and the draw seed commitment.
//!
//! Module dependencies go one way: `objective` and `details` (plain values)
//! ← `commands`, `events` ← `rules` (the decisions) ← this aggregate.

mod commands;
mod details;
mod events;
mod objective;
mod rules;

pub use commands::{CampaignCommand, Eraser};
pub use details::{DrawTerms, PublishDetails, StoreInfo};
pub use events::{CampaignEvent, ErasureReason};
pub use objective::Objective;
pub use rules::RETENTION_ERASER;
// The draw rules are the protocol's (their bytes are committed to); the
// campaign publishes them.
pub use crate::draw_protocol::{DrawRules, DrawRulesError, DrawRulesInput, MAX_WINNER_COUNT};

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Lifecycle of a campaign as stored. `Active` past its `ends_at` is
/// reported as ended by [`Campaign::effective_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    #[default]
    Draft,
    Active,
    Ended,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "DRAFT",
            CampaignStatus::Active => "ACTIVE",
            CampaignStatus::Ended => "ENDED",
        }
    }
}

/// A broken campaign rule. Each variant maps to one stable API code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("유효하지 않은 이벤트 목적입니다: {0}")]
    InvalidObjective(String),
    #[error("매장 정보가 누락되었습니다: {0}")]
    StoreInfoMissing(&'static str),
    #[error("{field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("이미 존재하는 이벤트입니다")]
    AlreadyCreated,
    #[error("이벤트를 찾을 수 없습니다")]
    NotFound,
    #[error("이 이벤트에 대한 권한이 없습니다")]
    NotOwner,
    #[error("이미 게시된 이벤트입니다")]
    AlreadyPublished,
    #[error("진행 중인 이벤트가 아닙니다")]
    NotActive,
    #[error("초안 상태의 이벤트만 수정할 수 있습니다")]
    NotDraft,
    #[error("종료되지 않은 이벤트의 개인정보는 파기할 수 없습니다")]
    StillRunning,
}

impl From<DrawRulesError> for CampaignError {
    /// A broken draw rule is a 400 naming its field, like every other field.
    fn from(error: DrawRulesError) -> Self {
        CampaignError::InvalidField {
            field: error.field(),
            reason: error.reason(),
        }
    }
}

/// Current state, rebuilt from events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: Option<Uuid>,
    pub owner_id: String,
    pub objective: Option<Objective>,
    pub store: Option<StoreInfo>,
    pub status: CampaignStatus,
    pub details: Option<PublishDetails>,
    pub seed_commitment: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Set once the personal data is crypto-shredded.
    #[serde(default)]
    pub personal_data_erased_at: Option<DateTime<Utc>>,
}

/// What a participation needs to know about its campaign to accept an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryWindow {
    pub status: CampaignStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Campaign {
    pub fn exists(&self) -> bool {
        self.id.is_some()
    }

    /// `Active` campaigns whose period is over count as ended.
    pub fn effective_status(&self, now: DateTime<Utc>) -> CampaignStatus {
        match (&self.status, &self.details) {
            (CampaignStatus::Active, Some(d)) if now >= d.ends_at => CampaignStatus::Ended,
            (status, _) => *status,
        }
    }

    /// The entry window, once published.
    pub fn entry_window(&self) -> Option<EntryWindow> {
        self.details.as_ref().map(|d| EntryWindow {
            status: self.status,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
        })
    }
}

impl Aggregate for Campaign {
    const TYPE: &'static str = "Campaign";
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Error = CampaignError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in rules::decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CampaignEvent::CampaignDraftCreated {
                campaign_id,
                owner_id,
                objective,
                store,
                created_at,
            } => {
                self.id = Some(campaign_id);
                self.owner_id = owner_id;
                self.objective = Some(objective);
                self.store = Some(store);
                self.status = CampaignStatus::Draft;
                self.created_at = Some(created_at);
            }
            CampaignEvent::CampaignDraftEdited {
                objective, store, ..
            } => {
                self.objective = Some(objective);
                self.store = Some(store);
            }
            CampaignEvent::CampaignPublished {
                details,
                seed_commitment,
                ..
            } => {
                self.status = CampaignStatus::Active;
                self.details = Some(details);
                self.seed_commitment = Some(seed_commitment);
            }
            CampaignEvent::CampaignEnded { ended_at, .. } => {
                self.status = CampaignStatus::Ended;
                self.ended_at = Some(ended_at);
            }
            CampaignEvent::PersonalDataErased { erased_at, .. } => {
                self.personal_data_erased_at = Some(erased_at);
            }
        }
    }
}

#[cfg(test)]
mod tests;
