//! Given/when/then tests of prize delivery on the draw aggregate, and the
//! property that substitution always follows the published order.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::draw::{Draw, DrawCommand, DrawError, DrawnEntrant};
use crate::draw_protocol::Algorithm;
use cqrs_es::Aggregate;

type DrawTest = TestFramework<Draw>;

const OWNER: &str = "owner-1";
const CAMPAIGN: Uuid = Uuid::from_u128(42);

fn announcement() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 1, 0, 0, 0).unwrap()
}

/// The drawn winners' deadline: announcement + 7 claim days.
fn deadline() -> DateTime<Utc> {
    announcement() + Duration::days(7)
}

fn entrant(rank: u32) -> DrawnEntrant {
    DrawnEntrant {
        rank,
        participant_id: Uuid::from_u128(1_000 + u128::from(rank)),
        pid: format!("{rank:064x}"),
        entry_number: format!("EVT0000002A-20251020-{rank:03}"),
    }
}

fn id(rank: u32) -> Uuid {
    entrant(rank).participant_id
}

/// A `draw/v2` record with `winners` winners and `alternates` alternates
/// ranked after them, 7 claim days.
fn record(winners: u32, alternates: u32) -> DrawRecord {
    DrawRecord {
        draw_id: Uuid::from_u128(9),
        campaign_id: CAMPAIGN,
        protocol_version: "draw/v2".into(),
        algorithm: Algorithm::Random,
        bonus_applied: false,
        winner_count: winners,
        alternate_count: Some(alternates),
        claim_days: Some(7),
        rules: Some(format!(
            "winners={winners};alternates={alternates};algorithm=RANDOM;claim_days=7"
        )),
        entrant_count: u64::from(winners + alternates),
        commitment: "00".repeat(32),
        server_seed: "11".repeat(32),
        list_hash: "22".repeat(32),
        seed: "33".repeat(32),
        params: String::new(),
        winners: (1..=winners).map(entrant).collect(),
        alternates: (winners + 1..=winners + alternates).map(entrant).collect(),
        drawn_at: announcement() - Duration::hours(1),
        drawn_by: OWNER.into(),
    }
}

fn drawn(winners: u32, alternates: u32) -> DrawEvent {
    DrawEvent::WinnersDrawn(Box::new(record(winners, alternates)))
}

fn facts() -> ClaimFacts {
    ClaimFacts {
        owner_id: OWNER.into(),
        announcement_at: announcement(),
    }
}

fn claim(participant_id: Uuid, at: DateTime<Utc>) -> DrawCommand {
    DrawCommand::ClaimPrize(ClaimPrize {
        participant_id,
        requested_by: OWNER.into(),
        campaign: facts(),
        claimed_at: at,
    })
}

fn forfeit(participant_id: Uuid, by: Forfeiter, at: DateTime<Utc>) -> DrawCommand {
    DrawCommand::ForfeitPrize(Box::new(ForfeitPrize {
        participant_id,
        by,
        campaign: facts(),
        forfeited_at: at,
    }))
}

fn by_owner(reason: &str) -> Forfeiter {
    Forfeiter::Owner {
        owner_id: OWNER.into(),
        reason: reason.into(),
    }
}

fn soon() -> DateTime<Utc> {
    announcement() + Duration::days(1)
}

fn claimed(rank: u32, at: DateTime<Utc>) -> DrawEvent {
    claimed_by(rank, rank, at)
}

/// The prize of `rank` claimed by the entrant drawn at rank `holder`.
fn claimed_by(rank: u32, holder: u32, at: DateTime<Utc>) -> DrawEvent {
    DrawEvent::PrizeClaimed(PrizeClaimed {
        campaign_id: CAMPAIGN,
        participant_id: id(holder),
        rank,
        claimed_by: OWNER.into(),
        claimed_at: at,
    })
}

fn forfeited(rank: u32, holder: u32, cause: ForfeitCause, at: DateTime<Utc>) -> DrawEvent {
    let (reason, by) = match cause {
        ForfeitCause::OwnerDecision => ("연락 두절", OWNER),
        ForfeitCause::ClaimDeadlinePassed => (DEADLINE_REASON, CLAIM_DEADLINE_FORFEITER),
    };
    DrawEvent::PrizeForfeited(PrizeForfeited {
        campaign_id: CAMPAIGN,
        participant_id: id(holder),
        rank,
        cause,
        reason: reason.into(),
        forfeited_by: by.into(),
        forfeited_at: at,
    })
}

