//! Values the campaign's commands and events carry: the store, what the owner publishes, and
//! the draw terms fixed by publishing. They depend on nothing else in the campaign module, so
//! commands, events and rules import them, never each other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::draw_protocol::{DrawRules, ProtocolVersion};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    pub store_name: String,
    pub industry: String,
    pub address: String,
}

/// Everything the owner decides when publishing.
///
/// In JSON the draw terms are flattened: `winnerCount` stays where campaigns published before
/// `draw/v2` have it, and `visitBonus`, `alternateCount`, `claimDays` sit beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishDetails {
    pub title: String,
    pub prize: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub announcement_at: DateTime<Utc>,
    #[serde(flatten)]
    pub draw: DrawTerms,
    pub channels: Vec<Channel>,
    pub target_participants: u32,
}

/// How a campaign's draw was settled when it was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DrawTermsWire", into = "DrawTermsWire")]
pub enum DrawTerms {
    /// Published before `draw/v2` (events that carry only `winnerCount`): the commitment binds
    /// campaign and seed only, and the winner count (this one by default) and the method are
    /// chosen at the draw, as they always were for these campaigns. Never created anew.
    Legacy { winner_count: u32 },
    /// `draw/v2`: the rules are fixed and bound into the seed commitment.
    Fixed(DrawRules),
}

impl DrawTerms {
    /// The published winner count (for legacy campaigns only a default).
    pub fn winner_count(&self) -> u32 {
        match self {
            DrawTerms::Legacy { winner_count } => *winner_count,
            DrawTerms::Fixed(rules) => rules.winner_count(),
        }
    }

    /// The fixed rules, unless the campaign is a legacy one.
    pub fn rules(&self) -> Option<&DrawRules> {
        match self {
            DrawTerms::Legacy { .. } => None,
            DrawTerms::Fixed(rules) => Some(rules),
        }
    }

    /// The draw protocol the campaign's commitment and draw follow.
    pub fn protocol_version(&self) -> ProtocolVersion {
        match self {
            DrawTerms::Legacy { .. } => ProtocolVersion::V1,
            DrawTerms::Fixed(_) => ProtocolVersion::V2,
        }
    }
}

/// The stored shape: the winner count always, the other rules all present (`draw/v2`) or
/// all absent (legacy). Fixed rules are range-checked again when read.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DrawTermsWire {
    winner_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    visit_bonus: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alternate_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim_days: Option<u32>,
}

impl TryFrom<DrawTermsWire> for DrawTerms {
    type Error = String;

    fn try_from(wire: DrawTermsWire) -> Result<Self, Self::Error> {
        match (wire.visit_bonus, wire.alternate_count, wire.claim_days) {
            (None, None, None) => Ok(DrawTerms::Legacy {
                winner_count: wire.winner_count,
            }),
            (Some(visit_bonus), Some(alternate_count), Some(claim_days)) => {
                DrawRules::new(wire.winner_count, visit_bonus, alternate_count, claim_days)
                    .map(DrawTerms::Fixed)
                    .map_err(|e| format!("{}: {e}", e.field()))
            }
            _ => Err(
                "draw rules are partial: visitBonus, alternateCount and claimDays go together"
                    .to_owned(),
            ),
        }
    }
}

impl From<DrawTerms> for DrawTermsWire {
    fn from(terms: DrawTerms) -> Self {
        match terms {
            DrawTerms::Legacy { winner_count } => DrawTermsWire {
                winner_count,
                visit_bonus: None,
                alternate_count: None,
                claim_days: None,
            },
            DrawTerms::Fixed(rules) => DrawTermsWire {
                winner_count: rules.winner_count(),
                visit_bonus: Some(rules.visit_bonus()),
                alternate_count: Some(rules.alternate_count()),
                claim_days: Some(rules.claim_days()),
            },
        }
    }
}
