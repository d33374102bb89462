//! Creating a campaign: the draft form (objective and store) and the publish
//! form (title, prize, period, draw rules, channels).

use askama::Template;
use promo_domain::channel::Channel;
use serde::Deserialize;

use super::CampaignHeader;
use crate::pages::view::{channel_label, FormErrors, OBJECTIVES};

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
    fn new_form_has_the_api_defaults() {
        let form = PublishForm::default();
        assert!(form.visit_bonus);
        assert_eq!(form.claim_days, "7");
        assert_eq!(form.channels.len(), 7);
    }
}
