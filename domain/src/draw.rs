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
}

/// Current state, rebuilt from events: the recorded draw, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draw {
    pub record: Option<DrawRecord>,
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
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            DrawEvent::WinnersDrawn(record) => self.record = Some(*record),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v2;
