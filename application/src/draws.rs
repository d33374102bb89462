//! The prize draw, once per campaign, after it ended; and reading the
//! recorded draw (from the draw log, or from the event store while the log
//! has not caught up).
//!
//! Drawing, step by step:
//! 1. The owner, the campaign's end and "not drawn yet" are checked first
//!    (the same pure rule the aggregate applies), before any heavy reading.
//! 2. The campaign is recorded as ended (if only its end time had passed)
//!    and the entry batches holding it are waited for (a per-campaign lock,
//!    not a scan of every transaction); then the frozen entrant list is
//!    read from the event store.
//! 3. The canonical list text is stored under its own SHA-256 before the
//!    draw is recorded (see `promo_eventstore::registrations`).
//! 4. The `Draw` aggregate (id = campaign id) decides and records
//!    `WinnersDrawn`. The event store's primary key admits one such event per
//!    campaign: a concurrent loser gets a conflict, reported as already drawn.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use promo_domain::campaign::{Campaign, CampaignCommand, CampaignStatus};
use promo_domain::draw::{
    canonical_list, draw_algorithm, ensure_may_draw, CampaignFacts, Draw, DrawCommand, DrawError,
    DrawRecord, RunDraw,
};
use promo_eventstore::group_commit::entries_barrier;
use promo_eventstore::registrations;
use promo_projections::participants::masked_personal_data;
use promo_projections::participants::queries::masked_of;
use uuid::Uuid;

use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// `DrawWinners`: what the owner asks for.
pub struct DrawWinners {
    pub owner: String,
    pub campaign_id: Uuid,
    /// The terms the request named, if any: they must equal the published
    /// rules (draw/v2); campaigns published before take them from here.
    pub winner_count: Option<u32>,
    pub visit_bonus: Option<bool>,
}

#[tracing::instrument(skip_all, fields(campaign_id = %input.campaign_id))]
pub async fn draw_winners(app: &App, input: DrawWinners) -> AppResult<DrawRecord> {
    let campaign_id = input.campaign_id;
    let campaign = campaigns::owned(app, campaign_id, &input.owner).await?;
    let facts = CampaignFacts::of(campaign_id, &campaign);
    let now = app.now();
    ensure_may_draw(&load(app, campaign_id).await?, &facts, &input.owner, now)?;

    let server_seed = app
        .secrets
        .get(campaign_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::internal(format!("campaign {campaign_id} has no secrets")))?
        .draw_seed;
    close_entries(app, &campaign, campaign_id, &input.owner, now).await?;
    let entrants = registrations::frozen_entrants(&app.pool, campaign_id)
        .await
        .map_err(AppError::internal)?;
    if let Ok(list) = canonical_list(&entrants, draw_algorithm(&facts, input.visit_bonus)) {
        registrations::store_entrant_list(&app.pool, campaign_id, &list)
            .await
            .map_err(AppError::internal)?;
    }
    let run = RunDraw {
        draw_id: Uuid::new_v4(),
        requested_by: input.owner,
        campaign: facts,
        winner_count: input.winner_count,
        visit_bonus: input.visit_bonus,
        server_seed,
        entrants,
        drawn_at: now,
    };
    app.commands
        .draw(campaign_id, DrawCommand::RunDraw(Box::new(run)))
        .await
        // Sequence 1 of this campaign's draw was taken by a concurrent request.
        .map_err(|e| AppError::from_aggregate(e, || DrawError::AlreadyDrawn.into()))?;
    load(app, campaign_id)
        .await?
        .record
        .ok_or_else(|| AppError::internal("a recorded draw did not load"))
}

/// Makes the entrant list final: a campaign past its end time but not yet
/// ended is recorded as ended now, then the draw waits for the entry
/// batches that already hold the campaign ([`entries_barrier`]). Every
/// later batch reads the campaign ended, whatever any clock says.
async fn close_entries(
    app: &App,
    campaign: &Campaign,
    campaign_id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if campaign.status == CampaignStatus::Active {
        app.commands
            .campaign(
                campaign_id,
                CampaignCommand::End {
                    owner_id: owner.to_string(),
                    ended_at: now,
                },
            )
            .await
            .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))?;
    }
    entries_barrier(&app.pool, campaign_id).await?;
    Ok(())
}

/// The campaign's draw as recorded in the event store (empty if none).
async fn load(app: &App, campaign_id: Uuid) -> AppResult<Draw> {
    app.load(&campaign_id.to_string()).await
}

/// The recorded draw: from the draw log read model, or, while that has not
/// caught up yet, from the event store. `None` if there is no draw.
pub async fn record(app: &App, campaign_id: Uuid) -> AppResult<Option<DrawRecord>> {
    match promo_projections::draws::queries::record(&app.pool, campaign_id).await? {
        Some(record) => Ok(Some(record)),
        None => Ok(load(app, campaign_id).await?.record),
    }
}

/// The recorded draw, or [`AppError::NoDrawYet`].
pub async fn require_record(app: &App, campaign_id: Uuid) -> AppResult<DrawRecord> {
    record(app, campaign_id).await?.ok_or(AppError::NoDrawYet)
}

/// Masked name and phone of a participant.
#[derive(Debug, Clone, Default)]
pub struct Masked {
    pub name: String,
    pub phone: String,
}

/// Masked personal data of the given participants: from the participant
/// list read model, and for any it does not hold yet, opened from their
/// sealed registration in the event store and masked the same way.
pub async fn masked_entrants(
    app: &App,
    campaign_id: Uuid,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Masked>> {
    let mut masked: HashMap<Uuid, Masked> = masked_of(&app.pool, campaign_id, ids)
        .await?
        .into_iter()
        .map(|(id, name, phone)| (id, Masked { name, phone }))
        .collect();
    let missing: Vec<Uuid> = ids
        .iter()
        .filter(|id| !masked.contains_key(id))
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(masked);
    }
    let sealed = registrations::sealed_personal_data(&app.pool, campaign_id, &missing)
        .await
        .map_err(AppError::internal)?;
    for (participant_id, sealed) in sealed {
        let opened = masked_personal_data(&app.secrets, campaign_id, participant_id, &sealed)
            .await
            .map_err(AppError::internal)?;
        masked.insert(
            participant_id,
            Masked {
                name: opened.name,
                phone: opened.phone,
            },
        );
    }
    Ok(masked)
}
