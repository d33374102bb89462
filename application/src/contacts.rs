//! The winners' contacts for prize delivery, and the access log.
//!
//! The full name and phone number of the current winners (promoted
//! alternates included) are opened from their sealed registrations in the
//! event store, in memory, on every request; no read model ever holds them.
//! Before anything is opened, the access is recorded as a
//! `PersonalDataAccessed` event (who, when, whose data): if that cannot be
//! recorded, nothing is shown. After the campaign's personal data was
//! erased there is nothing left to open: [`AppError::PersonalDataErased`].

use chrono::{DateTime, Utc};
use promo_domain::access::{AccessAction, AccessError, AccessFacts, RecordAccess};
use promo_domain::campaign::Campaign;
use promo_domain::draw::claims::ClaimStatus;
use promo_domain::entrant::PhoneNumber;
use promo_domain::privacy;
use promo_eventstore::registrations;
use promo_projections::access_log::queries::{self as access_log, AccessEntry};
use promo_projections::notifications::outbox::{self, DeliveryStatus};
use promo_projections::notifications::NotificationKind;
use uuid::Uuid;

use crate::campaigns;
use crate::claims;
use crate::context::App;
use crate::error::{AppError, AppResult};

mod marketing;
pub use marketing::{marketing_contacts, MarketingContact};

/// Records `owner`'s access to the personal data of `participant_ids` as a
/// `PersonalDataAccessed` event; nothing may be opened unless this succeeds.
async fn record_access(
    app: &App,
    owner: &str,
    campaign: &Campaign,
    campaign_id: Uuid,
    action: AccessAction,
    participant_ids: Vec<Uuid>,
) -> AppResult<()> {
    app.commands
        .access(RecordAccess {
            access_id: Uuid::new_v4(),
            campaign: AccessFacts {
                campaign_id,
                owner_id: campaign.owner_id.clone(),
                personal_data_erased: campaign.personal_data_erased_at.is_some(),
            },
            accessed_by: owner.to_string(),
            action,
            participant_ids,
            accessed_at: app.now(),
        })
        .await
        .map_err(|e| {
            AppError::from_aggregate(e, || AppError::internal("a fresh access id collided"))
        })
        .map_err(|e| match e {
            AppError::Access(AccessError::PersonalDataErased) => AppError::PersonalDataErased,
            other => other,
        })
}

/// A current winner, unmasked.
#[derive(Debug, Clone)]
pub struct WinnerContact {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
    pub name: String,
    /// `010-1234-5678`.
    pub phone_number: String,
    pub claim_status: ClaimStatus,
    pub claim_deadline: DateTime<Utc>,
    /// The winner notice's delivery, once the notifications projector has it.
    pub notification: Option<DeliveryStatus>,
}

/// The current winners' full contacts, rank 1 first (owner only); the
/// access is recorded first.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn winner_contacts(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
) -> AppResult<Vec<WinnerContact>> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    let board = claims::board_of(app, campaign_id, &campaign).await?;
    let holders: Vec<_> = board.claims.holders().collect();
    let ids: Vec<Uuid> = holders.iter().map(|(_, h)| h.participant_id).collect();
    record_access(
        app,
        owner,
        &campaign,
        campaign_id,
        AccessAction::WinnerContacts,
        ids.clone(),
    )
    .await?;

    // The key may have been destroyed since the check above (an erasure
    // racing this request): then nothing opens, and nothing is shown.
    let key = app
        .secrets
        .get(campaign_id)
        .await
        .map_err(AppError::internal)?
        .and_then(|s| s.data.clone())
        .ok_or(AppError::PersonalDataErased)?
        .data_key();
    let sealed = registrations::sealed_personal_data(&app.pool, campaign_id, &ids)
        .await
        .map_err(AppError::internal)?;
    let mut opened = std::collections::HashMap::with_capacity(sealed.len());
    for (participant_id, data) in sealed {
        let data = privacy::open(&key, participant_id, &data)
            .map_err(|e| AppError::internal(format!("participant {participant_id}: {e}")))?;
        let phone = PhoneNumber::parse(&data.phone)
            .map_err(|e| AppError::internal(format!("participant {participant_id}: {e}")))?;
        opened.insert(participant_id, (data.name, phone.formatted()));
    }
    let notifications =
        outbox::statuses(&app.pool, campaign_id, NotificationKind::Winner, &ids).await?;
    holders
        .into_iter()
        .map(|(prize, holder)| {
            let (name, phone_number) = opened.remove(&holder.participant_id).ok_or_else(|| {
                AppError::internal(format!(
                    "winner {} has no registration",
                    holder.participant_id
                ))
            })?;
            Ok(WinnerContact {
                rank: prize.rank,
                participant_id: holder.participant_id,
                entry_number: holder.entry_number.clone(),
                name,
                phone_number,
                claim_status: holder.status,
                claim_deadline: holder.deadline(board.campaign_deadline),
                notification: notifications.get(&holder.participant_id).cloned(),
            })
        })
        .collect()
}

/// Every access to the campaign's unmasked personal data, oldest first
/// (owner only).
pub async fn access_log(app: &App, owner: &str, campaign_id: Uuid) -> AppResult<Vec<AccessEntry>> {
    campaigns::owned(app, campaign_id, owner).await?;
    Ok(access_log::entries(&app.pool, campaign_id).await?)
}
