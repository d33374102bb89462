//! The full contacts of the entrants who consented to marketing, for the
//! participant export's `?contacts=marketing`. Who they are comes from the
//! participant list (ids only); the access is recorded as a
//! `PersonalDataAccessed` (`MARKETING_CONTACTS_EXPORT`) before anything is
//! opened; names and phones are then opened from the sealed registrations in
//! memory, a page at a time.

use chrono::{DateTime, Utc};
use promo_domain::access::AccessAction;
use promo_domain::entrant::PhoneNumber;
use promo_domain::privacy;
use promo_eventstore::registrations;
use promo_projections::participants::queries;
use uuid::Uuid;

use super::record_access;
use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// Participants read and opened per round trip.
const PAGE: i64 = 500;

/// An entrant who consented to marketing, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketingContact {
    pub entry_number: String,
    pub name: String,
    /// Formatted, e.g. 010-1234-5678.
    pub phone_number: String,
    pub participated_at: DateTime<Utc>,
}

/// The consenting entrants' full contacts, oldest entry first (owner only);
/// the access is recorded first. [`AppError::PersonalDataErased`] after the
/// erasure.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn marketing_contacts(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
) -> AppResult<Vec<MarketingContact>> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    if campaign.personal_data_erased_at.is_some() {
        return Err(AppError::PersonalDataErased);
    }
    let mut entrants = Vec::new();
    let mut after = None;
    loop {
        let page = queries::marketing_consent_page(&app.pool, campaign_id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.2, last.0));
        let full = page.len() as i64 == PAGE;
        entrants.extend(page);
        if !full {
            break;
        }
    }
    let ids: Vec<Uuid> = entrants.iter().map(|(id, _, _)| *id).collect();
    record_access(
        app,
        owner,
        &campaign,
        campaign_id,
        AccessAction::MarketingContactsExport,
        ids,
    )
    .await?;
    let key = app
        .secrets
        .get(campaign_id)
        .await
        .map_err(AppError::internal)?
        .and_then(|s| s.data.clone())
        .ok_or(AppError::PersonalDataErased)?
        .data_key();
    let mut contacts = Vec::with_capacity(entrants.len());
    for chunk in entrants.chunks(PAGE as usize) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _, _)| *id).collect();
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
        for (participant_id, entry_number, participated_at) in chunk {
            let (name, phone_number) = opened.remove(participant_id).ok_or_else(|| {
                AppError::internal(format!("participant {participant_id} has no registration"))
            })?;
            contacts.push(MarketingContact {
                entry_number: entry_number.clone(),
                name,
                phone_number,
                participated_at: *participated_at,
            });
        }
    }
    Ok(contacts)
}
