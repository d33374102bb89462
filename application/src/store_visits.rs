//! Proven store visits (SPEC v2): the owner gets the day's store-visit token
//! for the in-store QR code, and an entry that claims a store visit must
//! carry a valid one for its campaign. The token format and its rules are
//! the domain's (`promo_domain::store_visit`); the key is derived from the
//! campaign's secrets (`promo_eventstore::secrets`); rotation is daily
//! (docs/adr/0003-store-visit-tokens.md).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use promo_domain::campaign::{Campaign, CampaignError};
use promo_domain::channel::Channel;
use promo_domain::store_visit::{self, StoreVisitPass};
use promo_eventstore::secrets::CampaignSecrets;
use uuid::Uuid;

use crate::campaigns;
use crate::context::App;
use crate::error::{AppError, AppResult};

/// The field an entry names its token in.
pub const TOKEN_FIELD: &str = "storeVisitToken";

/// The day's store-visit token of the owner's campaign. The campaign must be
/// published with the `STORE_QR` channel (the QR code's entry path); a draft
/// is refused like any other not-yet-open campaign.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn store_qr(app: &App, owner: &str, campaign_id: Uuid) -> AppResult<StoreVisitPass> {
    let campaign = campaigns::owned(app, campaign_id, owner).await?;
    let Some(details) = &campaign.details else {
        return Err(CampaignError::NotActive.into());
    };
    if !details.channels.contains(&Channel::StoreQr) {
        return Err(AppError::StoreQrNotPublished);
    }
    let key = secrets(app, campaign_id)
        .await?
        .store_visit_key()
        // Personal data erased: the campaign takes no entries any more.
        .ok_or(AppError::Participation(
            promo_domain::participation::ParticipationError::CampaignEnded,
        ))?;
    Ok(store_visit::issue(&key, campaign_id, app.now()))
}

async fn secrets(app: &App, campaign_id: Uuid) -> AppResult<Arc<CampaignSecrets>> {
    app.secrets
        .get(campaign_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::internal(format!("campaign {campaign_id} has no secrets")))
}

/// Whether an entry has proven its store visit: `claimed` (the entrant's
/// `storeVisited`) needs a `token` valid for this campaign now; a token with
/// no claim proves nothing and is not looked at. Refusals name
/// `storeVisitToken`.
pub fn proven_visit(
    secrets: &CampaignSecrets,
    campaign_id: Uuid,
    claimed: bool,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !claimed {
        return Ok(false);
    }
    let token = token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::invalid(
                TOKEN_FIELD,
                "매장 방문을 확인하려면 매장의 QR 코드로 참여해 주세요",
            )
        })?;
    let key = secrets
        .store_visit_key()
        .ok_or_else(|| AppError::internal("store-visit key of a shredded campaign"))?;
    store_visit::verify(&key, campaign_id, token, now)
        .map(|_| true)
        .map_err(|e| AppError::invalid(TOKEN_FIELD, e.to_string()))
}

/// A channel the campaign was not published with is refused, naming `channel`.
pub fn ensure_channel_published(campaign: &Campaign, channel: Channel) -> AppResult<()> {
    let published = campaign
        .details
        .as_ref()
        .is_some_and(|d| d.channels.contains(&channel));
    if published {
        Ok(())
    } else {
        Err(AppError::invalid(
            "channel",
            "이 이벤트에서 사용하지 않는 참여 경로입니다",
        ))
    }
}
