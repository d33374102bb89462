//! Entering a campaign: parse the entry into domain types, check the entry
//! window, the channel (one the campaign was published with) and a claimed
//! store visit (a valid store-visit token, see [`crate::store_visits`])
//! early, seal the personal data under the campaign key, and append through
//! group commit, where the store's primary key decides duplicates (also
//! between racing requests for the same phone). A refused entry appends no
//! event, so no read model (analytics included) ever counts it. Every
//! attempt, taken or refused, is written to the participation log with its
//! outcome.

use chrono::{DateTime, Utc};
use promo_domain::channel::Channel;
use promo_domain::entrant::{EntrantName, PhoneNumber};
use promo_domain::participation;
use promo_domain::participation::{
    ensure_entry_window_open, ParticipationError, RegisterParticipant,
};
use promo_domain::privacy::{self, PersonalData};
use promo_eventstore::group_commit::RegistrationError;
use promo_eventstore::metrics::OutcomeLabel;
use promo_eventstore::participation_log::Attempt;
use promo_eventstore::secrets::random_bytes;
use uuid::Uuid;

use crate::context::App;
use crate::error::{AppError, AppResult};
use crate::{campaigns, store_visits};

pub const THANK_YOU: &str = "이벤트에 참여해주셔서 감사합니다";

/// An entry as submitted (JSON API or the entry page's form), unparsed.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub event_id: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub channel: Option<String>,
    pub store_visited: bool,
    /// The token of the in-store QR code, proving `store_visited`.
    pub store_visit_token: Option<String>,
    pub agree_privacy: bool,
    pub agree_marketing: bool,
    /// The device/user agent, for the participation log.
    pub user_agent: Option<String>,
}

/// What the entrant is told.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub participant_id: Uuid,
    pub entry_number: String,
    pub campaign_id: Uuid,
    pub bonus_entries: u8,
    pub announcement_at: DateTime<Utc>,
    pub message: &'static str,
    /// The entrant's pseudonymous id, lowercase hex, exactly as in the
    /// draw's canonical entrant list.
    pub entrant_id: String,
    /// The campaign's prize.
    pub prize: String,
}

/// Parsed, valid input.
struct Entry {
    campaign_id: Uuid,
    name: EntrantName,
    phone: PhoneNumber,
    channel: Channel,
    store_visited: bool,
    agree_privacy: bool,
    agree_marketing: bool,
}

fn required<'a>(value: &'a Option<String>, field: &str) -> AppResult<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| AppError::invalid(field, "필수 항목입니다"))
}

fn parse(form: &EntryForm) -> AppResult<Entry> {
    let campaign_id = Uuid::parse_str(required(&form.event_id, "eventId")?.trim())
        .map_err(|_| AppError::invalid("eventId", "올바른 이벤트 ID가 아닙니다"))?;
    let name = EntrantName::parse(required(&form.name, "name")?)?;
    let phone = PhoneNumber::parse(required(&form.phone_number, "phoneNumber")?)?;
    let channel = Channel::parse(required(&form.channel, "channel")?.trim())
        .ok_or_else(|| AppError::invalid("channel", "알 수 없는 참여 경로입니다"))?;
    if !form.agree_privacy {
        return Err(ParticipationError::PrivacyConsentRequired.into());
    }
    if let Some(token) = &form.store_visit_token {
        if token.len() > 256 {
            return Err(AppError::invalid(
                store_visits::TOKEN_FIELD,
                "매장 방문 확인 코드가 올바르지 않습니다",
            ));
        }
    }
    Ok(Entry {
        campaign_id,
        name,
        phone,
        channel,
        store_visited: form.store_visited,
        agree_privacy: form.agree_privacy,
        agree_marketing: form.agree_marketing,
    })
}

/// Enters a campaign, once per phone number; records the attempt either way.
/// `outcome_code` names a refusal in the log and metrics (the API's code).
#[tracing::instrument(skip_all)]
pub async fn enter(
    app: &App,
    form: EntryForm,
    outcome_code: impl Fn(&AppError) -> &'static str,
) -> AppResult<Receipt> {
    let now = app.now();
    let result = register(app, &form, now).await;
    let outcome = match &result {
        Ok(_) => "ACCEPTED",
        Err(e) => outcome_code(e),
    };
    app.metrics
        .participations
        .get_or_create(&OutcomeLabel {
            outcome: outcome.to_string(),
        })
        .inc();
    app.participation_log.record(Attempt {
        attempted_at: now,
        campaign_id: form
            .event_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id.trim()).ok()),
        channel: form
            .channel
            .as_deref()
            .and_then(Channel::parse)
            .map(|c| c.as_str().to_string()),
        user_agent: form.user_agent.clone(),
        outcome: outcome.to_string(),
    });
    result
}

async fn register(app: &App, form: &EntryForm, now: DateTime<Utc>) -> AppResult<Receipt> {
    let entry = parse(form)?;
    let campaign = campaigns::load_active_cached(app, entry.campaign_id).await?;
    let window = campaign
        .entry_window()
        .ok_or(ParticipationError::CampaignNotOpen)?;
    // Checked here too (the batch checks again) so a refused entry does not
    // consume an entry number or a key lookup.
    ensure_entry_window_open(&window, now)?;
    store_visits::ensure_channel_published(&campaign, entry.channel)?;
    let secrets = app
        .secrets
        .get(entry.campaign_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::internal("published campaign without secrets"))?;
    let Some(data_secret) = secrets.data.as_ref() else {
        // Personal data of this campaign was destroyed: it takes no entries.
        return Err(ParticipationError::CampaignEnded.into());
    };
    // The bonus only with proof: a claimed visit needs the campaign's token.
    let store_visited = store_visits::proven_visit(
        &secrets,
        entry.campaign_id,
        entry.store_visited,
        form.store_visit_token.as_deref(),
        now,
    )?;
    let pid = privacy::pseudonymous_id(
        &data_secret.pid_key(),
        entry.campaign_id,
        entry.phone.as_str(),
    );

    let participant_id = Uuid::new_v4();
    let nonce = random_bytes::<12>().map_err(AppError::internal)?;
    let sealed = privacy::seal(
        &data_secret.data_key(),
        nonce,
        participant_id,
        &PersonalData {
            name: entry.name.as_str().to_string(),
            phone: entry.phone.as_str().to_string(),
        },
    );
    let command = RegisterParticipant {
        participant_id,
        campaign_id: entry.campaign_id,
        pid: hex::encode(pid),
        // Assigned at commit, so a refused entry uses no number.
        entry_number: String::new(),
        channel: entry.channel,
        store_visited,
        agree_privacy: entry.agree_privacy,
        agree_marketing: entry.agree_marketing,
        personal_data: sealed,
        campaign: window,
        registered_at: now,
    };
    let entry_number = app.commands.register(command).await.map_err(|e| match e {
        RegistrationError::Rule(rule) => AppError::from(rule),
        RegistrationError::CampaignNotFound => AppError::CampaignNotFound,
        RegistrationError::Unavailable(detail) => AppError::Unavailable(detail),
    })?;
    let details = campaign.details.as_ref();
    Ok(Receipt {
        participant_id,
        entry_number,
        campaign_id: entry.campaign_id,
        bonus_entries: participation::bonus_entries(store_visited),
        announcement_at: details.map(|d| d.announcement_at).unwrap_or(now),
        message: THANK_YOU,
        entrant_id: hex::encode(pid),
        prize: details.map(|d| d.prize.clone()).unwrap_or_default(),
    })
}