fn promoted(rank: u32, alternate: u32, at: DateTime<Utc>) -> DrawEvent {
    let e = entrant(alternate);
    DrawEvent::AlternatePromoted(AlternatePromoted {
        campaign_id: CAMPAIGN,
        rank,
        participant_id: e.participant_id,
        pid: e.pid,
        entry_number: e.entry_number,
        alternate_rank: alternate,
        claim_deadline: announcement().max(at) + Duration::days(7),
        promoted_at: at,
    })
}

#[test]
fn the_owner_records_a_claim_once() {
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(claim(id(2), soon()))
        .then_expect_events(vec![claimed(2, soon())]);
    // A repeat is a no-op, so a retried request is harmless.
    DrawTest::with(())
        .given(vec![drawn(2, 1), claimed(2, soon())])
        .when(claim(id(2), soon()))
        .then_expect_events(vec![]);
}

#[test]
fn only_a_current_winner_of_a_drawn_campaign_claims_in_time_and_only_by_the_owner() {
    DrawTest::with(())
        .given_no_previous_events()
        .when(claim(id(1), soon()))
        .then_expect_error(DrawError::NotDrawn);
    // An alternate not promoted is not a winner.
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(claim(id(3), soon()))
        .then_expect_error(DrawError::NotAWinner);
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(claim(id(1), deadline()))
        .then_expect_error(DrawError::ClaimDeadlinePassed);
    DrawTest::with(())
        .given(vec![
            drawn(2, 1),
            forfeited(1, 1, ForfeitCause::OwnerDecision, soon()),
            promoted(1, 3, soon()),
        ])
        .when(claim(id(1), soon()))
        .then_expect_error(DrawError::PrizeForfeited);
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(DrawCommand::ClaimPrize(ClaimPrize {
            participant_id: id(1),
            requested_by: "someone-else".into(),
            campaign: facts(),
            claimed_at: soon(),
        }))
        .then_expect_error(DrawError::NotOwner);
}

#[test]
fn a_forfeit_promotes_the_first_unused_alternate_in_the_published_order() {
    DrawTest::with(())
        .given(vec![drawn(2, 2)])
        .when(forfeit(id(2), by_owner("  연락 두절 "), soon()))
        .then_expect_events(vec![
            forfeited(2, 2, ForfeitCause::OwnerDecision, soon()),
            promoted(2, 3, soon()),
        ]);
    // The next forfeit, of any rank, takes the next alternate.
    DrawTest::with(())
        .given(vec![
            drawn(2, 2),
            forfeited(2, 2, ForfeitCause::OwnerDecision, soon()),
            promoted(2, 3, soon()),
        ])
        .when(forfeit(id(1), by_owner("연락 두절"), soon()))
        .then_expect_events(vec![
            forfeited(1, 1, ForfeitCause::OwnerDecision, soon()),
            promoted(1, 4, soon()),
        ]);
}

#[test]
fn when_the_alternates_run_out_the_prize_is_unawarded() {
    DrawTest::with(())
        .given(vec![
            drawn(1, 1),
            forfeited(1, 1, ForfeitCause::OwnerDecision, soon()),
            promoted(1, 2, soon()),
        ])
        .when(forfeit(id(2), by_owner("연락 두절"), soon()))
        .then_expect_events(vec![
            forfeited(1, 2, ForfeitCause::OwnerDecision, soon()),
            DrawEvent::PrizeUnawarded(PrizeUnawarded {
                campaign_id: CAMPAIGN,
                rank: 1,
                unawarded_at: soon(),
            }),
        ]);
}

