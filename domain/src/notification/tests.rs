//! Given/when/then tests of the delivery record: numbered attempts, one
//! success, final failures.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type DeliveryTest = TestFramework<NotificationDelivery>;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 2, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn attempt(outcome: AttemptOutcome, seconds: i64) -> RecordAttempt {
    RecordAttempt {
        campaign_id: Uuid::from_u128(1),
        participant_id: Uuid::from_u128(2),
        kind: NotificationKind::Winner,
        outcome,
        max_attempts: 3,
        at: at(seconds),
    }
}

fn timeout() -> AttemptOutcome {
    AttemptOutcome::Failed {
        reason: "timeout".into(),
        retryable: true,
    }
}

fn failed(attempt: u32, is_final: bool, seconds: i64) -> NotificationEvent {
    NotificationEvent::NotificationFailed {
        campaign_id: Uuid::from_u128(1),
        participant_id: Uuid::from_u128(2),
        kind: NotificationKind::Winner,
        attempt,
        reason: "timeout".into(),
        is_final,
        failed_at: at(seconds),
    }
}

fn sent(attempt: u32, seconds: i64) -> NotificationEvent {
    NotificationEvent::NotificationSent {
        campaign_id: Uuid::from_u128(1),
        participant_id: Uuid::from_u128(2),
        kind: NotificationKind::Winner,
        attempt,
        http_status: 202,
        sent_at: at(seconds),
    }
}

#[test]
fn attempts_are_numbered_and_a_success_ends_delivery() {
    DeliveryTest::with(())
        .given(vec![failed(1, false, 0)])
        .when(attempt(AttemptOutcome::Delivered { http_status: 202 }, 5))
        .then_expect_events(vec![sent(2, 5)]);
    DeliveryTest::with(())
        .given(vec![failed(1, false, 0), sent(2, 5)])
        .when(attempt(AttemptOutcome::Delivered { http_status: 200 }, 9))
        .then_expect_error(NotificationError::AlreadySent);
}

#[test]
fn a_failure_is_final_when_not_retryable_or_the_budget_is_spent() {
    DeliveryTest::with(())
        .given(vec![failed(1, false, 0), failed(2, false, 1)])
        .when(attempt(timeout(), 2))
        .then_expect_events(vec![failed(3, true, 2)]);
    DeliveryTest::with(())
        .given_no_previous_events()
        .when(attempt(
            AttemptOutcome::Failed {
                reason: "timeout".into(),
                retryable: false,
            },
            0,
        ))
        .then_expect_events(vec![failed(1, true, 0)]);
    DeliveryTest::with(())
        .given(vec![failed(1, true, 0)])
        .when(attempt(timeout(), 1))
        .then_expect_error(NotificationError::GaveUp);
}

#[test]
fn an_attempt_of_another_notification_is_refused() {
    let mut other = attempt(timeout(), 1);
    other.kind = NotificationKind::EntryConfirmed;
    DeliveryTest::with(())
        .given(vec![failed(1, false, 0)])
        .when(other)
        .then_expect_error(NotificationError::OtherNotification);
}

#[test]
fn the_idempotency_key_is_stable_per_participant_and_kind() {
    let key = delivery_id(
        Uuid::from_u128(1),
        Uuid::from_u128(2),
        NotificationKind::EntryConfirmed,
    );
    assert_eq!(
        key,
        "00000000-0000-0000-0000-000000000001:00000000-0000-0000-0000-000000000002:ENTRY_CONFIRMED"
    );
    assert_ne!(
        key,
        delivery_id(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            NotificationKind::Winner
        )
    );
}
