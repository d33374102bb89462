//! Given/when/then tests of `draw/v2` campaigns, whose rules were fixed and
//! committed to when they were published, and the property that nothing sent
//! at draw time changes their ranking.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::campaign::{CampaignStatus, DrawRules, DrawTerms};
use crate::draw_protocol::{self, hex32, v2, verify, Algorithm, Verification};

type DrawTest = TestFramework<Draw>;

const OWNER: &str = "owner-1";
const SERVER_SEED: [u8; 32] = [7; 32];

fn ends_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 27, 0, 0, 0).unwrap()
}

fn campaign_id() -> Uuid {
    Uuid::from_u128(42)
}

/// The published rules: 3 winners, WEIGHTED, 4 alternates, 7 claim days.
fn rules() -> DrawRules {
    DrawRules::new(3, true, 4, 7).unwrap()
}

fn facts(rules: DrawRules) -> CampaignFacts {
    CampaignFacts {
        campaign_id: campaign_id(),
        owner_id: OWNER.into(),
        status: CampaignStatus::Ended,
        ends_at: Some(ends_at()),
        draw_terms: Some(DrawTerms::Fixed(rules)),
        seed_commitment: Some(hex32(&v2::commitment(&campaign_id(), &rules, &SERVER_SEED))),
    }
}

/// `n` entrants; every third visited the store (3 bonus entries).
fn entrants(n: u32) -> Vec<FrozenEntrant> {
    (0..n)
        .map(|i| {
            let mut pid = [0u8; 32];
            pid[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
            pid[31] = i as u8;
            FrozenEntrant {
                pid,
                bonus_entries: if i % 3 == 0 { 3 } else { 1 },
                participant_id: Uuid::from_u128(1_000 + u128::from(i)),
                entry_number: format!("EVT00002A-20251020-{:03}", i + 1),
            }
        })
        .collect()
}

/// A request naming no terms: the published rules apply.
fn run_draw(entrant_count: u32) -> RunDraw {
    RunDraw {
        draw_id: Uuid::from_u128(9),
        requested_by: OWNER.into(),
        campaign: facts(rules()),
        winner_count: None,
        visit_bonus: None,
        server_seed: SERVER_SEED,
        entrants: entrants(entrant_count),
        drawn_at: ends_at() + Duration::hours(1),
    }
}

fn when(run: RunDraw) -> DrawCommand {
    DrawCommand::RunDraw(Box::new(run))
}

fn drawn(run: RunDraw) -> DrawRecord {
    let events = DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .inspect_result()
        .expect("the draw is allowed");
    match events.as_slice() {
        [DrawEvent::WinnersDrawn(record)] => (**record).clone(),
        other => panic!("expected one WinnersDrawn, got {other:?}"),
    }
}

fn ranked_ids(record: &DrawRecord) -> Vec<Uuid> {
    record
        .winners
        .iter()
        .chain(&record.alternates)
        .map(|e| e.participant_id)
        .collect()
}

#[test]
fn a_draw_with_no_terms_follows_the_published_rules() {
    let run = run_draw(20);
    let entrants = run.entrants.clone();
    let record = drawn(run);
    assert_eq!(record.protocol_version, "draw/v2");
    assert_eq!(record.algorithm, Algorithm::Weighted);
    assert!(record.bonus_applied);
    assert_eq!(record.winner_count, 3);
    assert_eq!(record.alternate_count, Some(4));
    assert_eq!(record.claim_days, Some(7));
    assert_eq!(
        record.rules.as_deref(),
        Some("winners=3;alternates=4;algorithm=WEIGHTED;claim_days=7")
    );
    assert_eq!(
        record.params,
        format!(
            "draw/v2;campaign={};winners=3;alternates=4;algorithm=WEIGHTED;claim_days=7;\
             entrants=20",
            campaign_id()
        )
    );
    // Exactly the published number of alternates, ranked after the winners.
    assert_eq!(record.winners.len(), 3);
    assert_eq!(record.alternates.len(), 4);
    let ranks: Vec<u32> = record
        .winners
        .iter()
        .chain(&record.alternates)
        .map(|e| e.rank)
        .collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(record.commitment, facts(rules()).seed_commitment.unwrap());
    let list = canonical_list(&entrants, Algorithm::Weighted).unwrap();
    assert_eq!(verify(&record.published(), &list), Verification::Match);
    assert_eq!(
        cqrs_es::DomainEvent::event_version(&DrawEvent::WinnersDrawn(Box::new(record))),
        "2"
    );
}

#[test]
fn a_request_repeating_the_published_terms_is_the_same_draw() {
    let reference = drawn(run_draw(20));
    let mut run = run_draw(20);
    run.winner_count = Some(3);
    run.visit_bonus = Some(true);
    assert_eq!(drawn(run), reference);
}

#[test]
fn a_different_winner_count_is_refused() {
    for winner_count in [1, 2, 4, 1000] {
        let mut run = run_draw(20);
        run.winner_count = Some(winner_count);
        DrawTest::with(())
            .given_no_previous_events()
            .when(when(run))
            .then_expect_error(DrawError::RulesFixed);
    }
}

#[test]
fn a_different_method_is_refused() {
    let mut run = run_draw(20);
    run.visit_bonus = Some(false);
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::RulesFixed);
    // The published method, asked for with another count, is still refused.
    let mut run = run_draw(20);
    run.visit_bonus = Some(true);
    run.winner_count = Some(5);
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::RulesFixed);
}

