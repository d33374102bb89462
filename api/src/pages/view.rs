//! The display vocabulary every page shares: Korean labels of channels,
//! campaign states, claim and notification states, and the form-error shape
//! (a banner plus messages next to the fields they name).
//!
//! Pages take these instead of API strings so a template can only show a state
//! that exists, and each Korean word is written once.

use promo_domain::campaign::Objective;
use promo_domain::channel::Channel;

/// The Korean name of an entry channel, as owners and customers know it.
pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Uridongnetv => "우리동네TV",
        Channel::Ginitv => "지니TV",
        Channel::Ringobiz => "링고비즈",
        Channel::Instagram => "인스타그램",
        Channel::Naver => "네이버",
        Channel::Kakao => "카카오톡",
        Channel::StoreQr => "매장 QR",
    }
}

/// The four objectives in the order the create form lists them.
pub const OBJECTIVES: [Objective; 4] = [
    Objective::NewCustomers,
    Objective::RevisitIncentive,
    Objective::SalesGrowth,
    Objective::Awareness,
];

/// Where a campaign is in its life, as the console shows it. `Scheduled` is a
/// published campaign before `startsAt`; `Drawn` an ended one with winners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    Draft,
    Scheduled,
    Active,
    Ended,
    Drawn,
}

impl CampaignState {
    pub fn label(self) -> &'static str {
        match self {
            CampaignState::Draft => "작성 중",
            CampaignState::Scheduled => "시작 전",
            CampaignState::Active => "진행 중",
            CampaignState::Ended => "종료",
            CampaignState::Drawn => "추첨 완료",
        }
    }

    /// The badge's CSS modifier.
    pub fn badge(self) -> &'static str {
        match self {
            CampaignState::Draft => "badge-draft",
            CampaignState::Scheduled => "badge-scheduled",
            CampaignState::Active => "badge-active",
            CampaignState::Ended => "badge-ended",
            CampaignState::Drawn => "badge-drawn",
        }
    }
}

/// A winner's prize claim (`claimStatus` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimStatus {
    Pending,
    Claimed,
    Forfeited,
}

impl ClaimStatus {
    /// From the wire name (`PENDING`, `CLAIMED`, `FORFEITED`).
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        match s {
            "PENDING" => Some(ClaimStatus::Pending),
            "CLAIMED" => Some(ClaimStatus::Claimed),
            "FORFEITED" => Some(ClaimStatus::Forfeited),
            _ => None,
        }
    }

    pub fn is_pending(self) -> bool {
        self == ClaimStatus::Pending
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "수령 대기",
            ClaimStatus::Claimed => "수령 완료",
            ClaimStatus::Forfeited => "당첨 취소",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            ClaimStatus::Pending => "badge-scheduled",
            ClaimStatus::Claimed => "badge-active",
            ClaimStatus::Forfeited => "badge-ended",
        }
    }
}

/// Whether a winner's notification left the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationStatus {
    /// Queued or being retried.
    Pending,
    Sent,
    /// Retries gave up; the owner should call the winner.
    Failed,
    /// No `NOTIFY_URL` configured: recorded, nothing sent.
    RecordedOnly,
}

impl NotificationStatus {
    pub fn label(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "발송 대기",
            NotificationStatus::Sent => "알림톡 발송됨",
            NotificationStatus::Failed => "발송 실패",
            NotificationStatus::RecordedOnly => "기록만 됨 (발송 설정 없음)",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "badge-draft",
            NotificationStatus::Sent => "badge-active",
            NotificationStatus::Failed => "badge-danger",
            NotificationStatus::RecordedOnly => "badge-draft",
        }
    }
}

/// How a banner reads: colour and icon, and whether it is announced at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Warning,
    Error,
}

/// A link with its visible text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub label: String,
}

/// A message across the top of a form or page, with what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub tone: Tone,
    pub title: String,
    pub detail: Option<String>,
    pub link: Option<Link>,
}

impl Banner {
    pub fn new(tone: Tone, title: impl Into<String>) -> Self {
        Self {
            tone,
            title: title.into(),
            detail: None,
            link: None,
        }
    }

