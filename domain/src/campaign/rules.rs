//! The campaign's business rules as pure decisions: state + command → events.

use crate::draw_protocol::parse_hex32;

use super::commands::{CampaignCommand, Eraser};
use super::details::{DrawTerms, PublishDetails, StoreInfo};
use super::events::{CampaignEvent, ErasureReason};
use super::objective::Objective;
use super::{Campaign, CampaignError, CampaignStatus};

pub(super) fn decide(
    campaign: &Campaign,
    command: CampaignCommand,
) -> Result<Vec<CampaignEvent>, CampaignError> {
    match command {
        CampaignCommand::CreateDraft {
            campaign_id,
            owner_id,
            objective,
            store,
            created_at,
        } => {
            if campaign.exists() {
                return Err(CampaignError::AlreadyCreated);
            }
            let objective = Objective::parse(&objective)
                .ok_or_else(|| CampaignError::InvalidObjective(objective.clone()))?;
            let store = validate_store(store)?;
            Ok(vec![CampaignEvent::CampaignDraftCreated {
                campaign_id,
                owner_id,
                objective,
                store,
                created_at,
            }])
        }
        CampaignCommand::Publish {
            owner_id,
            details,
            seed_commitment,
            published_at,
        } => {
            let id = ensure_owner(campaign, &owner_id)?;
            if campaign.status != CampaignStatus::Draft {
                return Err(CampaignError::AlreadyPublished);
            }
            let details = validate_details(details)?;
            if details.ends_at <= published_at {
                return Err(CampaignError::InvalidField {
                    field: "endsAt",
                    reason: "이미 지난 시각입니다. 종료 시각은 지금 이후여야 합니다",
                });
            }
            // Published values are compared as exact strings: lowercase only.
            if parse_hex32(&seed_commitment).is_none() {
                return Err(CampaignError::InvalidField {
                    field: "seedCommitment",
                    reason: "소문자 16진수 64자여야 합니다",
                });
            }
            Ok(vec![CampaignEvent::CampaignPublished {
                campaign_id: id,
                details,
                seed_commitment,
                published_at,
            }])
        }
        CampaignCommand::EditDraft {
            owner_id,
            objective,
            store_name,
            industry,
            address,
            edited_at,
        } => {
            let id = ensure_owner(campaign, &owner_id)?;
            if campaign.status != CampaignStatus::Draft {
                return Err(CampaignError::NotDraft);
            }
            let objective = match objective {
                Some(text) => Objective::parse(&text)
                    .ok_or_else(|| CampaignError::InvalidObjective(text.clone()))?,
                None => campaign.objective.ok_or(CampaignError::NotFound)?,
            };
            let current = campaign.store.clone().ok_or(CampaignError::NotFound)?;
            let store = validate_store(StoreInfo {
                store_name: store_name.unwrap_or(current.store_name),
                industry: industry.unwrap_or(current.industry),
                address: address.unwrap_or(current.address),
            })?;
            Ok(vec![CampaignEvent::CampaignDraftEdited {
                campaign_id: id,
                objective,
                store,
                edited_at,
            }])
        }
        CampaignCommand::End { owner_id, ended_at } => {
            let id = ensure_owner(campaign, &owner_id)?;
            match campaign.status {
                CampaignStatus::Draft => Err(CampaignError::NotActive),
                // Ending twice is a no-op, so a retried request is harmless.
                CampaignStatus::Ended => Ok(vec![]),
                CampaignStatus::Active => Ok(vec![CampaignEvent::CampaignEnded {
                    campaign_id: id,
                    ended_at,
                }]),
            }
        }
        CampaignCommand::ErasePersonalData {
            requested_by,
            erased_at,
        } => {
            let (id, reason, erased_by) = match requested_by {
                Eraser::Owner(owner_id) => (
                    ensure_owner(campaign, &owner_id)?,
                    ErasureReason::OwnerRequest,
                    owner_id,
                ),
                Eraser::RetentionPolicy => (
                    campaign.id.ok_or(CampaignError::NotFound)?,
                    ErasureReason::RetentionExpired,
                    RETENTION_ERASER.to_string(),
                ),
            };
            if campaign.personal_data_erased_at.is_some() {
                // Erasing twice is a no-op, so retries and the retention
                // task racing an owner are harmless.
                return Ok(vec![]);
            }
            if campaign.effective_status(erased_at) != CampaignStatus::Ended {
                return Err(CampaignError::StillRunning);
            }
            Ok(vec![CampaignEvent::PersonalDataErased {
                campaign_id: id,
                reason,
                erased_by,
                erased_at,
            }])
        }
    }
}

/// `erased_by` of erasures made by the retention task.
pub const RETENTION_ERASER: &str = "system:retention";

fn ensure_owner(campaign: &Campaign, owner_id: &str) -> Result<uuid::Uuid, CampaignError> {
    let id = campaign.id.ok_or(CampaignError::NotFound)?;
    if campaign.owner_id != owner_id {
        return Err(CampaignError::NotOwner);
    }
    Ok(id)
}

fn validate_store(store: StoreInfo) -> Result<StoreInfo, CampaignError> {
    let trimmed = StoreInfo {
        store_name: store.store_name.trim().to_string(),
        industry: store.industry.trim().to_string(),
        address: store.address.trim().to_string(),
    };
    for (field, value) in [
        ("storeName", &trimmed.store_name),
        ("industry", &trimmed.industry),
        ("address", &trimmed.address),
    ] {
        if value.is_empty() {
            return Err(CampaignError::StoreInfoMissing(field));
        }
        if value.chars().count() > 200 {
            return Err(CampaignError::InvalidField {
                field,
                reason: "200자 이하여야 합니다",
            });
        }
    }
    Ok(trimmed)
}

fn validate_details(details: PublishDetails) -> Result<PublishDetails, CampaignError> {
    let invalid = |field, reason| Err(CampaignError::InvalidField { field, reason });
    let title = details.title.trim().to_string();
    let prize = details.prize.trim().to_string();
    if title.is_empty() {
        return invalid("title", "비어 있을 수 없습니다");
    }
    if title.chars().count() > 100 {
        return invalid("title", "100자 이하여야 합니다");
    }
    if prize.is_empty() {
        return invalid("prize", "비어 있을 수 없습니다");
    }
    if prize.chars().count() > 200 {
        return invalid("prize", "200자 이하여야 합니다");
    }
    if details.ends_at <= details.starts_at {
        return invalid("endsAt", "시작 시각(startsAt) 이후여야 합니다");
    }
    if details.announcement_at < details.ends_at {
        return invalid("announcementAt", "종료 시각(endsAt) 이후여야 합니다");
    }
    if let DrawTerms::Legacy { .. } = details.draw {
        // Only events written before draw/v2 hold legacy terms; a new
        // publication always fixes the rules (they are parsed, with their
        // ranges, into `DrawRules` before they get here).
        return invalid("visitBonus", "추첨 조건은 이벤트 발행 시 확정해야 합니다");
    }
    if details.channels.is_empty() {
        return invalid("channels", "참여 경로를 하나 이상 지정해야 합니다");
    }
    let mut channels = details.channels.clone();
    channels.sort();
    channels.dedup();
    if channels.len() != details.channels.len() {
        return invalid("channels", "같은 참여 경로를 두 번 지정할 수 없습니다");
    }
    Ok(PublishDetails {
        title,
        prize,
        ..details
    })
}