#[test]
fn an_invalid_winner_count_is_invalid_input_before_anything_else() {
    for winner_count in [0, 1001, u32::MAX] {
        let mut run = run_draw(20);
        run.winner_count = Some(winner_count);
        DrawTest::with(())
            .given_no_previous_events()
            .when(when(run))
            .then_expect_error(DrawError::InvalidWinnerCount);
    }
}

#[test]
fn who_and_when_are_checked_before_the_terms() {
    let mut run = run_draw(20);
    run.winner_count = Some(9);
    run.requested_by = "intruder".into();
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::NotOwner);
    let previous = DrawEvent::WinnersDrawn(Box::new(drawn(run_draw(20))));
    let mut run = run_draw(20);
    run.visit_bonus = Some(false);
    DrawTest::with(())
        .given(vec![previous])
        .when(when(run))
        .then_expect_error(DrawError::AlreadyDrawn);
    let mut run = run_draw(20);
    run.campaign.status = CampaignStatus::Active;
    run.drawn_at = ends_at() - Duration::seconds(1);
    run.winner_count = Some(9);
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::CampaignNotEnded);
}

#[test]
fn the_commitment_opens_only_with_the_published_rules() {
    // A commitment made for other rules (or with the v1 formula) does not
    // open: the server cannot draw under rules it did not commit to.
    let mut run = run_draw(20);
    let other = DrawRules::new(3, false, 4, 7).unwrap();
    run.campaign.seed_commitment =
        Some(hex32(&v2::commitment(&campaign_id(), &other, &SERVER_SEED)));
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::SeedCommitmentMismatch);
    let mut run = run_draw(20);
    run.campaign.seed_commitment = Some(hex32(&draw_protocol::commitment(
        &campaign_id(),
        &SERVER_SEED,
    )));
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::SeedCommitmentMismatch);
}

#[test]
fn fewer_entrants_than_published_winners_is_refused() {
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run_draw(2)))
        .then_expect_error(DrawError::NotEnoughEntrants {
            entrants: 2,
            winners: 3,
        });
    // Fewer than winners + alternates is fine: fewer alternates.
    let record = drawn(run_draw(5));
    assert_eq!((record.winners.len(), record.alternates.len()), (3, 2));
}

#[test]
fn a_random_campaign_ignores_bonus_entries() {
    let random = DrawRules::new(2, false, 0, 30).unwrap();
    let mut run = run_draw(12);
    run.campaign = facts(random);
    let entrants = run.entrants.clone();
    let record = drawn(run);
    assert_eq!(record.algorithm, Algorithm::Random);
    assert!(!record.bonus_applied);
    assert!(record.alternates.is_empty());
    let list = canonical_list(&entrants, Algorithm::Random).unwrap();
    assert!(list.entrants().iter().all(|e| e.weight == 1));
    assert_eq!(verify(&record.published(), &list), Verification::Match);
}

