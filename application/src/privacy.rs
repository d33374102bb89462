//! Crypto-shredding a campaign's personal data (Korean PIPA: destroy
//! personal data once its purpose is fulfilled), by the owner or by the
//! retention policy.
//!
//! Erasing (1) records `PersonalDataErased` on the campaign (the rule: only
//! the owner or the retention policy, only after the campaign has ended;
//! repeats are no-ops), then (2) destroys the campaign's data secret and
//! forgets the cached copy. The participants projector destroys the secret
//! again when it applies the event, so a crash between (1) and (2) still ends
//! with the key gone. Sealed copies in the event store and on JetStream stay
//! sealed forever.
//!
//! Erasure waits for the prizes: while a winner is `PENDING` and their claim
//! deadline has not passed, the winner could not be reached any more, so it
//! is refused ([`promo_domain::draw::claims::ensure_erasable`]) unless the
//! owner forces it. The rule reads the draw aggregate, which the campaign
//! aggregate cannot see; a claim recorded between the check and the erasure
//! only makes the erasure stricter than needed.

use chrono::{DateTime, Utc};
use promo_domain::campaign::{CampaignCommand, Eraser};
use promo_domain::draw::claims::ensure_erasable;
use promo_domain::draw::Draw;
use uuid::Uuid;

use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// The owner erases their campaign's personal data; returns when the
/// erasure was first recorded. `force` erases even while winners may still
/// claim their prizes.
pub async fn erase_as_owner(
    app: &App,
    owner: &str,
    campaign_id: Uuid,
    force: bool,
) -> AppResult<DateTime<Utc>> {
    campaigns::owned(app, campaign_id, owner).await?;
    erase(app, campaign_id, Eraser::Owner(owner.to_string()), force).await
}

/// Records the erasure (unless already recorded) and destroys the key.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn erase(
    app: &App,
    campaign_id: Uuid,
    requested_by: Eraser,
    force: bool,
) -> AppResult<DateTime<Utc>> {
    let campaign = campaigns::load(app, campaign_id).await?;
    let erased_at = match campaign.personal_data_erased_at {
        Some(at) => at,
        None => {
            let now = app.now();
            if let (false, Some(details)) = (force, &campaign.details) {
                let draw: Draw = app.load(&campaign_id.to_string()).await?;
                ensure_erasable(&draw, details.announcement_at, now)?;
            }
            app.commands
                .campaign(
                    campaign_id,
                    CampaignCommand::ErasePersonalData {
                        requested_by,
                        erased_at: now,
                    },
                )
                .await
                .map_err(|e| AppError::from_aggregate(e, || AppError::ConcurrentUpdate))?;
            campaigns::load(app, campaign_id)
                .await?
                .personal_data_erased_at
                .unwrap_or(now)
        }
    };
    if app
        .secrets
        .shred(campaign_id)
        .await
        .map_err(AppError::internal)?
    {
        tracing::info!(%campaign_id, "personal data crypto-shredded");
    }
    Ok(erased_at)
}
