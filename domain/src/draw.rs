//! The draw aggregate: one per campaign (aggregate id = the campaign id), drawn
//! exactly once, reproducible by anyone.
//!
//! `RunDraw` carries everything the decision needs: the requesting owner, the
//! campaign facts it depends on (among them the draw rules fixed when the
//! campaign was published), the revealed server seed, and the entrant list
//! frozen from the event store. The rules are pure ([`rules`]): only the owner,
//! only after the campaign ended, only once, only on the published terms,
//! enough entrants. The outcome comes from the protocol the campaign was
//! published under ([`crate::draw_protocol`]: `draw/v2`, or `draw/v1` for
//! campaigns published before the rules were fixed) and is recorded in one
//! `WinnersDrawn` event holding the published record: commitment, revealed
//! seed, list hash, params, seed, and the winners and alternates by rank, each
//! named by pseudonymous id, participant id and entry number. No name or phone
//! number ever appears in it.
//!
//! "Exactly once" holds under concurrency because the event store's primary key
//! (`Draw`, campaign id, sequence 1) admits a single `WinnersDrawn`; the loser of
//! a race gets a conflict, which the API reports like [`DrawError::AlreadyDrawn`].
//!
//! After the draw the same aggregate records what becomes of each prize:
//! claims, forfeits and substitution from the published alternates
//! ([`claims`]).

pub mod claims;
mod commands;
mod events;
mod rules;

pub use commands::{CampaignFacts, DrawCommand, FrozenEntrant, RunDraw};
pub use events::{DrawEvent, DrawRecord, DrawnEntrant};
pub use rules::{
    algorithm_for, alternates_kept, canonical_list, draw_algorithm, ensure_may_draw,
    ensure_terms_match, MIN_ALTERNATES_KEPT,
};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use crate::draw_protocol::DrawProtocolError;

/// A broken draw rule. Each variant maps to one stable API code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// Someone other than the campaign's owner asked (403 `FORBIDDEN`).
    #[error("only the campaign's owner may draw its winners")]
    NotOwner,
    /// The campaign is a draft or still running (409 `DRAW_NOT_ALLOWED`).
    #[error("이벤트가 종료된 후에 당첨자를 추첨할 수 있습니다")]
    CampaignNotEnded,
    /// The campaign's winners were drawn before (409 `PART_006`).
    #[error("이미 당첨자 추첨이 완료되었습니다")]
    AlreadyDrawn,
    /// Winner count outside `1..=1000` (400 `VALIDATION_ERROR`).
    #[error("winnerCount: must be between 1 and 1000")]
    InvalidWinnerCount,
    /// The request names a winner count or store-visit bonus other than the
    /// rules fixed when the campaign was published (409 `DRAW_RULES_FIXED`).
    #[error("추첨 조건은 이벤트 발행 시 확정되어 변경할 수 없습니다")]
    RulesFixed,
    /// Fewer entrants than winners requested (400 `PART_007`).
    #[error("참여자 수({entrants}명)가 당첨 인원({winners}명)보다 적습니다")]
    NotEnoughEntrants { entrants: u64, winners: u32 },
    /// The server seed (with, `draw/v2`, the rules) does not open the
    /// commitment published with the campaign: the draw would not be
    /// verifiable (500, never expected).
    #[error("the server seed does not match the campaign's published seed commitment")]
    SeedCommitmentMismatch,
    /// The frozen entrant list breaks a protocol rule, e.g. a duplicate
    /// pseudonymous id (500, never expected: one participation per pid).
    #[error("the frozen entrant list is invalid: {0}")]
    InvalidEntrantList(DrawProtocolError),
    /// The ordering names an index outside the entrant list (500, cannot
    /// happen for a list built by [`canonical_list`]).
    #[error("the draw ordering does not line up with the entrant list")]
    OrderingMismatch,
    /// A claim or forfeit before the draw (404 `PART_008`).
    #[error("아직 당첨자 추첨이 진행되지 않았습니다")]
    NotDrawn,
    /// The participant holds no prize and never did (404 `PART_003`).
    #[error("당첨자 중에 해당 참여자가 없습니다")]
    NotAWinner,
    /// Claiming a prize the winner already lost (409 `CLAIM_NOT_ALLOWED`).
    #[error("당첨이 취소된 참여자입니다")]
    PrizeForfeited,
    /// Forfeiting a prize the winner already received (409 `CLAIM_NOT_ALLOWED`).
    #[error("이미 경품을 수령한 당첨자입니다")]
    PrizeAlreadyClaimed,
    /// Claiming after the winner's claim deadline (409 `CLAIM_NOT_ALLOWED`).
    #[error("경품 수령 기한이 지났습니다")]
    ClaimDeadlinePassed,
    /// The deadline job forfeiting a winner whose deadline has not passed
    /// (409 `CLAIM_NOT_ALLOWED`; the job skips them).
    #[error("경품 수령 기한이 아직 지나지 않았습니다")]
    ClaimPeriodOpen,
    /// An owner's forfeit without a reason, or with one over 200 characters
    /// (400 `VALIDATION_ERROR` naming `reason`).
    #[error("당첨 취소 사유를 1자 이상 200자 이하로 입력해 주세요")]
    InvalidForfeitReason,
    /// Erasing personal data while a winner may still claim (409
    /// `ERASE_NOT_ALLOWED`, unless forced).
    #[error("경품 수령 기한이 지나지 않은 당첨자가 있어 개인정보를 파기할 수 없습니다")]
    PrizesPending,
}

/// Current state, rebuilt from events: the recorded draw, if any, and
/// what became of its prizes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draw {
    pub record: Option<DrawRecord>,
    #[serde(default)]
    pub claims: claims::Claims,
}

impl Draw {
    pub fn is_drawn(&self) -> bool {
        self.record.is_some()
    }
}

impl Aggregate for Draw {
    const TYPE: &'static str = "Draw";
    type Command = DrawCommand;
    type Event = DrawEvent;
    type Error = DrawError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            DrawCommand::RunDraw(run) => {
                let event = rules::decide(self, *run)?;
                sink.write(event, self).await;
            }
            DrawCommand::ClaimPrize(claim) => {
                for event in claims::decide_claim(self, claim)? {
                    sink.write(event, self).await;
                }
            }
            DrawCommand::ForfeitPrize(forfeit) => {
                for event in claims::decide_forfeit(self, *forfeit)? {
                    sink.write(event, self).await;
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.claims.apply(&event);
        if let DrawEvent::WinnersDrawn(record) = event {
            self.record = Some(*record);
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod v2_tests;
