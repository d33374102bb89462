//! Given/when/then tests of the campaign rules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::channel::Channel;

type CampaignTest = TestFramework<Campaign>;

const OWNER: &str = "owner-1";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 0, 0, 0).unwrap()
}

fn id() -> Uuid {
    Uuid::from_u128(42)
}

fn store() -> StoreInfo {
    StoreInfo {
        store_name: "맛있는집".into(),
        industry: "음식점".into(),
        address: "서울시 강남구".into(),
    }
}

fn details() -> PublishDetails {
    PublishDetails {
        title: "가을 경품 이벤트".into(),
        prize: "KT 멤버십 5,000P".into(),
        starts_at: t0(),
        ends_at: t0() + Duration::days(7),
        announcement_at: t0() + Duration::days(8),
        winner_count: 3,
        channels: vec![Channel::Uridongnetv, Channel::Instagram],
        target_participants: 500,
    }
}

fn created() -> CampaignEvent {
    CampaignEvent::CampaignDraftCreated {
        campaign_id: id(),
        owner_id: OWNER.into(),
        objective: Objective::NewCustomers,
        store: store(),
        created_at: t0(),
    }
}

fn published() -> CampaignEvent {
    CampaignEvent::CampaignPublished {
        campaign_id: id(),
        details: details(),
        seed_commitment: "ab".repeat(32),
        published_at: t0(),
    }
}

fn publish(details: PublishDetails) -> CampaignCommand {
    CampaignCommand::Publish {
        owner_id: OWNER.into(),
        details,
        seed_commitment: "ab".repeat(32),
        published_at: t0(),
    }
}

#[test]
fn a_draft_is_created_with_a_known_objective() {
    CampaignTest::with(())
        .given_no_previous_events()
        .when(CampaignCommand::CreateDraft {
            campaign_id: id(),
            owner_id: OWNER.into(),
            objective: "신규 고객 유치".into(),
            store: store(),
            created_at: t0(),
        })
        .then_expect_events(vec![created()]);
}

#[test]
fn an_unknown_objective_is_refused() {
    CampaignTest::with(())
        .given_no_previous_events()
        .when(CampaignCommand::CreateDraft {
            campaign_id: id(),
            owner_id: OWNER.into(),
            objective: "세계 정복".into(),
            store: store(),
            created_at: t0(),
        })
        .then_expect_error(CampaignError::InvalidObjective("세계 정복".into()));
}

#[test]
fn missing_store_information_is_refused() {
    CampaignTest::with(())
        .given_no_previous_events()
        .when(CampaignCommand::CreateDraft {
            campaign_id: id(),
            owner_id: OWNER.into(),
            objective: "매출 증대".into(),
            store: StoreInfo {
                address: "  ".into(),
                ..store()
            },
            created_at: t0(),
        })
        .then_expect_error(CampaignError::StoreInfoMissing("address"));
}

#[test]
fn the_owner_publishes_a_draft() {
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(details()))
        .then_expect_events(vec![published()]);
}

#[test]
fn another_owner_cannot_publish() {
    CampaignTest::with(())
        .given(vec![created()])
        .when(CampaignCommand::Publish {
            owner_id: "intruder".into(),
            details: details(),
            seed_commitment: "ab".repeat(32),
            published_at: t0(),
        })
        .then_expect_error(CampaignError::NotOwner);
}

#[test]
fn publishing_twice_is_refused() {
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(publish(details()))
        .then_expect_error(CampaignError::AlreadyPublished);
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    let mut bad = details();
    bad.ends_at = bad.starts_at;
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(bad))
        .then_expect_error(CampaignError::InvalidField {
            field: "endsAt",
            reason: "must be after startsAt",
        });
}

#[test]
fn winner_count_and_channels_are_checked() {
    let mut none = details();
    none.winner_count = 0;
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(none))
        .then_expect_error(CampaignError::InvalidField {
            field: "winnerCount",
            reason: "must be between 1 and 1000",
        });
    let mut dup = details();
    dup.channels = vec![Channel::Kakao, Channel::Kakao];
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(dup))
        .then_expect_error(CampaignError::InvalidField {
            field: "channels",
            reason: "must not repeat a channel",
        });
}

