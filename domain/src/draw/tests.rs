//! Given/when/then tests of the draw rules for legacy (`draw/v1`) campaigns,
//! published before the rules were fixed and drawn as they always were, and
//! properties of the recorded draw. `draw/v2` campaigns: `v2_tests.rs`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::campaign::{CampaignStatus, DrawTerms};
use crate::draw_protocol::{self, hex32, verify, Algorithm, DrawProtocolError, Verification};

type DrawTest = TestFramework<Draw>;

const OWNER: &str = "owner-1";
const SERVER_SEED: [u8; 32] = [7; 32];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 0, 0, 0).unwrap()
}

fn ends_at() -> DateTime<Utc> {
    t0() + Duration::days(7)
}

fn campaign_id() -> Uuid {
    Uuid::from_u128(42)
}

fn facts(status: CampaignStatus) -> CampaignFacts {
    CampaignFacts {
        campaign_id: campaign_id(),
        owner_id: OWNER.into(),
        status,
        ends_at: (status != CampaignStatus::Draft).then(ends_at),
        draw_terms: (status != CampaignStatus::Draft)
            .then_some(DrawTerms::Legacy { winner_count: 3 }),
        seed_commitment: (status != CampaignStatus::Draft)
            .then(|| hex32(&draw_protocol::commitment(&campaign_id(), &SERVER_SEED))),
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

fn run_draw(entrant_count: u32, visit_bonus: bool) -> RunDraw {
    RunDraw {
        draw_id: Uuid::from_u128(9),
        requested_by: OWNER.into(),
        campaign: facts(CampaignStatus::Ended),
        winner_count: Some(3),
        visit_bonus: Some(visit_bonus),
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

fn verify_record(record: &DrawRecord, entrants: &[FrozenEntrant]) -> Verification {
    let list = canonical_list(entrants, record.algorithm).unwrap();
    verify(&record.published(), &list)
}

#[test]
fn the_owner_draws_random_winners_after_the_campaign_ended() {
    let run = run_draw(20, false);
    let entrants = run.entrants.clone();
    let record = drawn(run);

    assert_eq!(record.algorithm, Algorithm::Random);
    assert!(!record.bonus_applied);
    assert_eq!(record.protocol_version, "draw/v1");
    assert_eq!(record.campaign_id, campaign_id());
    assert_eq!(record.draw_id, Uuid::from_u128(9));
    assert_eq!(record.winner_count, 3);
    assert_eq!(record.entrant_count, 20);
    assert_eq!(record.drawn_by, OWNER);
    assert_eq!(record.drawn_at, ends_at() + Duration::hours(1));
    assert_eq!(record.server_seed, hex32(&SERVER_SEED));
    assert_eq!(
        record.params,
        format!(
            "draw/v1;campaign={};algorithm=RANDOM;winners=3;entrants=20",
            campaign_id()
        )
    );
    let ranks: Vec<u32> = record
        .winners
        .iter()
        .chain(&record.alternates)
        .map(|e| e.rank)
        .collect();
    assert_eq!(
        ranks,
        (1..=13).collect::<Vec<_>>(),
        "3 winners, 10 alternates"
    );
    // Each ranked entrant is named consistently with the frozen list.
    for ranked in record.winners.iter().chain(&record.alternates) {
        let entrant = entrants
            .iter()
            .find(|e| e.participant_id == ranked.participant_id)
            .expect("a ranked entrant is an entrant");
        assert_eq!(ranked.pid, hex32(&entrant.pid));
        assert_eq!(ranked.entry_number, entrant.entry_number);
    }
    assert_eq!(verify_record(&record, &entrants), Verification::Match);
}

#[test]
fn the_store_visit_bonus_draws_weighted_by_bonus_entries() {
    let run = run_draw(20, true);
    let entrants = run.entrants.clone();
    let record = drawn(run);
    assert_eq!(record.algorithm, Algorithm::Weighted);
    assert!(record.bonus_applied);
    assert!(record.params.contains(";algorithm=WEIGHTED;"));
    assert_eq!(verify_record(&record, &entrants), Verification::Match);
    // The weights are part of the list: the same pids with weight 1 differ.
    let unweighted = canonical_list(&entrants, Algorithm::Random).unwrap();
    assert!(!verify(&record.published(), &unweighted).is_match());
}

#[test]
fn the_draw_is_reproducible_and_independent_of_entrant_order() {
    let first = drawn(run_draw(50, true));
    let mut reversed = run_draw(50, true);
    reversed.entrants.reverse();
    assert_eq!(drawn(reversed), first);
}

#[test]
fn the_winner_count_defaults_to_the_published_one() {
    let mut run = run_draw(20, false);
    run.winner_count = None;
    assert_eq!(drawn(run).winners.len(), 3);
}

#[test]
fn a_legacy_request_naming_no_method_draws_random_as_before() {
    let mut run = run_draw(20, true);
    run.visit_bonus = None;
    let record = drawn(run);
    assert_eq!(record.algorithm, Algorithm::Random);
    assert!(!record.bonus_applied);
    assert_eq!(record.rules, None, "a draw/v1 record states no fixed rules");
}

#[test]
fn an_active_campaign_past_its_end_can_be_drawn() {
    let mut run = run_draw(5, false);
    run.campaign = facts(CampaignStatus::Active);
    run.drawn_at = ends_at();
    assert_eq!(drawn(run).winners.len(), 3);
}

#[test]
fn only_the_owner_may_draw() {
    let mut run = run_draw(5, false);
    run.requested_by = "someone-else".into();
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::NotOwner);
}

#[test]
fn a_running_campaign_cannot_be_drawn() {
    let mut run = run_draw(5, false);
    run.campaign = facts(CampaignStatus::Active);
    run.drawn_at = ends_at() - Duration::seconds(1);
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::CampaignNotEnded);
}

#[test]
fn a_draft_cannot_be_drawn() {
    let mut run = run_draw(5, false);
    run.campaign = facts(CampaignStatus::Draft);
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::CampaignNotEnded);
}

#[test]
fn a_campaign_is_drawn_only_once() {
    let previous = DrawEvent::WinnersDrawn(Box::new(drawn(run_draw(5, false))));
    DrawTest::with(())
        .given(vec![previous.clone()])
        .when(when(run_draw(5, false)))
        .then_expect_error(DrawError::AlreadyDrawn);
    // Not even with other parameters.
    DrawTest::with(())
        .given(vec![previous])
        .when(when(run_draw(9, true)))
        .then_expect_error(DrawError::AlreadyDrawn);
}

#[test]
fn fewer_entrants_than_winners_is_refused() {
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run_draw(2, false)))
        .then_expect_error(DrawError::NotEnoughEntrants {
            entrants: 2,
            winners: 3,
        });
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run_draw(0, true)))
        .then_expect_error(DrawError::NotEnoughEntrants {
            entrants: 0,
            winners: 3,
        });
}

