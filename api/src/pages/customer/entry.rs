//! The event page with its entry form, and the completion screen after a
//! successful entry. Refusals map from the API's stable error codes to Korean
//! messages placed next to the field they concern.

use askama::Template;
use promo_domain::channel::Channel;
use serde::Deserialize;

use super::EventInfo;
use crate::pages::view::{validation_field, Banner, FormErrors};

/// Where the campaign is relative to now (the handler decides with its clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPhase {
    /// Published, `startsAt` still ahead: no form yet.
    NotStarted,
    /// Entries accepted: the form is shown.
    Open,
    /// Ended (by time or by the owner): no form, a link to the result.
    Ended,
}

/// What the customer typed, kept when the page comes back with an error.
/// Deserializes the entry form's POST body; absent checkboxes are `false`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EntryForm {
    pub name: String,
    pub phone_number: String,
    pub agree_privacy: bool,
    pub agree_marketing: bool,
    pub store_visited: bool,
    pub channel: Option<String>,
    pub store_visit_token: Option<String>,
}

impl EntryForm {
    /// From the POSTed pairs. A ticked box sends `true`; anything else, or no
    /// pair, leaves it unticked. Empty hidden fields count as absent.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = EntryForm::default();
        for (key, value) in pairs {
            let value: String = value.into();
            let non_empty = |v: String| (!v.trim().is_empty()).then_some(v);
            match key.as_ref() {
                "name" => form.name = value,
                "phoneNumber" => form.phone_number = value,
                "agreePrivacy" => form.agree_privacy = value == "true",
                "agreeMarketing" => form.agree_marketing = value == "true",
                "storeVisited" => form.store_visited = value == "true",
                "channel" => form.channel = non_empty(value),
                "storeVisitToken" => form.store_visit_token = non_empty(value),
                _ => {}
            }
        }
        form
    }
}

/// `GET /e/{eventId}`: the campaign, how to enter, and the entry form.
#[derive(Debug, Clone, Template)]
#[template(path = "customer/event.html")]
pub struct EventPage {
    pub event: EventInfo,
    pub phase: EventPhase,
    /// From `?ch=`; sent back in a hidden `channel` field.
    pub channel: Option<Channel>,
    /// From the store QR link; sent back hidden, and only then is the
    /// "매장 방문" checkbox shown.
    pub store_visit_token: Option<String>,
    /// Values to show in the inputs. On a first visit from the store QR,
    /// set `store_visited: true` so the visit checkbox starts ticked.
    pub form: EntryForm,
    pub errors: FormErrors,
}

impl EventPage {
    pub fn is_open(&self) -> bool {
        self.phase == EventPhase::Open
    }

    pub fn is_not_started(&self) -> bool {
        self.phase == EventPhase::NotStarted
    }

    pub fn channel_value(&self) -> &'static str {
        self.channel.map(Channel::as_str).unwrap_or("")
    }

    /// Whether the input named `field` gets `autofocus`: the first one in error,
    /// so a keyboard or screen-reader user lands where the fix is needed.
    pub fn focus(&self, field: &str) -> bool {
        let order = ["name", "phoneNumber", "agreePrivacy", "storeVisitToken"];
        order.iter().find(|f| self.errors.has(f)) == Some(&field)
    }
}

/// The screen after a successful entry (the 201 of `POST /participations`).
#[derive(Debug, Clone, Template)]
#[template(path = "customer/complete.html")]
pub struct EntryCompletePage {
    pub event: EventInfo,
    pub entry_number: String,
    /// The entrant's id exactly as it appears in the draw's published entrant
    /// list; the receipt section is left out while the entry has none to show.
    pub entrant_id: Option<String>,
    pub bonus_entries: u32,
}