#[test]
fn a_forfeit_needs_a_pending_winner_a_reason_and_the_owner() {
    DrawTest::with(())
        .given(vec![drawn(1, 1), claimed(1, soon())])
        .when(forfeit(id(1), by_owner("변심"), soon()))
        .then_expect_error(DrawError::PrizeAlreadyClaimed);
    DrawTest::with(())
        .given(vec![drawn(1, 1)])
        .when(forfeit(id(1), by_owner("   "), soon()))
        .then_expect_error(DrawError::InvalidForfeitReason);
    DrawTest::with(())
        .given(vec![drawn(1, 1)])
        .when(forfeit(id(1), by_owner(&"가".repeat(201)), soon()))
        .then_expect_error(DrawError::InvalidForfeitReason);
    DrawTest::with(())
        .given(vec![drawn(1, 1)])
        .when(forfeit(
            id(1),
            Forfeiter::Owner {
                owner_id: "intruder".into(),
                reason: "연락 두절".into(),
            },
            soon(),
        ))
        .then_expect_error(DrawError::NotOwner);
    DrawTest::with(())
        .given(vec![drawn(1, 1)])
        .when(forfeit(id(2), by_owner("연락 두절"), soon()))
        .then_expect_error(DrawError::NotAWinner);
    // Forfeiting twice is a no-op.
    DrawTest::with(())
        .given(vec![
            drawn(1, 1),
            forfeited(1, 1, ForfeitCause::OwnerDecision, soon()),
            promoted(1, 2, soon()),
        ])
        .when(forfeit(id(1), by_owner("연락 두절"), soon()))
        .then_expect_events(vec![]);
}

#[test]
fn the_deadline_forfeits_only_pending_winners_whose_deadline_passed() {
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(forfeit(
            id(1),
            Forfeiter::ClaimDeadline,
            deadline() - Duration::seconds(1),
        ))
        .then_expect_error(DrawError::ClaimPeriodOpen);
    DrawTest::with(())
        .given(vec![drawn(2, 1)])
        .when(forfeit(id(1), Forfeiter::ClaimDeadline, deadline()))
        .then_expect_events(vec![
            forfeited(1, 1, ForfeitCause::ClaimDeadlinePassed, deadline()),
            promoted(1, 3, deadline()),
        ]);
    // Claimed in time: nothing to do.
    DrawTest::with(())
        .given(vec![drawn(2, 1), claimed(1, soon())])
        .when(forfeit(id(1), Forfeiter::ClaimDeadline, deadline()))
        .then_expect_events(vec![]);
}

#[test]
fn a_promoted_alternate_has_a_claim_period_of_its_own() {
    // Promoted at the deadline: claims until 7 days later.
    let given = vec![
        drawn(1, 1),
        forfeited(1, 1, ForfeitCause::ClaimDeadlinePassed, deadline()),
        promoted(1, 2, deadline()),
    ];
    DrawTest::with(())
        .given(given.clone())
        .when(claim(id(2), deadline() + Duration::days(6)))
        .then_expect_events(vec![claimed_by(1, 2, deadline() + Duration::days(6))]);
    DrawTest::with(())
        .given(given.clone())
        .when(forfeit(
            id(2),
            Forfeiter::ClaimDeadline,
            deadline() + Duration::days(1),
        ))
        .then_expect_error(DrawError::ClaimPeriodOpen);
    DrawTest::with(())
        .given(given)
        .when(claim(id(2), deadline() + Duration::days(7)))
        .then_expect_error(DrawError::ClaimDeadlinePassed);
}

#[test]
fn erasure_waits_for_winners_who_may_still_claim() {
    let state = state_of(&[drawn(2, 1)]);
    assert_eq!(
        ensure_erasable(&state, announcement(), soon()),
        Err(DrawError::PrizesPending)
    );
    assert_eq!(ensure_erasable(&state, announcement(), deadline()), Ok(()));
    let all_claimed = state_of(&[drawn(2, 1), claimed(1, soon()), claimed(2, soon())]);
    assert_eq!(
        ensure_erasable(&all_claimed, announcement(), soon()),
        Ok(())
    );
    assert_eq!(
        ensure_erasable(&Draw::default(), announcement(), soon()),
        Ok(())
    );
    // A promoted alternate's own deadline counts.
    let promoted_late = state_of(&[
        drawn(1, 1),
        forfeited(1, 1, ForfeitCause::ClaimDeadlinePassed, deadline()),
        promoted(1, 2, deadline()),
    ]);
    assert_eq!(
        ensure_erasable(
            &promoted_late,
            announcement(),
            deadline() + Duration::days(1)
        ),
        Err(DrawError::PrizesPending)
    );
}