    pub fn error(title: impl Into<String>) -> Self {
        Self::new(Tone::Error, title)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_link(mut self, href: impl Into<String>, label: impl Into<String>) -> Self {
        self.link = Some(Link {
            href: href.into(),
            label: label.into(),
        });
        self
    }

    pub fn css(&self) -> &'static str {
        match self.tone {
            Tone::Info => "banner banner-info",
            Tone::Success => "banner banner-success",
            Tone::Warning => "banner banner-warning",
            Tone::Error => "banner banner-error",
        }
    }

    /// Errors interrupt (`alert`); the rest wait their turn (`status`).
    pub fn role(&self) -> &'static str {
        match self.tone {
            Tone::Error | Tone::Warning => "alert",
            Tone::Info | Tone::Success => "status",
        }
    }
}

/// A message shown next to the input it is about (`field` is the input's
/// `name`, which is also the API's field name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What went wrong with a submitted form: a banner, messages by field, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub banner: Option<Banner>,
    pub fields: Vec<FieldError>,
}

impl FormErrors {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn banner(banner: Banner) -> Self {
        Self {
            banner: Some(banner),
            fields: Vec::new(),
        }
    }

    /// Fields in error under the usual banner (what a form's own checks give).
    pub fn check_fields(fields: Vec<FieldError>) -> Self {
        Self {
            banner: Some(
                Banner::error("입력 내용을 확인해 주세요")
                    .with_detail("표시된 항목을 고친 뒤 다시 보내 주세요."),
            ),
            fields,
        }
    }

    pub fn with_field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.fields.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
        self
    }

    /// An API error shown as is: the banner carries the API's Korean message;
    /// a `VALIDATION_ERROR` also marks the field its message names
    /// (`"field: reason"`, see `ApiError::validation`).
    pub fn from_api(code: &str, message: &str) -> Self {
        let errors = Self::banner(Banner::error(message));
        match validation_field(code, message) {
            Some(field) => errors.with_field(field, "입력 내용을 확인해 주세요"),
            None => errors,
        }
    }

    /// The message for the input named `field`, if any.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.field(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.banner.is_none() && self.fields.is_empty()
    }
}

/// The field a `VALIDATION_ERROR` names: its message starts with `field:`.
pub fn validation_field<'a>(code: &str, message: &'a str) -> Option<&'a str> {
    if code != "VALIDATION_ERROR" {
        return None;
    }
    let (field, _) = message.split_once(':')?;
    let field = field.trim();
    let plausible = !field.is_empty()
        && field.len() <= 40
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    plausible.then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_a_korean_label() {
        let labels: Vec<&str> = Channel::ALL.iter().map(|&c| channel_label(c)).collect();
        assert_eq!(
            labels,
            [
                "우리동네TV",
                "지니TV",
                "링고비즈",
                "인스타그램",
                "네이버",
                "카카오톡",
                "매장 QR"
            ]
        );
    }

    #[test]
    fn validation_messages_name_their_field() {
        assert_eq!(
            validation_field(
                "VALIDATION_ERROR",
                "phoneNumber: not a Korean mobile number"
            ),
            Some("phoneNumber")
        );
        assert_eq!(validation_field("PART_001", "phoneNumber: x"), None);
        assert_eq!(
            validation_field("VALIDATION_ERROR", "이름을 입력해 주세요"),
            None
        );
        assert_eq!(validation_field("VALIDATION_ERROR", "두 단어: 이유"), None);
    }

    #[test]
    fn api_errors_become_a_banner_and_a_field_mark() {
        let errors = FormErrors::from_api("VALIDATION_ERROR", "storeName: is required");
        assert!(errors.has("storeName"));
        assert_eq!(errors.banner.unwrap().title, "storeName: is required");
        let errors = FormErrors::from_api("EVENT_002", "매장 정보가 누락되었습니다");
        assert!(errors.fields.is_empty());
    }

    #[test]
    fn claim_status_wire_names() {
        for s in [
            ClaimStatus::Pending,
            ClaimStatus::Claimed,
            ClaimStatus::Forfeited,
        ] {
            let wire = format!("{s:?}").to_uppercase();
            assert_eq!(ClaimStatus::parse(&wire), Some(s));
        }
        assert_eq!(ClaimStatus::parse("pending"), None);
    }
}
