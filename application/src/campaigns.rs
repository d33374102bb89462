//! Campaign use cases: create a draft, publish it (committing to the draw
//! seed), end it; and reading a campaign from the event store for the rules
//! that need it now (ownership, the entry window).

use std::sync::Arc;

use promo_domain::campaign::{
    Campaign, CampaignCommand, CampaignStatus, DrawTerms, PublishDetails, StoreInfo,
};
use promo_domain::draw_protocol;
use uuid::Uuid;

use crate::context::App;
use crate::error::{AppError, AppResult};

/// The campaign as stored; 404 when there is none.
pub async fn load(app: &App, campaign_id: Uuid) -> AppResult<Campaign> {
    let campaign: Campaign = app.load(&campaign_id.to_string()).await?;
    if !campaign.exists() {
        return Err(AppError::CampaignNotFound);
    }
    Ok(campaign)
}

/// The campaign, if `owner` owns it: not found, or not the owner.
pub async fn owned(app: &App, campaign_id: Uuid, owner: &str) -> AppResult<Campaign> {
    let campaign = load(app, campaign_id).await?;
    if campaign.owner_id != owner {
        return Err(AppError::NotOwner);
    }
    Ok(campaign)
}

/// Like [`load`], but an ACTIVE campaign may come from a cache up to
/// [`crate::campaign_cache::CAMPAIGN_CACHE_TTL`] old (the entry path's early
/// checks only).
pub async fn load_active_cached(app: &App, campaign_id: Uuid) -> AppResult<Arc<Campaign>> {
    if let Some(hit) = app.campaign_cache.get(campaign_id).await {
        return Ok(hit);
    }
    let campaign = Arc::new(load(app, campaign_id).await?);
    if campaign.status == CampaignStatus::Active {
        app.campaign_cache.put(campaign_id, campaign.clone()).await;
    }
    Ok(campaign)
}

/// `CreateDraft`: a new campaign with its objective and store.
pub struct CreateDraft {
    pub owner: String,
    /// The `userId` the request named, if any: it must be the owner.
    pub claimed_user_id: Option<String>,
    pub objective: String,
    pub store: StoreInfo,
}

#[tracing::instrument(skip_all, fields(owner = %input.owner))]
/// Returns the new campaign's id and state.
pub async fn create_draft(app: &App, input: CreateDraft) -> AppResult<(Uuid, Campaign)> {
    if input
        .claimed_user_id
        .as_ref()
        .is_some_and(|claimed| *claimed != input.owner)
    {
        return Err(AppError::NotOwner);
    }
    check_texts(&[
        ("storeName", Some(&input.store.store_name)),
        ("industry", Some(&input.store.industry)),
        ("address", Some(&input.store.address)),
        ("objective", Some(&input.objective)),
    ])?;
    let campaign_id = Uuid::new_v4();
    app.commands
        .campaign(
            campaign_id,
            CampaignCommand::CreateDraft {
                campaign_id,
                owner_id: input.owner,
                objective: input.objective,
                store: input.store,
                created_at: app.now(),
            },
        )
        .await
        .map_err(|e| {
            AppError::from_aggregate(e, || AppError::internal("fresh campaign id collided"))
        })?;
    Ok((campaign_id, load(app, campaign_id).await?))
}

/// Publishing opens the campaign for entries and returns the seed
/// commitment it recorded.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn publish(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    details: PublishDetails,
) -> AppResult<String> {
    check_texts(&[
        ("title", Some(&details.title)),
        ("prize", Some(&details.prize)),
    ])?;
    owned(app, campaign_id, owner).await?;
    let secrets = app
        .secrets
        .ensure(campaign_id)
        .await
        .map_err(AppError::internal)?;
    // draw/v2: the rules are bound into the commitment, so nobody who knows
    // the server seed can choose them later (docs/draw-protocol.md).
    let commitment = match &details.draw {
        DrawTerms::Fixed(rules) => {
            draw_protocol::v2::commitment(&campaign_id, rules, &secrets.draw_seed)
        }
        DrawTerms::Legacy { .. } => draw_protocol::v1::commitment(&campaign_id, &secrets.draw_seed),
    };
    let seed_commitment = hex::encode(commitment);
    app.commands
        .campaign(
            campaign_id,
            CampaignCommand::Publish {
                owner_id: owner.to_string(),
                details,
                seed_commitment: seed_commitment.clone(),
                published_at: app.now(),
            },
        )
        .await
        .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))?;
    Ok(seed_commitment)
}

/// Ends an active campaign early; ending twice is harmless.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn end(app: &App, owner: &str, campaign_id: Uuid) -> AppResult<()> {
    owned(app, campaign_id, owner).await?;
    app.commands
        .campaign(
            campaign_id,
            CampaignCommand::End {
                owner_id: owner.to_string(),
                ended_at: app.now(),
            },
        )
        .await
        .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))
}

/// `EditDraft`: changes a draft's objective or store; `None` keeps a field.
#[derive(Debug, Default)]
pub struct DraftChanges {
    pub objective: Option<String>,
    pub store_name: Option<String>,
    pub industry: Option<String>,
    pub address: Option<String>,
}

#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn edit_draft(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    changes: DraftChanges,
) -> AppResult<Campaign> {
    check_texts(&[
        ("storeName", changes.store_name.as_ref()),
        ("industry", changes.industry.as_ref()),
        ("address", changes.address.as_ref()),
        ("objective", changes.objective.as_ref()),
    ])?;
    owned(app, campaign_id, owner).await?;
    app.commands
        .campaign(
            campaign_id,
            CampaignCommand::EditDraft {
                owner_id: owner.to_string(),
                objective: changes.objective,
                store_name: changes.store_name,
                industry: changes.industry,
                address: changes.address,
                edited_at: app.now(),
            },
        )
        .await
        .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))?;
    load(app, campaign_id).await
}

/// Every free-text field by the one text rule ([`promo_domain::text`]),
/// naming the first field that breaks it.
fn check_texts(fields: &[(&str, Option<&String>)]) -> AppResult<()> {
    for (field, value) in fields {
        if let Some(Err(e)) = value.map(|v| promo_domain::text::check(v)) {
            return Err(AppError::invalid(*field, e.reason_ko()));
        }
    }
    Ok(())
}
