//! Test vectors, rules and properties of `draw/v2`, the named checks of both versions, the
//! total-weight cap and the random stream past 2^32 blocks.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

use super::*;

const VECTOR_CAMPAIGN: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

/// The entrants of the `draw/v1` worked example (`entrant-1` … `entrant-10`), with the
/// WEIGHTED weights.
const VECTOR_ENTRANTS: [(&str, u32); 10] = [
    (
        "7ce73e0728d9b67e49eaf098ca4581b06dac1c09c88b4e412b4b483ba0b6bea7",
        1,
    ),
    (
        "427d1ecf2ccd2f644a5e9cb51114fc9c27dde4e4c2537e9f0d0ffc97f043aca7",
        3,
    ),
    (
        "4a9036e8027f57e1ae64a1d399dcd095f2e1463d1f03a7f63bcef763e2d34e04",
        1,
    ),
    (
        "514fd5455cdd9fd3fbb20606fa906d1164aaa3c64cf3bdc87916ec7d754bbf46",
        1,
    ),
    (
        "fb8211d765bcdbc2144555dd222ad8cb0f0b320b819519595d5d3ae6ab9091db",
        3,
    ),
    (
        "181a4a87fd2513b3ddbb203b838c953a167ced231a67663823e1ba7bdf9c26e6",
        1,
    ),
    (
        "6eb793315b90afb8bbddafe5f3abcf67c2f8e62c120155274965a2e63c3693dc",
        1,
    ),
    (
        "381c03af5422411cde3faf643f68584bbd63de5759f3c1ca260c4bfe6111d72a",
        3,
    ),
    (
        "4d81a0ebb2bc7469598bc83b76b062d105d0a8a12f29758c9e39049ae0417cf3",
        1,
    ),
    (
        "1b10848fd312afbb7afe82eec74fc1c721026cebfb77afd66f2203dcbeac0711",
        3,
    ),
];

fn campaign() -> Uuid {
    Uuid::parse_str(VECTOR_CAMPAIGN).unwrap()
}

fn server_seed() -> [u8; 32] {
    std::array::from_fn(|i| i as u8 + 1)
}

/// The two example rule sets: RANDOM with 2 alternates and 14 claim days; WEIGHTED with the
/// publish defaults for 3 winners.
fn vector_rules(algorithm: Algorithm) -> DrawRules {
    match algorithm {
        Algorithm::Random => DrawRules::new(3, false, 2, 14).unwrap(),
        Algorithm::Weighted => DrawRules::new(3, true, 3, 7).unwrap(),
    }
}

fn vector_list(algorithm: Algorithm) -> CanonicalList {
    CanonicalList::new(
        VECTOR_ENTRANTS
            .iter()
            .map(|&(pid, weight)| Entrant {
                pid: parse_hex32(pid).unwrap(),
                weight: if algorithm == Algorithm::Weighted {
                    weight
                } else {
                    1
                },
            })
            .collect(),
    )
    .unwrap()
}

fn vector_published(algorithm: Algorithm) -> (CanonicalList, PublishedDraw) {
    let list = vector_list(algorithm);
    let (_, published) =
        publish_v2(&server_seed(), &list, &campaign(), &vector_rules(algorithm)).unwrap();
    (list, published)
}