#[test]
fn as_many_entrants_as_winners_all_win_with_no_alternates() {
    let record = drawn(run_draw(3, false));
    assert_eq!(record.winners.len(), 3);
    assert!(record.alternates.is_empty());
}

#[test]
fn the_winner_count_is_between_1_and_1000() {
    for winner_count in [0, 1001, u32::MAX] {
        let mut run = run_draw(5, false);
        run.winner_count = Some(winner_count);
        DrawTest::with(())
            .given_no_previous_events()
            .when(when(run))
            .then_expect_error(DrawError::InvalidWinnerCount);
    }
    let mut run = run_draw(1000, false);
    run.winner_count = Some(1000);
    let record = drawn(run);
    assert_eq!(record.winners.len(), 1000);
    assert!(record.alternates.is_empty());
}

#[test]
fn a_server_seed_that_does_not_open_the_commitment_is_refused() {
    let mut run = run_draw(5, false);
    run.server_seed = [8; 32];
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::SeedCommitmentMismatch);
    let mut run = run_draw(5, false);
    run.campaign.seed_commitment = None;
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run))
        .then_expect_error(DrawError::SeedCommitmentMismatch);
}

#[test]
fn a_duplicate_pseudonymous_id_is_refused() {
    let mut run = run_draw(5, false);
    run.entrants[4].pid = run.entrants[0].pid;
    DrawTest::with(())
        .given_no_previous_events()
        .when(when(run.clone()))
        .then_expect_error(DrawError::InvalidEntrantList(
            DrawProtocolError::DuplicatePid {
                pid: hex32(&run.entrants[0].pid),
            },
        ));
}

