//! Given/when/then tests of the personal-data access rules.

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type AccessTest = TestFramework<PersonalDataAccess>;

fn access(by: &str, erased: bool) -> RecordAccess {
    RecordAccess {
        access_id: Uuid::from_u128(7),
        campaign: AccessFacts {
            campaign_id: Uuid::from_u128(1),
            owner_id: "owner-1".into(),
            personal_data_erased: erased,
        },
        accessed_by: by.into(),
        action: AccessAction::WinnerContacts,
        participant_ids: vec![Uuid::from_u128(10), Uuid::from_u128(11)],
        accessed_at: Utc.with_ymd_and_hms(2025, 11, 2, 9, 0, 0).unwrap(),
    }
}

fn accessed() -> AccessEvent {
    AccessEvent::PersonalDataAccessed {
        access_id: Uuid::from_u128(7),
        campaign_id: Uuid::from_u128(1),
        accessed_by: "owner-1".into(),
        action: AccessAction::WinnerContacts,
        participant_ids: vec![Uuid::from_u128(10), Uuid::from_u128(11)],
        accessed_at: Utc.with_ymd_and_hms(2025, 11, 2, 9, 0, 0).unwrap(),
    }
}

#[test]
fn the_owner_s_access_is_recorded_with_whom_it_shows() {
    AccessTest::with(())
        .given_no_previous_events()
        .when(access("owner-1", false))
        .then_expect_events(vec![accessed()]);
}

#[test]
fn nobody_else_and_nothing_after_erasure_and_each_access_once() {
    AccessTest::with(())
        .given_no_previous_events()
        .when(access("intruder", false))
        .then_expect_error(AccessError::NotOwner);
    AccessTest::with(())
        .given_no_previous_events()
        .when(access("owner-1", true))
        .then_expect_error(AccessError::PersonalDataErased);
    AccessTest::with(())
        .given(vec![accessed()])
        .when(access("owner-1", false))
        .then_expect_error(AccessError::AlreadyRecorded);
}

#[test]
fn the_event_carries_ids_only() {
    let json = serde_json::to_value(accessed()).unwrap();
    assert_eq!(
        json["PersonalDataAccessed"]["action"],
        serde_json::json!("WINNER_CONTACTS")
    );
    assert_eq!(
        json["PersonalDataAccessed"]["participantIds"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
