//! Given/when/then tests of the participation rules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::campaign::{CampaignStatus, EntryWindow};

type ParticipationTest = TestFramework<Participation>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 0, 0, 0).unwrap()
}

fn window(status: CampaignStatus) -> EntryWindow {
    EntryWindow {
        status,
        starts_at: t0(),
        ends_at: t0() + Duration::days(7),
    }
}

fn sealed() -> SealedPersonalData {
    SealedPersonalData {
        nonce: "AAAAAAAAAAAAAAAA".into(),
        ciphertext: "c2VhbGVk".into(),
    }
}

fn register(store_visited: bool) -> RegisterParticipant {
    RegisterParticipant {
        participant_id: Uuid::from_u128(7),
        campaign_id: Uuid::from_u128(42),
        pid: "ab".repeat(32),
        entry_number: "EVT00002A-20251020-001".into(),
        channel: Channel::Instagram,
        store_visited,
        agree_privacy: true,
        agree_marketing: false,
        personal_data: sealed(),
        campaign: window(CampaignStatus::Active),
        registered_at: t0() + Duration::hours(1),
    }
}

fn registered(store_visited: bool) -> ParticipationEvent {
    ParticipationEvent::ParticipantRegistered {
        participant_id: Uuid::from_u128(7),
        campaign_id: Uuid::from_u128(42),
        pid: "ab".repeat(32),
        entry_number: "EVT00002A-20251020-001".into(),
        channel: Channel::Instagram,
        store_visited,
        bonus_entries: if store_visited { 3 } else { 1 },
        agree_marketing: false,
        personal_data: sealed(),
        registered_at: t0() + Duration::hours(1),
    }
}

fn when(command: RegisterParticipant) -> ParticipationCommand {
    ParticipationCommand::Register(Box::new(command))
}

#[test]
fn a_first_entry_is_registered_with_one_entry() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(register(false)))
        .then_expect_events(vec![registered(false)]);
}

#[test]
fn a_store_visit_earns_three_entries() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(register(true)))
        .then_expect_events(vec![registered(true)]);
}

#[test]
fn a_second_entry_with_the_same_phone_is_refused() {
    ParticipationTest::with(())
        .given(vec![registered(false)])
        .when(when(register(false)))
        .then_expect_error(ParticipationError::AlreadyEntered);
}

#[test]
fn privacy_consent_is_required() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(RegisterParticipant {
            agree_privacy: false,
            ..register(false)
        }))
        .then_expect_error(ParticipationError::PrivacyConsentRequired);
}

#[test]
fn a_draft_campaign_takes_no_entries() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(RegisterParticipant {
            campaign: window(CampaignStatus::Draft),
            ..register(false)
        }))
        .then_expect_error(ParticipationError::CampaignNotOpen);
}

#[test]
fn entries_before_the_start_are_refused() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(RegisterParticipant {
            registered_at: t0() - Duration::seconds(1),
            ..register(false)
        }))
        .then_expect_error(ParticipationError::CampaignNotOpen);
}

#[test]
fn entries_after_the_end_or_once_ended_are_refused() {
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(RegisterParticipant {
            registered_at: t0() + Duration::days(7),
            ..register(false)
        }))
        .then_expect_error(ParticipationError::CampaignEnded);
    ParticipationTest::with(())
        .given_no_previous_events()
        .when(when(RegisterParticipant {
            campaign: window(CampaignStatus::Ended),
            ..register(false)
        }))
        .then_expect_error(ParticipationError::CampaignEnded);
}