#[test]
fn the_algorithm_to_store_the_list_for_is_the_published_one() {
    let fixed = facts(rules());
    assert_eq!(draw_algorithm(&fixed, Some(false)), Algorithm::Weighted);
    assert_eq!(draw_algorithm(&fixed, None), Algorithm::Weighted);
    let mut legacy = fixed;
    legacy.draw_terms = Some(DrawTerms::Legacy { winner_count: 3 });
    assert_eq!(draw_algorithm(&legacy, None), Algorithm::Random);
    assert_eq!(draw_algorithm(&legacy, Some(true)), Algorithm::Weighted);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// The ranking the published rules give, computed by the protocol alone.
    fn reference(rules: &DrawRules, entrants: &[FrozenEntrant]) -> Vec<Uuid> {
        let list = canonical_list(entrants, rules.algorithm()).unwrap();
        let outcome = v2::run(&SERVER_SEED, &list, &campaign_id(), rules).unwrap();
        let mut sorted = entrants.to_vec();
        sorted.sort_unstable_by_key(|e| e.pid);
        let shown = rules.winner_count() as usize + v2::alternates_drawn(rules, list.len());
        outcome.ordering[..shown]
            .iter()
            .map(|&i| sorted[i as usize].participant_id)
            .collect()
    }

    fn requester() -> impl Strategy<Value = String> {
        prop_oneof![4 => Just(OWNER.to_string()), 1 => "[a-z0-9-]{0,12}"]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Once a campaign is published under draw/v2, nothing the owner or
        /// operator can still send changes the ranking: the request is refused
        /// (contradicting terms: RulesFixed; out-of-range count: invalid
        /// input; someone else: NotOwner), or its winners and alternates are
        /// exactly those the published rules give.
        #[test]
        fn nothing_sent_at_draw_time_changes_the_ranking(
            winners in 1u32..=6,
            visit_bonus in any::<bool>(),
            alternates in 0u32..=8,
            n in 6u32..40,
            requested_count in prop::option::of(prop_oneof![0u32..=10, any::<u32>()]),
            requested_bonus in prop::option::of(any::<bool>()),
            draw_id in any::<u128>(),
            drawn_at in 0i64..4_000_000_000,
            requested_by in requester(),
        ) {
            let rules = DrawRules::new(winners, visit_bonus, alternates, 7).unwrap();
            let entrants = entrants(n);
            let expected = reference(&rules, &entrants);
            let mut reversed = entrants.clone();
            reversed.reverse();
            let run = RunDraw {
                draw_id: Uuid::from_u128(draw_id),
                requested_by: requested_by.clone(),
                campaign: facts(rules),
                winner_count: requested_count,
                visit_bonus: requested_bonus,
                server_seed: SERVER_SEED,
                entrants: reversed,
                drawn_at: Utc.timestamp_opt(drawn_at, 0).unwrap(),
            };
            let result = rules::decide(&Draw::default(), run);
            let contradicts = requested_count.is_some_and(|c| c != winners)
                || requested_bonus.is_some_and(|b| b != visit_bonus);
            match result {
                Ok(DrawEvent::WinnersDrawn(record)) => {
                    prop_assert_eq!(&requested_by, OWNER);
                    prop_assert!(!contradicts);
                    prop_assert_eq!(ranked_ids(&record), expected);
                    prop_assert_eq!(record.winners.len(), winners as usize);
                    prop_assert_eq!(record.draw_id, Uuid::from_u128(draw_id));
                }
                Err(DrawError::NotOwner) => prop_assert_ne!(&requested_by, OWNER),
                Err(DrawError::InvalidWinnerCount) => {
                    prop_assert!(requested_count.is_some_and(|c| !(1..=1000).contains(&c)));
                }
                Err(DrawError::RulesFixed) => prop_assert!(contradicts),
                Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
                Ok(other) => prop_assert!(false, "not a draw: {other:?}"),
            }
        }
    }
}
