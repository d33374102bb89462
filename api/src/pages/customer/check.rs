//! "당첨 확인": an entrant looks up their own entry by phone number and entry
//! number (`POST /api/v1/events/{id}/entry-status`) and sees where it stands.

use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::EventInfo;
use crate::pages::format;
use crate::pages::view::{validation_field, Banner, ClaimStatus, FormErrors};

/// The lookup form's fields, kept when the page comes back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckForm {
    pub phone_number: String,
    pub entry_number: String,
}

impl CheckForm {
    /// From the POSTed pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = CheckForm::default();
        for (key, value) in pairs {
            match key.as_ref() {
                "phoneNumber" => form.phone_number = value.into(),
                "entryNumber" => form.entry_number = value.into(),
                _ => {}
            }
        }
        form
    }
}

/// The answer to a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Entered; the draw has not happened yet.
    NotDrawnYet,
    /// Drawn and won. `claim_deadline` is `announcementAt` + `claimDays`.
    Winner {
        rank: u32,
        claim_status: ClaimStatus,
        claim_deadline: Option<DateTime<Utc>>,
    },
    /// Drawn, not among the winners; `in_entrant_list` says whether the entry was
    /// in the frozen list the draw used (it always should be).
    NotWinner { in_entrant_list: bool },
    /// No entry matches (`PART_003`).
    NotFound,
}

impl CheckOutcome {
    pub fn is_win(&self) -> bool {
        matches!(self, CheckOutcome::Winner { .. })
    }

    /// From the 200 of `entry-status`: `inEntrantList` and `isWinner` are `null`
    /// before the draw.
    pub fn from_status(
        in_entrant_list: Option<bool>,
        is_winner: Option<bool>,
        rank: Option<u32>,
        claim_status: Option<&str>,
        claim_deadline: Option<DateTime<Utc>>,
    ) -> Self {
        match (is_winner, rank) {
            (None, _) => CheckOutcome::NotDrawnYet,
            (Some(true), Some(rank)) => CheckOutcome::Winner {
                rank,
                claim_status: claim_status
                    .and_then(ClaimStatus::parse)
                    .unwrap_or(ClaimStatus::Pending),
                claim_deadline,
            },
            _ => CheckOutcome::NotWinner {
                in_entrant_list: in_entrant_list.unwrap_or(false),
            },
        }
    }
}

/// `GET|POST /e/{eventId}/check`.
#[derive(Debug, Clone, Template)]
#[template(path = "customer/check.html")]
pub struct CheckPage {
    pub event: EventInfo,
    pub form: CheckForm,
    pub outcome: Option<CheckOutcome>,
    pub errors: FormErrors,
}

impl CheckPage {
    pub fn deadline(&self, at: &Option<DateTime<Utc>>) -> String {
        at.map(format::datetime).unwrap_or_default()
    }
}

/// Korean messages for a refused lookup. `PART_003` is not an error here but
/// the [`CheckOutcome::NotFound`] answer.
pub fn check_errors(code: &str, message: &str) -> FormErrors {
    match (code, validation_field(code, message)) {
        ("VALIDATION_ERROR", Some("phoneNumber")) => {
            FormErrors::banner(Banner::error("입력 내용을 확인해 주세요")).with_field(
                "phoneNumber",
                "휴대폰 번호를 확인해 주세요. 예: 010-1234-5678",
            )
        }
        ("VALIDATION_ERROR", Some("entryNumber")) => {
            FormErrors::banner(Banner::error("입력 내용을 확인해 주세요")).with_field(
                "entryNumber",
                "응모 번호를 확인해 주세요. 참여 완료 화면과 알림톡에 있어요.",
            )
        }
        ("RATE_LIMITED", _) => FormErrors::banner(
            Banner::error("조회가 너무 많습니다").with_detail("잠시 후 다시 확인해 주세요."),
        ),
        ("EVENT_NOT_FOUND", _) => FormErrors::banner(
            Banner::error("이벤트를 찾을 수 없습니다")
                .with_detail("링크가 정확한지 확인해 주세요."),
        ),
        _ => FormErrors::banner(
            Banner::error("확인하지 못했어요")
                .with_detail("일시적인 오류입니다. 잠시 후 다시 시도해 주세요."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_from_the_api_answer() {
        assert_eq!(
            CheckOutcome::from_status(None, None, None, None, None),
            CheckOutcome::NotDrawnYet
        );
        assert_eq!(
            CheckOutcome::from_status(Some(true), Some(true), Some(2), Some("CLAIMED"), None),
            CheckOutcome::Winner {
                rank: 2,
                claim_status: ClaimStatus::Claimed,
                claim_deadline: None
            }
        );
        assert_eq!(
            CheckOutcome::from_status(Some(true), Some(false), None, None, None),
            CheckOutcome::NotWinner {
                in_entrant_list: true
            }
        );
    }

    #[test]
    fn lookup_errors_name_their_field() {
        assert!(check_errors("VALIDATION_ERROR", "entryNumber: bad").has("entryNumber"));
        assert!(check_errors("VALIDATION_ERROR", "phoneNumber: bad").has("phoneNumber"));
        assert!(check_errors("RATE_LIMITED", "").banner.is_some());
    }
}