#[test]
#[ignore = "prints the draw/v2 worked example of docs/draw-protocol.md"]
fn print_test_vector_v2() {
    for algorithm in [Algorithm::Random, Algorithm::Weighted] {
        let rules = vector_rules(algorithm);
        let list = vector_list(algorithm);
        println!("== {algorithm}");
        println!("rules {}", rules.canonical());
        println!(
            "commitment {}",
            hex32(&v2::commitment(&campaign(), &rules, &server_seed()))
        );
        let outcome = v2::run(&server_seed(), &list, &campaign(), &rules).unwrap();
        println!("listHash {}", hex32(&outcome.list_hash));
        println!(
            "params {}",
            v2::params_string(&campaign(), &rules, list.len())
        );
        println!("seed {}", hex32(&outcome.seed));
        println!("ordering {:?}", outcome.ordering);
        let mut rng = ChaCha20Rng::from_seed(outcome.seed);
        let draws: Vec<String> = (0..18)
            .map(|_| format!("{:016x}", rng.next_u64()))
            .collect();
        println!("next_u64 {draws:?}");
        let (_, published) = vector_published(algorithm);
        println!("{}", serde_json::to_string_pretty(&published).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// Committed draw/v2 test vectors (docs/draw-protocol.md §8.3–§8.4), computed by this code and
// cross-checked with the document's Python reference verifier.
// ---------------------------------------------------------------------------------------------

const RANDOM_RULES: &str = "winners=3;alternates=2;algorithm=RANDOM;claim_days=14";
const RANDOM_COMMITMENT: &str = "a793e1190ef1fc14edf8d63f65d138350eea24273e2063cc2648713219af20f3";
const RANDOM_LIST_HASH: &str = "848e8c4f6a3d39a91c236ca6eeb7071418ac1c78451f4a48696c0fe868ebd998";
const RANDOM_PARAMS: &str = "draw/v2;campaign=3f2504e0-4f89-41d3-9a0c-0305e82c3301;\
                             winners=3;alternates=2;algorithm=RANDOM;claim_days=14;entrants=10";
const RANDOM_SEED: &str = "92bb20d59fd5546b3dc52c930bba4cc0e3b13ac665f5313a3caa7a200e28925a";
const RANDOM_ORDERING: [u32; 10] = [5, 9, 3, 6, 4, 1, 7, 2, 8, 0];

const WEIGHTED_RULES: &str = "winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7";
const WEIGHTED_COMMITMENT: &str =
    "663831bbfd100b13a4d9285c3a42e585219b3b38f028614b29300fdb46eb48b7";
const WEIGHTED_LIST_HASH: &str = "63fde04f902c3bd884e4a18f0ebb895b059fe2305dfe8341e8ff91f0924cf12b";
const WEIGHTED_PARAMS: &str = "draw/v2;campaign=3f2504e0-4f89-41d3-9a0c-0305e82c3301;\
                               winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7;entrants=10";
const WEIGHTED_SEED: &str = "0e0f6f3c51d53cfcc1a73ca840d17974ed6cd75aef419f13d296b52ed5b67684";
const WEIGHTED_ORDERING: [u32; 10] = [2, 1, 7, 3, 9, 0, 8, 5, 4, 6];

fn check_vector(
    algorithm: Algorithm,
    rules_text: &str,
    commitment: &str,
    list_hash: &str,
    params: &str,
    seed: &str,
    expected: &[u32],
) {
    let rules = vector_rules(algorithm);
    let list = vector_list(algorithm);
    assert_eq!(rules.canonical(), rules_text);
    assert_eq!(
        hex32(&v2::commitment(&campaign(), &rules, &server_seed())),
        commitment
    );
    assert_eq!(v2::params_string(&campaign(), &rules, list.len()), params);
    let outcome = v2::run(&server_seed(), &list, &campaign(), &rules).unwrap();
    assert_eq!(hex32(&outcome.list_hash), list_hash);
    assert_eq!(hex32(&outcome.seed), seed);
    assert_eq!(outcome.ordering, expected);
    // The same entrants and server seed give another ordering under v1: the versions'
    // seeds are domain-separated.
    let v1_params = DrawParams {
        campaign_id: campaign(),
        algorithm,
        winner_count: 3,
    };
    assert_ne!(
        v1::run(&server_seed(), &list, &v1_params).unwrap().seed,
        outcome.seed
    );

    let (_, published) = vector_published(algorithm);
    let rank = |i: usize| hex32(&list.entrants()[expected[i] as usize].pid);
    assert_eq!(published.winners, (0..3).map(rank).collect::<Vec<_>>());
    let alternates = rules.alternate_count() as usize;
    assert_eq!(
        published.alternates,
        (3..3 + alternates).map(rank).collect::<Vec<_>>()
    );
    assert_eq!(published.commitment, commitment);
    assert_eq!(published.rules.as_deref(), Some(rules_text));
}

#[test]
fn test_vector_v2_random() {
    check_vector(
        Algorithm::Random,
        RANDOM_RULES,
        RANDOM_COMMITMENT,
        RANDOM_LIST_HASH,
        RANDOM_PARAMS,
        RANDOM_SEED,
        &RANDOM_ORDERING,
    );
}

#[test]
fn test_vector_v2_weighted() {
    check_vector(
        Algorithm::Weighted,
        WEIGHTED_RULES,
        WEIGHTED_COMMITMENT,
        WEIGHTED_LIST_HASH,
        WEIGHTED_PARAMS,
        WEIGHTED_SEED,
        &WEIGHTED_ORDERING,
    );
}

#[test]
fn test_vector_v2_first_rng_outputs() {
    let mut rng = ChaCha20Rng::from_seed(parse_hex32(RANDOM_SEED).unwrap());
    assert_eq!(rng.next_u64(), 0xff3e_4aba_ae8b_9745);
    assert_eq!(rng.next_u64(), 0x0c27_d7bb_23f3_3474);
    let mut rng = ChaCha20Rng::from_seed(parse_hex32(WEIGHTED_SEED).unwrap());
    assert_eq!(rng.next_u64(), 0x56c4_e7fe_3c33_a6fe);
    assert_eq!(rng.next_u64(), 0x5420_770e_d1e7_a496);
}

#[test]
fn the_commitment_binds_every_rule_the_campaign_and_the_seed() {
    let base = DrawRules::new(3, true, 3, 7).unwrap();
    let reference = v2::commitment(&campaign(), &base, &server_seed());
    let variants = [
        DrawRules::new(4, true, 3, 7).unwrap(),
        DrawRules::new(3, false, 3, 7).unwrap(),
        DrawRules::new(3, true, 4, 7).unwrap(),
        DrawRules::new(3, true, 3, 8).unwrap(),
    ];
    for other in variants {
        assert_ne!(
            v2::commitment(&campaign(), &other, &server_seed()),
            reference,
            "{other:?}"
        );
    }
    assert_ne!(
        v2::commitment(&Uuid::from_u128(1), &base, &server_seed()),
        reference
    );
    assert_ne!(v2::commitment(&campaign(), &base, &[0; 32]), reference);
    // Not the v1 commitment either.
    assert_ne!(v1::commitment(&campaign(), &server_seed()), reference);
}

#[test]
fn alternates_drawn_is_the_rule_or_what_remains() {
    let rules = DrawRules::new(3, false, 5, 7).unwrap();
    assert_eq!(v2::alternates_drawn(&rules, 10), 5);
    assert_eq!(v2::alternates_drawn(&rules, 6), 3);
    assert_eq!(v2::alternates_drawn(&rules, 3), 0);
    assert_eq!(v2::alternates_drawn(&rules, 2), 0);
    let none = DrawRules::new(3, false, 0, 7).unwrap();
    assert_eq!(v2::alternates_drawn(&none, 10), 0);
    let list = vector_list(Algorithm::Random);
    let (_, published) = publish_v2(&server_seed(), &list, &campaign(), &none).unwrap();
    assert!(published.alternates.is_empty());
    assert!(verify(&published, &list).is_match());
}

#[test]
fn v2_refuses_what_v1_refuses() {
    let weighted = vector_list(Algorithm::Weighted);
    assert_eq!(
        v2::run(
            &server_seed(),
            &weighted,
            &campaign(),
            &vector_rules(Algorithm::Random)
        ),
        Err(DrawProtocolError::RandomRequiresUnitWeights)
    );
    let eleven = DrawRules::new(11, true, 0, 7).unwrap();
    assert_eq!(
        v2::run(&server_seed(), &weighted, &campaign(), &eleven),
        Err(DrawProtocolError::NotEnoughEntrants {
            winner_count: 11,
            entrant_count: 10
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Verification of draw/v2 records, and the named checks of both versions.
// ---------------------------------------------------------------------------------------------

fn first_difference(v: Verification) -> String {
    match v {
        Verification::Match => panic!("expected a mismatch"),
        Verification::Mismatch { first_difference } => first_difference,
    }
}

#[test]
fn verify_accepts_honest_v2_records() {
    for algorithm in [Algorithm::Random, Algorithm::Weighted] {
        let (list, published) = vector_published(algorithm);
        assert_eq!(verify(&published, &list), Verification::Match);
        let embedded = published.clone().with_list_text(&list);
        assert_eq!(verify_embedded(&embedded), Verification::Match);
        let json = serde_json::to_string(&published).unwrap();
        let back: PublishedDraw = serde_json::from_str(&json).unwrap();
        assert_eq!(back, published);
    }
}

#[test]
fn verify_reports_the_first_difference_of_a_v2_record() {
    let (list, honest) = vector_published(Algorithm::Weighted);

    // Rules other than the committed ones do not open the commitment.
    let mut p = honest.clone();
    p.winner_count = 2;
    p.winners.pop();
    p.rules = Some("winners=2;alternates=3;algorithm=WEIGHTED;claim_days=7".into());
    assert!(first_difference(verify(&p, &list))
        .starts_with("commitment does not match serverSeed and rules"));
    let mut p = honest.clone();
    p.algorithm = Algorithm::Random;
    p.rules = Some(p.rules.unwrap().replace("WEIGHTED", "RANDOM"));
    assert!(first_difference(verify(&p, &list))
        .starts_with("commitment does not match serverSeed and rules"));
    let mut p = honest.clone();
    p.claim_days = Some(8);
    assert_eq!(
        first_difference(verify(&p, &list)),
        format!(
            "rules differs: published {WEIGHTED_RULES:?}, recomputed \
             \"winners=3;alternates=3;algorithm=WEIGHTED;claim_days=8\""
        )
    );

    // Rules that cannot be fixed rules at all.
    let mut p = honest.clone();
    p.alternate_count = None;
    assert_eq!(
        first_difference(verify(&p, &list)),
        "a draw/v2 record states alternateCount and claimDays"
    );
    let mut p = honest.clone();
    p.alternate_count = Some(101);
    assert!(first_difference(verify(&p, &list)).starts_with("the draw rules are out of range"));
    let mut p = honest.clone();
    p.rules = None;
    assert!(first_difference(verify(&p, &list)).starts_with("rules is missing"));

    // draw/v2 publishes exactly the alternates its rules rank: no prefix, no extra.
    let prefix = honest.clone().with_alternates_limit(2);
    assert_eq!(
        first_difference(verify(&prefix, &list)),
        "alternates lists 2 entrants but draw/v2 ranks exactly 3 (alternateCount 3, 7 entrants \
         after the winners)"
    );
    let mut p = honest.clone();
    p.alternates.swap(0, 2);
    assert!(first_difference(verify(&p, &list)).starts_with("alternate 1 (rank 4) differs"));
    let mut p = honest.clone();
    p.params = WEIGHTED_PARAMS.replace("entrants=10", "entrants=010");
    assert!(first_difference(verify(&p, &list)).starts_with("params differs"));

    // A v1 record of the same draw is not a v2 record: its commitment is another one.
    let mut p = honest;
    p.protocol_version = "draw/v1".into();
    assert!(
        first_difference(verify(&p, &list)).starts_with("commitment does not match serverSeed:")
    );
}

#[test]
fn check_names_every_comparison_in_order() {
    let (list, published) = vector_published(Algorithm::Weighted);
    let checks = check(&published, &list, Some(WEIGHTED_COMMITMENT));
    assert!(checks.passed());
    assert_eq!(checks.protocol, Some(ProtocolVersion::V2));
    let names: Vec<CheckName> = checks.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            CheckName::ProtocolVersion,
            CheckName::PublishedCommitment,
            CheckName::ServerSeed,
            CheckName::DrawRules,
            CheckName::Commitment,
            CheckName::EntrantCount,
            CheckName::ListHash,
            CheckName::Params,
            CheckName::SeedDerivation,
            CheckName::Order,
        ]
    );
    assert!(checks
        .checks
        .iter()
        .all(|c| c.status == CheckStatus::Passed));
    assert_eq!(
        checks.checks[4].label,
        "commitment = SHA-256(promo/draw/v2/commit, campaign id, server seed, rules)"
    );

    // Against another published seedCommitment: that check fails, the rest still pass.
    let other = "ab".repeat(32);
    let checks = check(&published, &list, Some(&other));
    assert!(!checks.passed());
    assert_eq!(
        checks.status(CheckName::PublishedCommitment),
        Some(&CheckStatus::Failed)
    );
    assert_eq!(
        checks.status(CheckName::Commitment),
        Some(&CheckStatus::Passed)
    );
    assert!(first_difference(checks.verification())
        .starts_with("commitment differs from the one published before the draw"));

    // Without one, it is not checked, and does not fail the draw.
    let checks = check(&published, &list, None);
    assert!(checks.passed());
    assert_eq!(
        checks.status(CheckName::PublishedCommitment),
        Some(&CheckStatus::NotChecked)
    );

    // An unreadable seed leaves what depends on it unchecked instead of guessing.
    let mut p = published.clone();
    p.server_seed = p.server_seed.to_uppercase();
    let checks = check(&p, &list, None);
    assert_eq!(
        checks.status(CheckName::ServerSeed),
        Some(&CheckStatus::Failed)
    );
    for name in [
        CheckName::Commitment,
        CheckName::SeedDerivation,
        CheckName::Order,
    ] {
        assert_eq!(
            checks.status(name),
            Some(&CheckStatus::NotChecked),
            "{name:?}"
        );
    }
    assert_eq!(
        checks.status(CheckName::ListHash),
        Some(&CheckStatus::Passed)
    );

    // An unknown version stops at the version.
    let mut p = published;
    p.protocol_version = "draw/v3".into();
    let checks = check(&p, &list, Some(WEIGHTED_COMMITMENT));
    assert_eq!(checks.checks.len(), 2);
    assert!(first_difference(checks.verification()).starts_with("protocolVersion is \"draw/v3\""));
}

#[test]
fn check_verifies_v1_records_by_the_same_path() {
    let list = vector_list(Algorithm::Random);
    let params = DrawParams {
        campaign_id: campaign(),
        algorithm: Algorithm::Random,
        winner_count: 3,
    };
    let (_, published) = publish(&server_seed(), &list, &params).unwrap();
    let v1_commitment = hex32(&v1::commitment(&campaign(), &server_seed()));
    let checks = check(
        &published.clone().with_alternates_limit(2),
        &list,
        Some(&v1_commitment),
    );
    assert!(checks.passed(), "{checks:?}");
    assert_eq!(checks.protocol, Some(ProtocolVersion::V1));
    assert_eq!(
        checks.status(CheckName::DrawRules),
        None,
        "v1 fixes no rules"
    );
    assert_eq!(
        checks.checks[3].label,
        "commitment = SHA-256(promo/draw/v1/commit, campaign id, server seed)"
    );
    let checks = check(&published, &list, Some(RANDOM_COMMITMENT));
    assert_eq!(
        checks.status(CheckName::PublishedCommitment),
        Some(&CheckStatus::Failed)
    );
}

// ---------------------------------------------------------------------------------------------
// Total weight cap (§4) and the stream past 2^32 blocks (§6).
// ---------------------------------------------------------------------------------------------

#[test]
fn the_total_weight_of_a_list_is_capped() {
    let heavy = |weights: &[u32]| -> Vec<Entrant> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| Entrant {
                pid: [i as u8 + 1; 32],
                weight,
            })
            .collect()
    };
    let at_cap = CanonicalList::new(heavy(&[u32::MAX - 1, 1])).unwrap();
    assert_eq!(at_cap.total_weight(), MAX_TOTAL_WEIGHT);
    assert_eq!(CanonicalList::parse_text(&at_cap.text()).unwrap(), at_cap);
    assert_eq!(
        CanonicalList::new(heavy(&[u32::MAX, 1])),
        Err(DrawProtocolError::TotalWeightTooLarge)
    );
    let over = format!("{},4294967295\n{},1\n", hex32(&[1; 32]), hex32(&[2; 32]));
    assert_eq!(
        CanonicalList::parse_text(&over),
        Err(DrawProtocolError::TotalWeightTooLarge)
    );
}

/// RFC 8439 §2.3 block function, written out here to pin what the stream is past 2^32 blocks:
/// `words_12_15` are state words 12–15 (counter and nonce words).
fn chacha20_block(key: &[u8; 32], words_12_15: [u32; 4]) -> [u8; 64] {
    fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(16);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(12);
        s[a] = s[a].wrapping_add(s[b]);
        s[d] = (s[d] ^ s[a]).rotate_left(8);
        s[c] = s[c].wrapping_add(s[d]);
        s[b] = (s[b] ^ s[c]).rotate_left(7);
    }
    let mut state = [0u32; 16];
    state[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    for (i, word) in key.chunks_exact(4).enumerate() {
        state[4 + i] = u32::from_le_bytes(word.try_into().unwrap());
    }
    state[12..].copy_from_slice(&words_12_15);
    let mut working = state;
    for _ in 0..10 {
        quarter(&mut working, 0, 4, 8, 12);
        quarter(&mut working, 1, 5, 9, 13);
        quarter(&mut working, 2, 6, 10, 14);
        quarter(&mut working, 3, 7, 11, 15);
        quarter(&mut working, 0, 5, 10, 15);
        quarter(&mut working, 1, 6, 11, 12);
        quarter(&mut working, 2, 7, 8, 13);
        quarter(&mut working, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&working[i].wrapping_add(state[i]).to_le_bytes());
    }
    out
}

fn next_u64s(block: &[u8; 64]) -> Vec<u64> {
    block
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Block b of the stream has state word 12 = b mod 2^32 and word 13 = b div 2^32 (a 64-bit
/// counter), words 14–15 zero. Below 2^32 that is RFC 8439 with a zero nonce; at 2^32 the
/// counter carries into word 13 instead of wrapping.
#[test]
fn the_block_counter_is_64_bits_wide() {
    let key = parse_hex32(WEIGHTED_SEED).unwrap();
    // The reference block function reproduces the stream's first block.
    let mut rng = ChaCha20Rng::from_seed(key);
    let first: Vec<u64> = (0..8).map(|_| rng.next_u64()).collect();
    assert_eq!(first, next_u64s(&chacha20_block(&key, [0, 0, 0, 0])));
    for block in [(1u64 << 32) - 1, 1 << 32, (1 << 32) + 1, 5 << 40] {
        let mut rng = ChaCha20Rng::from_seed(key);
        rng.set_word_pos(u128::from(block) * 16);
        let got: Vec<u64> = (0..8).map(|_| rng.next_u64()).collect();
        let words = [block as u32, (block >> 32) as u32, 0, 0];
        assert_eq!(
            got,
            next_u64s(&chacha20_block(&key, words)),
            "block {block}"
        );
    }
    // And the carry is real: block 2^32 is not block 0 again.
    let mut rng = ChaCha20Rng::from_seed(key);
    rng.set_word_pos(16 << 32);
    assert_ne!(rng.next_u64(), first[0]);
}

#[test]
fn check_text_refuses_a_list_text_that_is_not_canonical() {
    let (list, published) = vector_published(Algorithm::Weighted);
    let checks = check_text(&published, &list.text(), Some(WEIGHTED_COMMITMENT));
    assert!(checks.passed());
    let names: Vec<CheckName> = checks.checks.iter().map(|c| c.name).collect();
    let format = names
        .iter()
        .position(|&n| n == CheckName::ListFormat)
        .unwrap();
    assert_eq!(names[format + 1], CheckName::EntrantCount);

    let uppercase = list.text().to_uppercase();
    let checks = check_text(&published, &uppercase, Some(WEIGHTED_COMMITMENT));
    assert_eq!(
        checks.status(CheckName::ListFormat),
        Some(&CheckStatus::Failed)
    );
    assert_eq!(
        checks.status(CheckName::Order),
        None,
        "nothing is drawn from it"
    );
    assert!(first_difference(checks.verification())
        .starts_with("the entrant list is not a canonical draw/v1 list"));
}

#[test]
fn a_record_names_its_campaign_in_canonical_form_only() {
    let (_, published) = vector_published(Algorithm::Weighted);
    let json = serde_json::to_string(&published).unwrap();
    assert!(serde_json::from_str::<PublishedDraw>(&json).is_ok());
    for other in [
        VECTOR_CAMPAIGN.to_uppercase(),
        VECTOR_CAMPAIGN.replace('-', ""),
        format!("{{{VECTOR_CAMPAIGN}}}"),
        format!("urn:uuid:{VECTOR_CAMPAIGN}"),
    ] {
        let altered = json.replace(VECTOR_CAMPAIGN, &other);
        assert!(
            serde_json::from_str::<PublishedDraw>(&altered).is_err(),
            "{other}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures for the document's Python reference verifier.
// ---------------------------------------------------------------------------------------------

/// Writes, into `$PROMO_VERIFIER_FIXTURES`, one set of files per draw as the service publishes
/// them: `<name>.draw.json` (`GET /events/{id}/draw`), `<name>.event.json` (the
/// `seedCommitment` of `GET /events/{id}`) and `<name>.entrants.txt` (`GET …/draw/entrants`).
/// `docs/draw-protocol.md` §10 runs its Python verifier over them.
#[test]
#[ignore = "PROMO_VERIFIER_FIXTURES=<dir> cargo test -p promo-domain verifier_fixtures -- --ignored"]
fn write_verifier_fixtures() {
    let dir = std::path::PathBuf::from(
        std::env::var("PROMO_VERIFIER_FIXTURES").expect("PROMO_VERIFIER_FIXTURES=<dir>"),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, list: &CanonicalList, published: &PublishedDraw| {
        let event = serde_json::json!({
            "eventId": published.campaign_id,
            "seedCommitment": published.commitment,
        });
        std::fs::write(dir.join(format!("{name}.event.json")), event.to_string()).unwrap();
        let record = serde_json::to_string_pretty(published).unwrap();
        std::fs::write(dir.join(format!("{name}.draw.json")), record).unwrap();
        std::fs::write(dir.join(format!("{name}.entrants.txt")), list.text()).unwrap();
    };
    // The worked examples.
    for (name, algorithm) in [
        ("v1-random", Algorithm::Random),
        ("v1-weighted", Algorithm::Weighted),
    ] {
        let list = vector_list(algorithm);
        let params = DrawParams {
            campaign_id: campaign(),
            algorithm,
            winner_count: 3,
        };
        let (_, published) = publish(&server_seed(), &list, &params).unwrap();
        write(name, &list, &published);
    }
    for (name, algorithm) in [
        ("v2-random", Algorithm::Random),
        ("v2-weighted", Algorithm::Weighted),
    ] {
        let (list, published) = vector_published(algorithm);
        write(name, &list, &published);
    }
    // Larger draws with pseudo-random pids and store-visit weights, and a v1 prefix record.
    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let mut entrants = Vec::new();
    for _ in 0..700 {
        let mut pid = [0u8; 32];
        rng.fill_bytes(&mut pid);
        let weight = if pid[0] % 4 == 0 { 3 } else { 1 };
        entrants.push(Entrant { pid, weight });
    }
    let weighted = CanonicalList::new(entrants.clone()).unwrap();
    let unit = CanonicalList::new(
        entrants
            .iter()
            .map(|e| Entrant { weight: 1, ..*e })
            .collect(),
    )
    .unwrap();
    let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let seed = [0xa5; 32];
    let rules = DrawRules::new(10, true, 25, 30).unwrap();
    let (_, published) = publish_v2(&seed, &weighted, &id, &rules).unwrap();
    write("v2-large-weighted", &weighted, &published);
    let rules = DrawRules::new(40, false, 100, 90).unwrap();
    let (_, published) = publish_v2(&seed, &unit, &id, &rules).unwrap();
    write("v2-large-random", &unit, &published);
    let params = DrawParams {
        campaign_id: id,
        algorithm: Algorithm::Random,
        winner_count: 5,
    };
    let (_, published) = publish(&seed, &unit, &params).unwrap();
    write(
        "v1-large-random",
        &unit,
        &published.with_alternates_limit(10),
    );
}

// ---------------------------------------------------------------------------------------------
// The document's draw/v2 worked examples are the committed vectors.
// ---------------------------------------------------------------------------------------------

const PROTOCOL_DOC: &str = include_str!("../../../docs/draw-protocol.md");

/// The JSON records of the document, in order: v1 RANDOM, v1 WEIGHTED, v2 RANDOM, v2 WEIGHTED.
fn doc_json_blocks() -> Vec<&'static str> {
    PROTOCOL_DOC
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect()
}

#[test]
fn document_v2_worked_examples_verify() {
    let blocks = doc_json_blocks();
    let random: PublishedDraw = serde_json::from_str(blocks[2]).unwrap();
    let (list, honest) = vector_published(Algorithm::Random);
    assert_eq!(random, honest);
    assert_eq!(
        check(&random, &list, Some(RANDOM_COMMITMENT)).verification(),
        Verification::Match
    );

    let weighted: PublishedDraw = serde_json::from_str(blocks[3]).unwrap();
    let (list, honest) = vector_published(Algorithm::Weighted);
    assert_eq!(weighted, honest.with_list_text(&list));
    assert_eq!(verify_embedded(&weighted), Verification::Match);

    for value in [
        RANDOM_RULES,
        RANDOM_COMMITMENT,
        RANDOM_PARAMS,
        RANDOM_SEED,
        WEIGHTED_RULES,
        WEIGHTED_COMMITMENT,
        WEIGHTED_PARAMS,
        WEIGHTED_SEED,
        "ordering   = [5, 9, 3, 6, 4, 1, 7, 2, 8, 0]",
        "ordering   = [2, 1, 7, 3, 9, 0, 8, 5, 4, 6]",
        "`ff3e4abaae8b9745`",
        "`56c4e7fe3c33a6fe`",
    ] {
        assert!(
            PROTOCOL_DOC.contains(value),
            "{value} missing from the document"
        );
    }
}

#[test]
fn document_states_the_byte_rules_the_code_follows() {
    // Lines are 67 to 76 bytes including the LF: one- and ten-digit weights.
    let short = CanonicalList::new(vec![Entrant {
        pid: [1; 32],
        weight: 1,
    }])
    .unwrap();
    let long = CanonicalList::new(vec![Entrant {
        pid: [1; 32],
        weight: u32::MAX,
    }])
    .unwrap();
    assert_eq!((short.text().len(), long.text().len()), (67, 76));
    assert!(PROTOCOL_DOC.contains("**67 to 76 bytes**"));
    assert!(!PROTOCOL_DOC.contains("66 to 76"));
    assert!(
        PROTOCOL_DOC.contains("winners=3;alternates=3;algorithm=WEIGHTED;claim_days=7` (54 bytes)")
    );
    assert_eq!(WEIGHTED_RULES.len(), 54);
    // The reference verifier refuses with explicit errors, never with `assert`.
    let python = PROTOCOL_DOC
        .split("```python\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .unwrap();
    assert!(
        !python.contains("assert"),
        "the Python verifier uses assert"
    );
    for tag in [
        "promo/draw/v1/commit",
        "promo/draw/v2/commit",
        "promo/draw/v2/seed",
    ] {
        assert!(python.contains(tag), "{tag}");
    }
}
