//! Entrants can check themselves (SPEC v2): their entry's status by phone
//! number and entry number, and the public winners list (당첨자 발표).
//!
//! The status lookup computes the entrant's pseudonymous id from the phone
//! (the campaign's pid key) and loads that one participation aggregate from
//! the event store: a phone that never entered and an entry number that is
//! not that phone's are the same answer ([`AppError::EntryNotFound`]), so the
//! answer tells nothing about anyone else. After the draw it says whether the
//! pid is in the published canonical entrant list and whether it won.

use chrono::{DateTime, Utc};
use promo_domain::entrant::PhoneNumber;
use promo_domain::participation::Participation;
use promo_domain::privacy;
use promo_eventstore::registrations;
use uuid::Uuid;

use crate::campaigns;
use crate::claims::{board_of, PrizeBoard};
use crate::context::App;
use crate::draws::{self, Masked};
use crate::error::{AppError, AppResult};

pub use promo_domain::draw::claims::ClaimStatus;

/// Where the entrant with pseudonymous id `pid` stands in the prize
/// delivery: the rank they hold (or held, if forfeited), its claim status
/// and deadline. `None`: not a winner (an alternate never promoted included).
fn standing_of(board: &PrizeBoard, pid: &str) -> Option<(u32, ClaimStatus, DateTime<Utc>)> {
    if let Some((prize, holder)) = board.claims.holders().find(|(_, h)| h.pid == pid) {
        return Some((
            prize.rank,
            holder.status,
            holder.deadline(board.campaign_deadline),
        ));
    }
    board
        .claims
        .forfeited
        .iter()
        .rev()
        .find(|f| f.holder.pid == pid)
        .map(|f| {
            (
                f.rank,
                ClaimStatus::Forfeited,
                f.holder.deadline(board.campaign_deadline),
            )
        })
}

/// `CheckEntry`: what the entrant types in, unparsed.
#[derive(Debug, Clone, Default)]
pub struct CheckEntry {
    pub campaign_id: Uuid,
    pub phone_number: Option<String>,
    pub entry_number: Option<String>,
}

/// What an entrant learns about their own entry. Before the draw the draw
/// fields are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStatus {
    pub in_entrant_list: Option<bool>,
    pub is_winner: Option<bool>,
    /// The winner's rank (winners only).
    pub rank: Option<u32>,
    /// Winners only.
    pub claim_status: Option<ClaimStatus>,
    /// Winners only: until when the prize can be claimed.
    pub claim_deadline: Option<DateTime<Utc>>,
}

/// Longest entry number looked at (a real one is about 25 characters).
const MAX_ENTRY_NUMBER: usize = 64;

/// Equal bytes, compared without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[tracing::instrument(skip_all, fields(campaign_id = %input.campaign_id))]
pub async fn entry_status(app: &App, input: CheckEntry) -> AppResult<EntryStatus> {
    let campaign_id = input.campaign_id;
    let campaign = campaigns::load(app, campaign_id).await?;
    let phone = input
        .phone_number
        .as_deref()
        .ok_or_else(|| AppError::invalid("phoneNumber", "필수 항목입니다"))
        .and_then(|raw| PhoneNumber::parse(raw).map_err(AppError::from))?;
    let entry_number = input
        .entry_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AppError::invalid("entryNumber", "필수 항목입니다"))?;
    if entry_number.len() > MAX_ENTRY_NUMBER {
        return Err(AppError::EntryNotFound);
    }
    let secrets = app
        .secrets
        .get(campaign_id)
        .await
        .map_err(AppError::internal)?;
    // No secrets: never published. Shredded: no entry can be matched any more.
    let Some(data_secret) = secrets.as_ref().and_then(|s| s.data.as_ref()) else {
        return Err(AppError::EntryNotFound);
    };
    let pid = hex::encode(privacy::pseudonymous_id(
        &data_secret.pid_key(),
        campaign_id,
        phone.as_str(),
    ));
    let participation: Participation = app.load(&pid).await?;
    let matches = participation.campaign_id == Some(campaign_id)
        && participation
            .entry_number
            .as_deref()
            .is_some_and(|n| same(n.as_bytes(), entry_number.to_uppercase().as_bytes()));
    if !matches {
        return Err(AppError::EntryNotFound);
    }
    let Some(record) = draws::record(app, campaign_id).await? else {
        return Ok(EntryStatus {
            in_entrant_list: None,
            is_winner: None,
            rank: None,
            claim_status: None,
            claim_deadline: None,
        });
    };
    let in_list =
        registrations::entrant_list_contains(&app.pool, campaign_id, &record.list_hash, &pid)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::internal("the draw's entrant list is missing"))?;
    let board = board_of(app, campaign_id, &campaign).await?;
    let won = standing_of(&board, &pid);
    Ok(EntryStatus {
        in_entrant_list: Some(in_list),
        is_winner: Some(won.is_some()),
        rank: won.map(|(rank, _, _)| rank),
        claim_status: won.map(|(_, status, _)| status),
        claim_deadline: won.map(|(_, _, deadline)| deadline),
    })
}

/// A winner as announced publicly: masked name and phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicWinner {
    pub rank: u32,
    /// Masked, e.g. 김**.
    pub name: String,
    /// Masked, e.g. 010-****-1234.
    pub phone_number: String,
    pub entry_number: String,
    pub claim_status: ClaimStatus,
}

/// The campaign's current winners (promoted alternates included), rank 1
/// first, masked, with their claim status; [`AppError::NoDrawYet`] before
/// the draw.
#[tracing::instrument(skip_all, fields(%campaign_id))]
pub async fn public_winners(app: &App, campaign_id: Uuid) -> AppResult<Vec<PublicWinner>> {
    let campaign = campaigns::load(app, campaign_id).await?;
    let board = board_of(app, campaign_id, &campaign).await?;
    let ids: Vec<Uuid> = board
        .claims
        .holders()
        .map(|(_, h)| h.participant_id)
        .collect();
    let masked = draws::masked_entrants(app, campaign_id, &ids).await?;
    Ok(board
        .claims
        .holders()
        .map(|(prize, holder)| {
            let Masked { name, phone } = masked
                .get(&holder.participant_id)
                .cloned()
                .unwrap_or_default();
            PublicWinner {
                rank: prize.rank,
                name,
                phone_number: phone,
                entry_number: holder.entry_number.clone(),
                claim_status: holder.status,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_compares_whole_byte_strings() {
        assert!(same(b"EVT1-20251029-001", b"EVT1-20251029-001"));
        assert!(!same(b"EVT1-20251029-001", b"EVT1-20251029-002"));
        assert!(!same(b"EVT1-20251029-001", b"EVT1-20251029-0011"));
        assert!(same(b"", b""));
    }
}
