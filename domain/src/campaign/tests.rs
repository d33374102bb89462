//! Given/when/then tests of the campaign rules.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::channel::Channel;
use crate::draw_protocol::ProtocolVersion;

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

fn rules() -> DrawRules {
    DrawRules::new(3, true, 3, 7).unwrap()
}

fn details() -> PublishDetails {
    PublishDetails {
        title: "가을 경품 이벤트".into(),
        prize: "KT 멤버십 5,000P".into(),
        starts_at: t0(),
        ends_at: t0() + Duration::days(7),
        announcement_at: t0() + Duration::days(8),
        draw: DrawTerms::Fixed(rules()),
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
            reason: "시작 시각(startsAt) 이후여야 합니다",
        });
}

#[test]
fn channels_are_checked() {
    let mut dup = details();
    dup.channels = vec![Channel::Kakao, Channel::Kakao];
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(dup))
        .then_expect_error(CampaignError::InvalidField {
            field: "channels",
            reason: "같은 참여 경로를 두 번 지정할 수 없습니다",
        });
}

#[test]
fn publishing_fixes_the_draw_rules() {
    // Legacy terms only ever come from old events; a publication fixes rules.
    let mut legacy = details();
    legacy.draw = DrawTerms::Legacy { winner_count: 3 };
    CampaignTest::with(())
        .given(vec![created()])
        .when(publish(legacy))
        .then_expect_error(CampaignError::InvalidField {
            field: "visitBonus",
            reason: "추첨 조건은 이벤트 발행 시 확정해야 합니다",
        });
    let mut campaign = Campaign::default();
    campaign.apply(created());
    campaign.apply(published());
    let terms = campaign.details.as_ref().unwrap().draw;
    assert_eq!(terms, DrawTerms::Fixed(rules()));
    assert_eq!(terms.protocol_version(), ProtocolVersion::V2);
    assert_eq!(terms.winner_count(), 3);
}

#[test]
fn a_seed_commitment_is_64_lowercase_hex_digits() {
    for bad in ["AB".repeat(32), "ab".repeat(31), "zz".repeat(32)] {
        CampaignTest::with(())
            .given(vec![created()])
            .when(CampaignCommand::Publish {
                owner_id: OWNER.into(),
                details: details(),
                seed_commitment: bad,
                published_at: t0(),
            })
            .then_expect_error(CampaignError::InvalidField {
                field: "seedCommitment",
                reason: "소문자 16진수 64자여야 합니다",
            });
    }
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

// ---------------------------------------------------------------------------
// Draw rules: parsing, and the stored shapes of CampaignPublished.
// ---------------------------------------------------------------------------

#[test]
fn draw_rules_take_their_defaults() {
    let parsed = DrawRules::parse(DrawRulesInput {
        winner_count: Some(3),
        ..DrawRulesInput::default()
    })
    .unwrap();
    assert_eq!(parsed, DrawRules::new(3, true, 3, 7).unwrap());
    assert_eq!(
        parsed.canonical(),
        "winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7"
    );
    // More winners than alternates can be: the default stops at 100.
    let many = DrawRules::parse(DrawRulesInput {
        winner_count: Some(500),
        visit_bonus: Some(false),
        ..DrawRulesInput::default()
    })
    .unwrap();
    assert_eq!(
        many.canonical(),
        "winners=500;alternates=100;algorithm=RANDOM;claim_days=7"
    );
}

#[test]
fn each_draw_rule_is_checked_and_named() {
    let input = |w: Option<i64>, a: Option<i64>, d: Option<i64>| DrawRulesInput {
        winner_count: w,
        visit_bonus: None,
        alternate_count: a,
        claim_days: d,
    };
    let cases = [
        (input(None, None, None), DrawRulesError::WinnerCount),
        (input(Some(0), None, None), DrawRulesError::WinnerCount),
        (input(Some(1001), None, None), DrawRulesError::WinnerCount),
        (input(Some(-1), None, None), DrawRulesError::WinnerCount),
        (
            input(Some(1 << 40), None, None),
            DrawRulesError::WinnerCount,
        ),
        (
            input(Some(1), Some(-1), None),
            DrawRulesError::AlternateCount,
        ),
        (
            input(Some(1), Some(101), None),
            DrawRulesError::AlternateCount,
        ),
        (input(Some(1), None, Some(0)), DrawRulesError::ClaimDays),
        (input(Some(1), None, Some(91)), DrawRulesError::ClaimDays),
    ];
    for (input, expected) in cases {
        assert_eq!(DrawRules::parse(input), Err(expected), "{input:?}");
    }
    let bounds = input(Some(1000), Some(100), Some(90));
    assert!(DrawRules::parse(bounds).is_ok());
    let none = input(Some(1), Some(0), Some(1));
    assert_eq!(DrawRules::parse(none).unwrap().alternate_count(), 0);

    // The API answers 400 VALIDATION_ERROR naming the field, in Korean.
    for (error, field) in [
        (DrawRulesError::WinnerCount, "winnerCount"),
        (DrawRulesError::AlternateCount, "alternateCount"),
        (DrawRulesError::ClaimDays, "claimDays"),
    ] {
        let campaign_error = CampaignError::from(error);
        assert_eq!(
            campaign_error,
            CampaignError::InvalidField {
                field,
                reason: error.reason()
            }
        );
        assert!(campaign_error
            .to_string()
            .starts_with(&format!("{field}: ")));
        assert!(error
            .to_string()
            .chars()
            .any(|c| ('가'..='힣').contains(&c)));
    }
}

#[test]
fn a_campaign_published_before_draw_v2_still_loads_with_legacy_terms() {
    // A CampaignPublished payload exactly as version 1 stored it.
    let stored = serde_json::json!({"CampaignPublished": {
        "campaignId": id(),
        "details": {
            "title": "가을 경품 이벤트", "prize": "KT 멤버십 5,000P",
            "startsAt": t0(), "endsAt": t0() + Duration::days(7),
            "announcementAt": t0() + Duration::days(8),
            "winnerCount": 5, "channels": ["KAKAO"], "targetParticipants": 10
        },
        "seedCommitment": "ab".repeat(32),
        "publishedAt": t0()
    }});
    let event: CampaignEvent = serde_json::from_value(stored.clone()).unwrap();
    let CampaignEvent::CampaignPublished { details, .. } = &event else {
        panic!("{event:?}");
    };
    assert_eq!(details.draw, DrawTerms::Legacy { winner_count: 5 });
    assert_eq!(details.draw.protocol_version(), ProtocolVersion::V1);
    assert_eq!(cqrs_es::DomainEvent::event_version(&event), "1");
    // Written back, it is the same payload.
    assert_eq!(serde_json::to_value(&event).unwrap(), stored);

    let mut campaign = Campaign::default();
    campaign.apply(created());
    campaign.apply(event);
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.details.unwrap().draw.winner_count(), 5);
}