#[test]
fn the_state_names_current_winners_and_who_replaced_whom() {
    let state = state_of(&[
        drawn(2, 2),
        claimed(1, soon()),
        forfeited(2, 2, ForfeitCause::OwnerDecision, soon()),
        promoted(2, 3, soon()),
    ]);
    let holders: Vec<(u32, Uuid, ClaimStatus)> = state
        .claims
        .holders()
        .map(|(p, h)| (p.rank, h.participant_id, h.status))
        .collect();
    assert_eq!(
        holders,
        [
            (1, id(1), ClaimStatus::Claimed),
            (2, id(3), ClaimStatus::Pending)
        ]
    );
    let Standing::Forfeited(lost) = state.claims.standing(id(2)) else {
        panic!("winner 2 forfeited");
    };
    assert_eq!(
        lost.successor.as_ref().map(|s| s.participant_id),
        Some(id(3))
    );
    assert_eq!(state.claims.standing(id(4)), Standing::NotAWinner);
}

fn state_of(events: &[DrawEvent]) -> Draw {
    let mut state = Draw::default();
    for event in events {
        state.apply(event.clone());
    }
    state
}

/// One step of a random prize delivery history.
#[derive(Debug, Clone)]
enum Op {
    Claim(u32),
    ForfeitByOwner(u32),
    ForfeitAtDeadline(u32),
}

fn op(ranks: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=ranks).prop_map(Op::Claim),
        (1..=ranks).prop_map(Op::ForfeitByOwner),
        (1..=ranks).prop_map(Op::ForfeitAtDeadline),
    ]
}

/// Runs a command through the aggregate's `handle`, as cqrs-es does.
fn run(state: &mut Draw, command: DrawCommand) -> Result<Vec<DrawEvent>, DrawError> {
    let sink = cqrs_es::event_sink::EventSink::default();
    block_on(state.handle(command, &(), &sink))?;
    Ok(block_on(sink.collect()))
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a test runtime")
        .block_on(future)
}

proptest! {
    /// Whatever the owner and the deadline do, in any order: every
    /// promotion is the next alternate of the published order, nobody holds
    /// or regains a prize twice, every rank has one holder or is unawarded,
    /// and no more people ever win than winners + alternates.
    #[test]
    fn promotions_follow_the_published_order_and_never_reuse_an_entrant(
        winners in 1u32..5,
        alternates in 0u32..5,
        ops in proptest::collection::vec((op(9), 0i64..20), 0..40),
    ) {
        let record = record(winners, alternates);
        let mut state = state_of(&[drawn(winners, alternates)]);
        let mut promoted_in_order = Vec::new();
        let mut ever_held: Vec<Uuid> = record.winners.iter().map(|w| w.participant_id).collect();
        for (op, day) in ops {
            let at = announcement() + Duration::days(day);
            let command = match op {
                Op::Claim(r) => claim(id(r), at),
                Op::ForfeitByOwner(r) => forfeit(id(r), by_owner("사유"), at),
                Op::ForfeitAtDeadline(r) => forfeit(id(r), Forfeiter::ClaimDeadline, at),
            };
            let Ok(events) = run(&mut state, command) else { continue };
            for event in &events {
                if let DrawEvent::AlternatePromoted(p) = event {
                    promoted_in_order.push(p.participant_id);
                    prop_assert!(!ever_held.contains(&p.participant_id), "reused {}", p.participant_id);
                    ever_held.push(p.participant_id);
                    let published = &record.alternates[promoted_in_order.len() - 1];
                    prop_assert_eq!(p.participant_id, published.participant_id);
                    prop_assert_eq!(p.alternate_rank, published.rank);
                }
                if let DrawEvent::PrizeUnawarded(_) = event {
                    prop_assert_eq!(promoted_in_order.len(), record.alternates.len());
                }
            }
            // Every rank: one holder, or unawarded; no one holds two.
            let mut holders: Vec<Uuid> = state.claims.holders().map(|(_, h)| h.participant_id).collect();
            for prize in &state.claims.prizes {
                prop_assert!(prize.holder.is_some() != prize.unawarded_at.is_some());
            }
            let count = holders.len();
            holders.sort();
            holders.dedup();
            prop_assert_eq!(holders.len(), count);
            prop_assert!(ever_held.len() <= (winners + alternates) as usize);
            prop_assert_eq!(state.claims.alternates_used, promoted_in_order.len());
        }
    }
}