#[test]
fn the_event_is_named_versioned_and_holds_no_personal_data() {
    let event = DrawEvent::WinnersDrawn(Box::new(drawn(run_draw(12, true))));
    assert_eq!(cqrs_es::DomainEvent::event_type(&event), "WinnersDrawn");
    assert_eq!(cqrs_es::DomainEvent::event_version(&event), "1");
    let json = serde_json::to_value(&event).unwrap();
    let record = &json["WinnersDrawn"];
    for field in [
        "drawId",
        "campaignId",
        "protocolVersion",
        "algorithm",
        "bonusApplied",
        "winnerCount",
        "entrantCount",
        "commitment",
        "serverSeed",
        "listHash",
        "seed",
        "params",
        "winners",
        "alternates",
        "drawnAt",
        "drawnBy",
    ] {
        assert!(!record[field].is_null(), "{field} missing in {record}");
    }
    assert_eq!(record["algorithm"], "WEIGHTED");
    let winner = &record["winners"][0];
    let keys: Vec<&str> = winner
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["entryNumber", "participantId", "pid", "rank"]);
    let back: DrawEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
}

#[test]
fn alternates_kept_is_one_per_winner_and_at_least_ten() {
    assert_eq!(alternates_kept(1), 10);
    assert_eq!(alternates_kept(10), 10);
    assert_eq!(alternates_kept(11), 11);
    assert_eq!(alternates_kept(1000), 1000);
    let mut run = run_draw(100, false);
    run.winner_count = Some(40);
    let record = drawn(run);
    assert_eq!(record.alternates.len(), 40);
    assert_eq!(record.alternates[0].rank, 41);
}

#[test]
fn ensure_may_draw_checks_owner_then_once_then_ended() {
    let done = Draw {
        record: Some(drawn(run_draw(5, false))),
        ..Draw::default()
    };
    let running = facts(CampaignStatus::Active);
    let before_end = ends_at() - Duration::minutes(1);
    assert_eq!(
        ensure_may_draw(&done, &running, "intruder", before_end),
        Err(DrawError::NotOwner)
    );
    assert_eq!(
        ensure_may_draw(&done, &running, OWNER, before_end),
        Err(DrawError::AlreadyDrawn)
    );
    assert_eq!(
        ensure_may_draw(&Draw::default(), &running, OWNER, before_end),
        Err(DrawError::CampaignNotEnded)
    );
    assert_eq!(
        ensure_may_draw(&Draw::default(), &running, OWNER, ends_at()),
        Ok(())
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every recorded draw verifies against its frozen list, ranks are
        /// contiguous from 1 and nobody is ranked twice.
        #[test]
        fn every_recorded_draw_verifies(
            n in 1u32..60,
            winners in 1u32..60,
            visit_bonus in any::<bool>(),
            seed_byte in any::<u8>(),
        ) {
            let winners = 1 + (winners - 1) % n;
            let server_seed = [seed_byte; 32];
            let mut run = run_draw(n, visit_bonus);
            run.server_seed = server_seed;
            run.campaign.seed_commitment =
                Some(hex32(&draw_protocol::commitment(&campaign_id(), &server_seed)));
            run.winner_count = Some(winners);
            let entrants = run.entrants.clone();
            let record = drawn(run);
            prop_assert_eq!(record.winners.len(), winners as usize);
            let ranked: Vec<&DrawnEntrant> = record.winners.iter().chain(&record.alternates).collect();
            let ranks: Vec<u32> = ranked.iter().map(|e| e.rank).collect();
            prop_assert_eq!(ranks, (1..=ranked.len() as u32).collect::<Vec<_>>());
            let mut ids: Vec<Uuid> = ranked.iter().map(|e| e.participant_id).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), ranked.len());
            prop_assert_eq!(verify_record(&record, &entrants), Verification::Match);
        }
    }
}
