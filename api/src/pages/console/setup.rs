//! Creating a campaign: the draft form (objective and store) and the publish
//! form (title, prize, period, draw rules, channels).

use askama::Template;
use chrono::{DateTime, Duration, DurationRound, Utc};
use promo_domain::campaign::{DrawRules, DrawRulesInput, DrawTerms, PublishDetails};
use promo_domain::channel::Channel;
use serde::Deserialize;

use super::CampaignHeader;
use crate::pages::format;
use crate::pages::view::{channel_label, FieldError, FormErrors, OBJECTIVES};

/// The draft form's fields (`POST /console/events`), named as the API's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DraftForm {
    /// One of the four objectives' Korean names, or empty.
    pub objective: String,
    pub store_name: String,
    pub industry: String,
    pub address: String,
}

impl DraftForm {
    /// From the POSTed pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = DraftForm::default();
        for (key, value) in pairs {
            match key.as_ref() {
                "objective" => form.objective = value.into(),
                "storeName" => form.store_name = value.into(),
                "industry" => form.industry = value.into(),
                "address" => form.address = value.into(),
                _ => {}
            }
        }
        form
    }
}

/// `GET /console/events/new`, and the same page with errors after a refused POST.
#[derive(Debug, Clone, Template)]
#[template(path = "console/create.html")]
pub struct CreateDraftPage {
    pub csrf: String,
    pub form: DraftForm,
    pub errors: FormErrors,
}

impl CreateDraftPage {
    pub fn objectives(&self) -> [&'static str; 4] {
        OBJECTIVES.map(|o| o.as_str())
    }
}

/// The publish form's fields, as typed (numbers and times stay text so a
/// refused form comes back exactly as it was). Times are `datetime-local`
/// values in Korean time (see `format::parse_datetime_local`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishForm {
    pub title: String,
    pub prize: String,
    pub starts_at: String,
    pub ends_at: String,
    pub announcement_at: String,
    pub winner_count: String,
    pub visit_bonus: bool,
    /// Empty means "as many as winners" (the API's default).
    pub alternate_count: String,
    pub claim_days: String,
    pub channels: Vec<Channel>,
    pub target_participants: String,
}

impl Default for PublishForm {
    /// A new form: the API's defaults (store-visit bonus on, 7 claim days),
    /// every channel ticked.
    fn default() -> Self {
        Self {
            title: String::new(),
            prize: String::new(),
            starts_at: String::new(),
            ends_at: String::new(),
            announcement_at: String::new(),
            winner_count: "1".into(),
            visit_bonus: true,
            alternate_count: String::new(),
            claim_days: "7".into(),
            channels: Channel::ALL.to_vec(),
            target_participants: String::new(),
        }
    }
}