/// The Korean messages for a refused entry, from the API's `{code, message}`.
/// Validation errors go next to the field they name; the rest are a banner
/// with what to do next. Unknown codes get a generic banner.
pub fn entry_errors(event: &EventInfo, code: &str, message: &str) -> FormErrors {
    let check = event.check_url();
    let invalid = || {
        Banner::error("입력 내용을 확인해 주세요")
            .with_detail("표시된 항목을 고친 뒤 다시 참여하기를 눌러 주세요.")
    };
    match code {
        "VALIDATION_ERROR" => match validation_field(code, message) {
            Some("name") => FormErrors::banner(invalid())
                .with_field("name", "이름을 2자 이상 입력해 주세요."),
            Some("phoneNumber") => FormErrors::banner(invalid()).with_field(
                "phoneNumber",
                "휴대폰 번호를 확인해 주세요. 예: 010-1234-5678",
            ),
            Some("agreePrivacy") => FormErrors::banner(invalid()).with_field(
                "agreePrivacy",
                "개인정보 수집·이용에 동의해야 참여할 수 있어요.",
            ),
            Some("storeVisitToken" | "storeVisited") => FormErrors::banner(
                Banner::error("매장 방문을 확인할 수 없어요").with_detail(
                    "매장에 있는 QR 코드를 다시 찍어서 들어와 주세요. 방문 표시 없이 참여할 수도 있어요.",
                ),
            )
            .with_field(
                "storeVisitToken",
                "매장 QR 코드로 들어온 경우에만 선택할 수 있어요.",
            ),
            Some("channel") => FormErrors::banner(
                Banner::error("참여 경로를 확인할 수 없어요")
                    .with_detail("이벤트를 보신 곳의 링크로 다시 들어와 주세요."),
            ),
            _ => FormErrors::banner(invalid()),
        },
        "PART_001" => FormErrors::banner(
            Banner::error("이미 참여하신 이벤트입니다")
                .with_detail("한 휴대폰 번호로 한 번만 참여할 수 있어요.")
                .with_link(check, "내 응모 확인하기"),
        )
        .with_field("phoneNumber", "이 번호로 이미 참여했어요."),
        "PART_002" => FormErrors::banner(
            Banner::error("지금은 참여할 수 있는 기간이 아닙니다")
                .with_detail(format!("참여 기간: {}", event.period())),
        ),
        "PART_005" => FormErrors::banner(
            Banner::error("이벤트가 종료되었습니다")
                .with_detail(format!("당첨자 발표: {}", event.announcement()))
                .with_link(event.result_url(), "결과 보기"),
        ),
        "EVENT_NOT_FOUND" => FormErrors::banner(
            Banner::error("이벤트를 찾을 수 없습니다")
                .with_detail("링크가 정확한지 확인하거나 매장에 문의해 주세요."),
        ),
        "RATE_LIMITED" => FormErrors::banner(
            Banner::error("요청이 너무 많습니다")
                .with_detail("잠시 후 다시 참여하기를 눌러 주세요. 입력하신 내용은 그대로 있어요."),
        ),
        _ => FormErrors::banner(
            Banner::error("참여하지 못했어요")
                .with_detail("일시적인 오류입니다. 잠시 후 다시 시도해 주세요. 입력하신 내용은 그대로 있어요."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn event() -> EventInfo {
        let at = |d| Utc.with_ymd_and_hms(2026, 12, d, 3, 0, 0).unwrap();
        EventInfo {
            event_id: Uuid::nil(),
            store_name: "행복베이커리".into(),
            title: "연말 감사 이벤트".into(),
            prize: "케이크 교환권".into(),
            starts_at: at(1),
            ends_at: at(14),
            announcement_at: at(15),
            winner_count: 3,
            visit_bonus: true,
        }
    }

    fn page(errors: FormErrors) -> EventPage {
        EventPage {
            event: event(),
            phase: EventPhase::Open,
            channel: Some(Channel::Instagram),
            store_visit_token: None,
            form: EntryForm {
                name: "김민수".into(),
                phone_number: "010-1234-5678".into(),
                ..EntryForm::default()
            },
            errors,
        }
    }

    #[test]
    fn validation_errors_sit_next_to_their_field() {
        for (field, shown_at) in [
            ("name", "name"),
            ("phoneNumber", "phoneNumber"),
            ("agreePrivacy", "agreePrivacy"),
            ("storeVisitToken", "storeVisitToken"),
        ] {
            let errors = entry_errors(&event(), "VALIDATION_ERROR", &format!("{field}: bad"));
            assert!(errors.has(shown_at), "{field}");
            assert!(errors.banner.is_some());
        }
        let channel = entry_errors(&event(), "VALIDATION_ERROR", "channel: unknown channel");
        assert!(channel.fields.is_empty(), "channel is hidden: banner only");
    }

    #[test]
    fn duplicate_entry_is_announced_in_korean_and_kept_in_the_form() {
        let html = page(entry_errors(
            &event(),
            "PART_001",
            "이미 참여하신 이벤트입니다",
        ))
        .render()
        .unwrap();
        assert!(html.contains("이미 참여하신 이벤트입니다"));
        assert!(html.contains(r#"role="alert""#));
        assert!(html.contains(r#"value="김민수""#));
        assert!(html.contains(r#"value="010-1234-5678""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains("/e/00000000-0000-0000-0000-000000000000/check"));
    }

    #[test]
    fn every_code_has_a_banner() {
        for code in [
            "PART_002",
            "PART_005",
            "EVENT_NOT_FOUND",
            "RATE_LIMITED",
            "INTERNAL_ERROR",
        ] {
            let errors = entry_errors(&event(), code, "x");
            let banner = errors.banner.expect(code);
            assert!(
                banner.title.chars().any(|c| ('가'..='힣').contains(&c)),
                "{code}"
            );
        }
    }

    #[test]
    fn the_form_is_a_plain_post_with_the_hidden_channel() {
        let html = page(FormErrors::none()).render().unwrap();
        assert!(html.contains(r#"method="post""#));
        assert!(html.contains(r#"name="channel" value="INSTAGRAM""#));
        assert!(
            !html.contains(r#"name="storeVisited""#),
            "no store token, no visit box"
        );
        assert!(!html.contains("autofocus"));
    }

    #[test]
    fn store_visit_box_only_with_a_token() {
        let mut p = page(FormErrors::none());
        p.store_visit_token = Some("tok-123".into());
        let html = p.render().unwrap();
        assert!(html.contains(r#"name="storeVisited""#));
        assert!(html.contains(r#"name="storeVisitToken" value="tok-123""#));
    }

    #[test]
    fn the_form_reads_back_from_its_pairs() {
        let form = EntryForm::from_pairs([
            ("name", "김민수"),
            ("phoneNumber", "010-1234-5678"),
            ("agreePrivacy", "true"),
            ("agreeMarketing", "on"),
            ("channel", ""),
            ("storeVisitToken", "tok"),
        ]);
        assert_eq!(form.name, "김민수");
        assert!(form.agree_privacy);
        assert!(
            !form.agree_marketing,
            "only the value the form sends counts"
        );
        assert_eq!(form.channel, None);
        assert_eq!(form.store_visit_token.as_deref(), Some("tok"));
    }

    #[test]
    fn first_field_in_error_gets_the_focus() {
        let p = page(
            FormErrors::none()
                .with_field("phoneNumber", "x")
                .with_field("agreePrivacy", "y"),
        );
        assert!(p.focus("phoneNumber"));
        assert!(!p.focus("agreePrivacy"));
        assert!(!p.focus("name"));
    }

    #[test]
    fn ended_and_not_started_pages_have_no_form() {
        for phase in [EventPhase::Ended, EventPhase::NotStarted] {
            let mut p = page(FormErrors::none());
            p.phase = phase;
            let html = p.render().unwrap();
            assert!(!html.contains("<form"), "{phase:?}");
        }
    }
}
