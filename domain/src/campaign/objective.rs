//! The campaign's objective (seed 002): a plain value that commands, events and rules all use,
//! so it sits below them and none of them has to import another for it.

use serde::{Deserialize, Serialize};

/// The four objectives of SPEC "Campaign", stored and shown in Korean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Objective {
    #[serde(rename = "신규 고객 유치")]
    NewCustomers,
    #[serde(rename = "재방문 유도")]
    RevisitIncentive,
    #[serde(rename = "매출 증대")]
    SalesGrowth,
    #[serde(rename = "인지도 향상")]
    Awareness,
}

impl Objective {
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::NewCustomers => "신규 고객 유치",
            Objective::RevisitIncentive => "재방문 유도",
            Objective::SalesGrowth => "매출 증대",
            Objective::Awareness => "인지도 향상",
        }
    }

    pub fn parse(s: &str) -> Option<Objective> {
        [
            Objective::NewCustomers,
            Objective::RevisitIncentive,
            Objective::SalesGrowth,
            Objective::Awareness,
        ]
        .into_iter()
        .find(|o| o.as_str() == s.trim())
    }
}