impl PublishForm {
    /// From the POSTed `application/x-www-form-urlencoded` pairs. `channels`
    /// repeats (one pair per ticked box), which `serde_urlencoded` cannot put in a
    /// struct, so handlers extract pairs (e.g. `Form<Vec<(String, String)>>`) and
    /// call this. Unknown channel names are dropped; the API then names the field.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut form = PublishForm {
            winner_count: String::new(),
            visit_bonus: false,
            claim_days: String::new(),
            channels: Vec::new(),
            ..PublishForm::default()
        };
        for (key, value) in pairs {
            let value: String = value.into();
            match key.as_ref() {
                "title" => form.title = value,
                "prize" => form.prize = value,
                "startsAt" => form.starts_at = value,
                "endsAt" => form.ends_at = value,
                "announcementAt" => form.announcement_at = value,
                "winnerCount" => form.winner_count = value,
                "visitBonus" => form.visit_bonus = value == "true",
                "alternateCount" => form.alternate_count = value,
                "claimDays" => form.claim_days = value,
                "targetParticipants" => form.target_participants = value,
                "channels" => {
                    if let Some(c) = Channel::parse(&value) {
                        if !form.channels.contains(&c) {
                            form.channels.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
        form
    }
}

impl PublishForm {
    /// A new form with a period filled in: from now (to the minute) for two
    /// weeks, winners announced a day after the end (all editable).
    pub fn starting(now: DateTime<Utc>) -> Self {
        let start = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
        let end = start + Duration::days(14);
        PublishForm {
            starts_at: format::datetime_local(start),
            ends_at: format::datetime_local(end),
            announcement_at: format::datetime_local(end + Duration::days(1)),
            ..PublishForm::default()
        }
    }

    /// The form as the publish use case takes it, or every problem at once,
    /// each for its field (the domain then checks the rules across fields).
    /// Long because it reads every field in one pass: an owner who left three
    /// boxes wrong sees all three, not one per submit.
    pub fn to_details(&self) -> Result<PublishDetails, Vec<FieldError>> {
        let mut problems: Vec<FieldError> = Vec::new();
        let mut problem = |field: &str, message: &str| {
            problems.push(FieldError {
                field: field.to_string(),
                message: message.to_string(),
            })
        };
        for (field, value, message) in [
            ("title", &self.title, "이벤트 제목을 입력해 주세요."),
            ("prize", &self.prize, "경품을 입력해 주세요."),
        ] {
            if value.trim().is_empty() {
                problem(field, message);
            }
        }
        let mut time = |field: &str, value: &str| {
            let parsed = format::parse_datetime_local(value);
            if parsed.is_none() {
                problem(field, "날짜와 시각을 입력해 주세요.");
            }
            parsed
        };
        let starts_at = time("startsAt", &self.starts_at);
        let ends_at = time("endsAt", &self.ends_at);
        let announcement_at = time("announcementAt", &self.announcement_at);
        let number = |value: &str| -> Result<Option<i64>, ()> {
            match value.trim() {
                "" => Ok(None),
                text => text.parse().map(Some).map_err(|_| ()),
            }
        };
        let mut rules_input = DrawRulesInput {
            visit_bonus: Some(self.visit_bonus),
            ..DrawRulesInput::default()
        };
        for (field, value, slot) in [
            (
                "winnerCount",
                &self.winner_count,
                &mut rules_input.winner_count,
            ),
            (
                "alternateCount",
                &self.alternate_count,
                &mut rules_input.alternate_count,
            ),
            ("claimDays", &self.claim_days, &mut rules_input.claim_days),
        ] {
            match number(value) {
                Ok(n) => *slot = n,
                Err(()) => problem(field, "숫자로 입력해 주세요."),
            }
        }
        let rules = DrawRules::parse(rules_input)
            .map_err(|e| problem(e.field(), e.reason()))
            .ok();
        if self.channels.is_empty() {
            problem("channels", "참여 링크를 만들 채널을 하나 이상 골라 주세요.");
        }
        let target_participants = match number(&self.target_participants) {
            Ok(None) => Some(0),
            Ok(Some(n)) => u32::try_from(n).ok(),
            Err(()) => None,
        };
        if target_participants.is_none() {
            problem("targetParticipants", "0 이상의 숫자로 입력해 주세요.");
        }
        match (
            starts_at,
            ends_at,
            announcement_at,
            rules,
            target_participants,
        ) {
            (Some(starts_at), Some(ends_at), Some(announcement_at), Some(rules), Some(target))
                if problems.is_empty() =>
            {
                Ok(PublishDetails {
                    title: self.title.clone(),
                    prize: self.prize.clone(),
                    starts_at,
                    ends_at,
                    announcement_at,
                    draw: DrawTerms::Fixed(rules),
                    channels: self.channels.clone(),
                    target_participants: target,
                })
            }
            _ => Err(problems),
        }
    }
}

/// One channel checkbox of the publish form.
#[derive(Debug, Clone)]
pub struct ChannelOption {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// `GET /console/events/{id}/publish` for a draft.
#[derive(Debug, Clone, Template)]
#[template(path = "console/publish.html")]
pub struct PublishPage {
    pub csrf: String,
    pub campaign: CampaignHeader,
    /// The draft's objective, shown as context.
    pub objective: String,
    pub form: PublishForm,
    pub errors: FormErrors,
}

impl PublishPage {
    pub fn channel_options(&self) -> Vec<ChannelOption> {
        Channel::ALL
            .iter()
            .map(|&c| ChannelOption {
                value: c.as_str(),
                label: channel_label(c),
                checked: self.form.channels.contains(&c),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_form_from_repeated_channel_pairs() {
        let form = PublishForm::from_pairs([
            ("title", "연말 이벤트"),
            ("channels", "INSTAGRAM"),
            ("channels", "STORE_QR"),
            ("channels", "INSTAGRAM"),
            ("channels", "MYSPACE"),
            ("winnerCount", "3"),
            ("csrf", "t"),
        ]);
        assert_eq!(form.title, "연말 이벤트");
        assert_eq!(form.channels, vec![Channel::Instagram, Channel::StoreQr]);
        assert_eq!(form.winner_count, "3");
        assert!(!form.visit_bonus, "an unticked box sends nothing");
        let form = PublishForm::from_pairs([("visitBonus", "true")]);
        assert!(form.visit_bonus);
    }

    #[test]
    fn a_filled_form_becomes_publish_details() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 0, 30, 0).unwrap();
        let mut form = PublishForm::starting(now);
        assert_eq!(form.starts_at, "2026-12-01T09:30", "now, in KST");
        assert_eq!(form.ends_at, "2026-12-15T09:30");
        assert_eq!(form.announcement_at, "2026-12-16T09:30");
        form.title = "연말 이벤트".into();
        form.prize = "케이크".into();
        form.winner_count = "3".into();
        form.target_participants = "200".into();
        let details = form.to_details().unwrap();
        assert_eq!(details.draw.winner_count(), 3);
        assert_eq!(details.draw.rules().unwrap().alternate_count(), 3);
        assert_eq!(details.target_participants, 200);
        assert_eq!(details.channels.len(), 7);
    }

    #[test]
    fn every_problem_is_named_at_its_field() {
        let form = PublishForm {
            winner_count: "abc".into(),
            claim_days: "365".into(),
            channels: vec![],
            target_participants: "-1".into(),
            ..PublishForm::default()
        };
        let errors = FormErrors::check_fields(form.to_details().unwrap_err());
        for field in [
            "title",
            "prize",
            "startsAt",
            "endsAt",
            "announcementAt",
            "winnerCount",
            "channels",
            "targetParticipants",
        ] {
            assert!(errors.has(field), "{field}: {errors:?}");
        }
        assert!(errors.banner.is_some());
        let form = PublishForm {
            claim_days: "365".into(),
            ..PublishForm::starting(Utc::now())
        };
        let errors = FormErrors::check_fields(form.to_details().unwrap_err());
        assert!(errors.has("claimDays"));
    }

    #[test]
    fn new_form_has_the_api_defaults() {
        let form = PublishForm::default();
        assert!(form.visit_bonus);
        assert_eq!(form.claim_days, "7");
        assert_eq!(form.channels.len(), 7);
    }
}