#[test]
fn publishing_an_unknown_campaign_is_not_found() {
    CampaignTest::with(())
        .given_no_previous_events()
        .when(publish(details()))
        .then_expect_error(CampaignError::NotFound);
}

#[test]
fn the_owner_ends_an_active_campaign_once() {
    let ended = CampaignEvent::CampaignEnded {
        campaign_id: id(),
        ended_at: t0() + Duration::days(1),
    };
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(CampaignCommand::End {
            owner_id: OWNER.into(),
            ended_at: t0() + Duration::days(1),
        })
        .then_expect_events(vec![ended.clone()]);
    CampaignTest::with(())
        .given(vec![created(), published(), ended])
        .when(CampaignCommand::End {
            owner_id: OWNER.into(),
            ended_at: t0() + Duration::days(2),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_draft_cannot_be_ended() {
    CampaignTest::with(())
        .given(vec![created()])
        .when(CampaignCommand::End {
            owner_id: OWNER.into(),
            ended_at: t0(),
        })
        .then_expect_error(CampaignError::NotActive);
}

#[test]
fn an_active_campaign_past_its_end_counts_as_ended() {
    let mut campaign = Campaign::default();
    campaign.apply(created());
    campaign.apply(published());
    assert_eq!(campaign.effective_status(t0()), CampaignStatus::Active);
    assert_eq!(
        campaign.effective_status(t0() + Duration::days(7)),
        CampaignStatus::Ended
    );
}

fn erase_by(requested_by: Eraser, at: DateTime<Utc>) -> CampaignCommand {
    CampaignCommand::ErasePersonalData {
        requested_by,
        erased_at: at,
    }
}

fn erased(reason: ErasureReason, by: &str, at: DateTime<Utc>) -> CampaignEvent {
    CampaignEvent::PersonalDataErased {
        campaign_id: id(),
        reason,
        erased_by: by.into(),
        erased_at: at,
    }
}

#[test]
fn the_owner_erases_personal_data_once_the_campaign_has_ended() {
    let at = t0() + Duration::days(7);
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(erase_by(Eraser::Owner(OWNER.into()), at))
        .then_expect_events(vec![erased(ErasureReason::OwnerRequest, OWNER, at)]);
    let ended = CampaignEvent::CampaignEnded {
        campaign_id: id(),
        ended_at: t0() + Duration::days(1),
    };
    let at = t0() + Duration::days(2);
    CampaignTest::with(())
        .given(vec![created(), published(), ended])
        .when(erase_by(Eraser::Owner(OWNER.into()), at))
        .then_expect_events(vec![erased(ErasureReason::OwnerRequest, OWNER, at)]);
}

#[test]
fn personal_data_of_a_running_campaign_cannot_be_erased() {
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(erase_by(
            Eraser::Owner(OWNER.into()),
            t0() + Duration::days(1),
        ))
        .then_expect_error(CampaignError::StillRunning);
    CampaignTest::with(())
        .given(vec![created()])
        .when(erase_by(Eraser::RetentionPolicy, t0()))
        .then_expect_error(CampaignError::StillRunning);
}

#[test]
fn only_the_owner_or_the_retention_policy_erases_and_only_once() {
    let at = t0() + Duration::days(100);
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(erase_by(Eraser::Owner("someone-else".into()), at))
        .then_expect_error(CampaignError::NotOwner);
    CampaignTest::with(())
        .given_no_previous_events()
        .when(erase_by(Eraser::RetentionPolicy, at))
        .then_expect_error(CampaignError::NotFound);
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(erase_by(Eraser::RetentionPolicy, at))
        .then_expect_events(vec![erased(
            ErasureReason::RetentionExpired,
            RETENTION_ERASER,
            at,
        )]);
    CampaignTest::with(())
        .given(vec![
            created(),
            published(),
            erased(ErasureReason::RetentionExpired, RETENTION_ERASER, at),
        ])
        .when(erase_by(Eraser::Owner(OWNER.into()), at))
        .then_expect_events(vec![]);
}
