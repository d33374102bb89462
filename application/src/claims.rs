//! Prize delivery use cases: the owner's view of the prizes, claiming,
//! forfeiting with substitution from the published alternates, and the
//! automatic forfeit once a claim deadline passed. The decisions are the
//! draw aggregate's (`promo_domain::draw::claims`); these load the
//! campaign, stamp the time and execute through the command service.
//!
//! The owner's view is read from the draw aggregate itself (one campaign's
//! stream, a few events per prize): a claim the owner just recorded shows
//! at once. Scans across campaigns (the deadline job) read the prizes read
//! model instead.

use chrono::{DateTime, Utc};
use cqrs_es::AggregateError;
use promo_domain::campaign::Campaign;
use promo_domain::draw::claims::{
    campaign_claim_deadline, claim_days, ClaimFacts, ClaimPrize, ClaimStatus, Claims, ForfeitPrize,
    Forfeiter, Standing,
};
use promo_domain::draw::{Draw, DrawCommand, DrawError, DrawRecord};
use uuid::Uuid;

use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// Tries per command when a concurrent claim or forfeit of the same
/// campaign won the race; each try decides again on fresh state.
const CONFLICT_RETRIES: usize = 3;

/// A campaign's prizes as recorded now.
#[derive(Debug, Clone)]
pub struct PrizeBoard {
    pub record: DrawRecord,
    pub claims: Claims,
    /// The drawn winners' claim deadline (a promoted alternate has its own).
    pub campaign_deadline: DateTime<Utc>,
}

/// Who took a freed prize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub rank: u32,
    pub participant_id: Uuid,
    pub entry_number: String,
}

fn facts(campaign: &Campaign) -> AppResult<ClaimFacts> {
    let details = campaign
        .details
        .as_ref()
        .ok_or(AppError::Draw(DrawError::NotDrawn))?;
    Ok(ClaimFacts {
        owner_id: campaign.owner_id.clone(),
        announcement_at: details.announcement_at,
    })
}

async fn load_draw(app: &App, campaign_id: Uuid) -> AppResult<Draw> {
    app.load(&campaign_id.to_string()).await
}

/// The board of a loaded campaign; [`AppError::NoDrawYet`] before the draw.
pub(crate) async fn board_of(
    app: &App,
    campaign_id: Uuid,
    campaign: &Campaign,
) -> AppResult<PrizeBoard> {
    let draw = load_draw(app, campaign_id).await?;
    let record = draw.record.ok_or(AppError::NoDrawYet)?;
    let announcement_at = facts(campaign)?.announcement_at;
    Ok(PrizeBoard {
        campaign_deadline: campaign_claim_deadline(announcement_at, claim_days(&record)),
        record,
        claims: draw.claims,
    })
}

/// The owner's view of the prizes (owner only).
pub async fn board(app: &App, owner: &str, campaign_id: Uuid) -> AppResult<PrizeBoard> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    board_of(app, campaign_id, &campaign).await
}

/// Executes a draw command, deciding again after a lost race.
async fn execute(app: &App, campaign_id: Uuid, command: impl Fn() -> DrawCommand) -> AppResult<()> {
    let mut tries = 0;
    loop {
        tries += 1;
        match app.commands.draw(campaign_id, command()).await {
            Err(AggregateError::AggregateConflict) if tries < CONFLICT_RETRIES => continue,
            result => {
                return result
                    .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))
            }
        }
    }
}

/// `ClaimPrize`: the winner received the prize. Answers the claim's rank and time.
#[tracing::instrument(skip_all, fields(%campaign_id, %participant_id))]
pub async fn claim(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    participant_id: Uuid,
) -> AppResult<(u32, DateTime<Utc>)> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    let facts = facts(&campaign)?;
    let now = app.now();
    execute(app, campaign_id, || {
        DrawCommand::ClaimPrize(ClaimPrize {
            participant_id,
            requested_by: owner.to_string(),
            campaign: facts.clone(),
            claimed_at: now,
        })
    })
    .await?;
    let board = board_of(app, campaign_id, &campaign).await?;
    match board.claims.standing(participant_id) {
        Standing::Holding(prize, holder) if holder.status == ClaimStatus::Claimed => {
            Ok((prize.rank, holder.claimed_at.unwrap_or(now)))
        }
        _ => Err(AppError::internal("a recorded claim did not load")),
    }
}

/// `ForfeitPrize` by the owner: answers who took the freed rank (`None`:
/// no alternate was left, the prize is unawarded). A repeat answers the
/// same.
#[tracing::instrument(skip_all, fields(%campaign_id, %participant_id))]
pub async fn forfeit(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    participant_id: Uuid,
    reason: String,
) -> AppResult<Option<Promotion>> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    let by = Forfeiter::Owner {
        owner_id: owner.to_string(),
        reason,
    };
    forfeit_as(app, campaign_id, &campaign, participant_id, by).await
}

/// The claim deadline job's forfeit of a winner whose deadline passed;
/// answers who took the rank. A claimed or already forfeited winner is left
/// alone; one whose deadline has not passed is refused
/// ([`DrawError::ClaimPeriodOpen`]).
pub async fn forfeit_overdue(
    app: &App,
    campaign_id: Uuid,
    participant_id: Uuid,
) -> AppResult<Option<Promotion>> {
    let campaign = campaigns::load(app, campaign_id).await?;
    forfeit_as(
        app,
        campaign_id,
        &campaign,
        participant_id,
        Forfeiter::ClaimDeadline,
    )
    .await
}

async fn forfeit_as(
    app: &App,
    campaign_id: Uuid,
    campaign: &Campaign,
    participant_id: Uuid,
    by: Forfeiter,
) -> AppResult<Option<Promotion>> {
    let facts = facts(campaign)?;
    let now = app.now();
    execute(app, campaign_id, || {
        DrawCommand::ForfeitPrize(Box::new(ForfeitPrize {
            participant_id,
            by: by.clone(),
            campaign: facts.clone(),
            forfeited_at: now,
        }))
    })
    .await?;
    let board = board_of(app, campaign_id, campaign).await?;
    match board.claims.standing(participant_id) {
        Standing::Forfeited(forfeiture) => Ok(forfeiture.successor.as_ref().map(|s| Promotion {
            rank: s.rank,
            participant_id: s.participant_id,
            entry_number: s.entry_number.clone(),
        })),
        // Claimed in time: the deadline job had nothing to do.
        Standing::Holding(..) if by == Forfeiter::ClaimDeadline => Ok(None),
        _ => Err(AppError::internal("a recorded forfeit did not load")),
    }
}