#[test]
fn a_draw_v2_publication_stores_its_rules_beside_the_winner_count() {
    let event = published();
    assert_eq!(cqrs_es::DomainEvent::event_version(&event), "2");
    let json = serde_json::to_value(&event).unwrap();
    let details = &json["CampaignPublished"]["details"];
    assert_eq!(details["winnerCount"], 3);
    assert_eq!(details["visitBonus"], true);
    assert_eq!(details["alternateCount"], 3);
    assert_eq!(details["claimDays"], 7);
    let back: CampaignEvent = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, event);

    // Partial or out-of-range rules are not silently read as something else.
    let mut partial = json.clone();
    partial["CampaignPublished"]["details"]
        .as_object_mut()
        .unwrap()
        .remove("claimDays");
    assert!(serde_json::from_value::<CampaignEvent>(partial).is_err());
    let mut out_of_range = json;
    out_of_range["CampaignPublished"]["details"]["alternateCount"] = 101.into();
    assert!(serde_json::from_value::<CampaignEvent>(out_of_range).is_err());
}

fn edit(store_name: Option<&str>, objective: Option<&str>) -> CampaignCommand {
    CampaignCommand::EditDraft {
        owner_id: OWNER.into(),
        objective: objective.map(str::to_string),
        store_name: store_name.map(str::to_string),
        industry: None,
        address: None,
        edited_at: t0(),
    }
}

#[test]
fn a_draft_is_edited_field_by_field() {
    CampaignTest::with(())
        .given(vec![created()])
        .when(edit(Some("  새 식당 "), Some("재방문 유도")))
        .then_expect_events(vec![CampaignEvent::CampaignDraftEdited {
            campaign_id: id(),
            objective: Objective::parse("재방문 유도").unwrap(),
            store: StoreInfo {
                store_name: "새 식당".into(),
                ..store()
            },
            edited_at: t0(),
        }]);
}

#[test]
fn only_a_draft_of_its_owner_is_edited() {
    CampaignTest::with(())
        .given(vec![created(), published()])
        .when(edit(Some("새 식당"), None))
        .then_expect_error(CampaignError::NotDraft);
    CampaignTest::with(())
        .given(vec![created()])
        .when(CampaignCommand::EditDraft {
            owner_id: "someone-else".into(),
            objective: None,
            store_name: None,
            industry: None,
            address: None,
            edited_at: t0(),
        })
        .then_expect_error(CampaignError::NotOwner);
    CampaignTest::with(())
        .given(vec![created()])
        .when(edit(Some("   "), None))
        .then_expect_error(CampaignError::StoreInfoMissing("storeName"));
}

#[test]
fn publishing_with_an_end_already_past_is_refused() {
    CampaignTest::with(())
        .given(vec![created()])
        .when(CampaignCommand::Publish {
            owner_id: OWNER.into(),
            details: details(),
            seed_commitment: "a".repeat(64),
            published_at: t0() + Duration::days(8),
        })
        .then_expect_error(CampaignError::InvalidField {
            field: "endsAt",
            reason: "이미 지난 시각입니다. 종료 시각은 지금 이후여야 합니다",
        });
}
