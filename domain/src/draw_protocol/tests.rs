//! Test vectors, rules and properties of `draw/v1`, and of what both versions share (list,
//! stream, orderings, the published record). `draw/v2` has its own file, `v2_tests.rs`.

use std::num::NonZeroU64;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::*;

const VECTOR_CAMPAIGN: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const VECTOR_WINNERS: u32 = 3;

/// `entrant-i` → SHA-256 of that ASCII string, in input (not canonical) order, with the
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

fn vector_server_seed() -> [u8; 32] {
    std::array::from_fn(|i| i as u8 + 1)
}

fn vector_params(algorithm: Algorithm) -> DrawParams {
    DrawParams {
        campaign_id: Uuid::parse_str(VECTOR_CAMPAIGN).unwrap(),
        algorithm,
        winner_count: VECTOR_WINNERS,
    }
}

fn vector_list(algorithm: Algorithm) -> CanonicalList {
    let entrants = VECTOR_ENTRANTS
        .iter()
        .map(|&(pid, weight)| Entrant {
            pid: parse_hex32(pid).unwrap(),
            weight: match algorithm {
                Algorithm::Random => 1,
                Algorithm::Weighted => weight,
            },
        })
        .collect();
    CanonicalList::new(entrants).unwrap()
}

#[test]
#[ignore = "prints the worked example of docs/draw-protocol.md"]
fn print_test_vector() {
    let server_seed = vector_server_seed();
    println!("serverSeed {}", hex::encode(server_seed));
    let params = vector_params(Algorithm::Random);
    println!(
        "commitment {}",
        hex::encode(commitment(&params.campaign_id, &server_seed))
    );
    for algorithm in [Algorithm::Random, Algorithm::Weighted] {
        let params = vector_params(algorithm);
        let list = vector_list(algorithm);
        let outcome = run(&server_seed, &list, &params).unwrap();
        println!("== {algorithm}");
        print!("{}", list.text());
        println!("listHash {}", hex::encode(outcome.list_hash));
        println!("params {}", params_string(&params, list.len()));
        println!("seed {}", hex::encode(outcome.seed));
        println!("ordering {:?}", outcome.ordering);
        let mut rng = ChaCha20Rng::from_seed(outcome.seed);
        let mut draws = Vec::new();
        for _ in 0..24 {
            draws.push(format!("{:016x}", rng.next_u64()));
        }
        println!("first next_u64 {draws:?}");
        let mut rng = ChaCha20Rng::from_seed(outcome.seed);
        match algorithm {
            Algorithm::Random => {
                let n = list.len();
                let mut order: Vec<u32> = (0..n as u32).collect();
                for i in 0..n - 1 {
                    let m = (n - i) as u64;
                    let zone = u64::MAX - (u64::MAX % m);
                    let x = rng.next_u64();
                    assert!(x < zone, "example hits a rejection");
                    let j = i + (x % m) as usize;
                    order.swap(i, j);
                    println!("i={i} m={m} x={x:016x} x%m={} j={j} -> {order:?}", x % m);
                }
            }
            Algorithm::Weighted => {
                for (k, e) in list.entrants().iter().enumerate() {
                    let draws: Vec<u64> = (0..e.weight).map(|_| rng.next_u64()).collect();
                    let key = draws.iter().copied().max().unwrap();
                    let draws: Vec<String> = draws.iter().map(|d| format!("{d:016x}")).collect();
                    println!("k={k} w={} draws={draws:?} key={key:016x}", e.weight);
                }
            }
        }
        let published =
            PublishedDraw::new(&server_seed, &list, &params, &outcome).with_alternates_limit(2);
        println!("{}", serde_json::to_string_pretty(&published).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// Committed test vectors (docs/draw-protocol.md, "Worked example"). Computed once with this
// implementation and cross-checked with an independent implementation written from the
// document; any dependency change that alters the output fails here.
// ---------------------------------------------------------------------------------------------

const VECTOR_COMMITMENT: &str = "09420ad69cba77a65b34536830f9f9c616cb58a07a42ba182c0a236e0ee8f291";

const VECTOR_RANDOM_TEXT: &str = "\
181a4a87fd2513b3ddbb203b838c953a167ced231a67663823e1ba7bdf9c26e6,1
1b10848fd312afbb7afe82eec74fc1c721026cebfb77afd66f2203dcbeac0711,1
381c03af5422411cde3faf643f68584bbd63de5759f3c1ca260c4bfe6111d72a,1
427d1ecf2ccd2f644a5e9cb51114fc9c27dde4e4c2537e9f0d0ffc97f043aca7,1
4a9036e8027f57e1ae64a1d399dcd095f2e1463d1f03a7f63bcef763e2d34e04,1
4d81a0ebb2bc7469598bc83b76b062d105d0a8a12f29758c9e39049ae0417cf3,1
514fd5455cdd9fd3fbb20606fa906d1164aaa3c64cf3bdc87916ec7d754bbf46,1
6eb793315b90afb8bbddafe5f3abcf67c2f8e62c120155274965a2e63c3693dc,1
7ce73e0728d9b67e49eaf098ca4581b06dac1c09c88b4e412b4b483ba0b6bea7,1
fb8211d765bcdbc2144555dd222ad8cb0f0b320b819519595d5d3ae6ab9091db,1
";
const VECTOR_RANDOM_LIST_HASH: &str =
    "848e8c4f6a3d39a91c236ca6eeb7071418ac1c78451f4a48696c0fe868ebd998";
const VECTOR_RANDOM_PARAMS: &str =
    "draw/v1;campaign=3f2504e0-4f89-41d3-9a0c-0305e82c3301;algorithm=RANDOM;winners=3;entrants=10";
const VECTOR_RANDOM_SEED: &str = "b6676ae40b46bd92439f892d03e9e74c6cc00e549906967e6a86e44f6ffd9ae3";
const VECTOR_RANDOM_ORDERING: [u32; 10] = [8, 2, 6, 3, 1, 7, 9, 4, 5, 0];

const VECTOR_WEIGHTED_TEXT: &str = "\
181a4a87fd2513b3ddbb203b838c953a167ced231a67663823e1ba7bdf9c26e6,1
1b10848fd312afbb7afe82eec74fc1c721026cebfb77afd66f2203dcbeac0711,3
381c03af5422411cde3faf643f68584bbd63de5759f3c1ca260c4bfe6111d72a,3
427d1ecf2ccd2f644a5e9cb51114fc9c27dde4e4c2537e9f0d0ffc97f043aca7,3
4a9036e8027f57e1ae64a1d399dcd095f2e1463d1f03a7f63bcef763e2d34e04,1
4d81a0ebb2bc7469598bc83b76b062d105d0a8a12f29758c9e39049ae0417cf3,1
514fd5455cdd9fd3fbb20606fa906d1164aaa3c64cf3bdc87916ec7d754bbf46,1
6eb793315b90afb8bbddafe5f3abcf67c2f8e62c120155274965a2e63c3693dc,1
7ce73e0728d9b67e49eaf098ca4581b06dac1c09c88b4e412b4b483ba0b6bea7,1
fb8211d765bcdbc2144555dd222ad8cb0f0b320b819519595d5d3ae6ab9091db,3
";
const VECTOR_WEIGHTED_LIST_HASH: &str =
    "63fde04f902c3bd884e4a18f0ebb895b059fe2305dfe8341e8ff91f0924cf12b";
const VECTOR_WEIGHTED_PARAMS: &str =
    "draw/v1;campaign=3f2504e0-4f89-41d3-9a0c-0305e82c3301;algorithm=WEIGHTED;winners=3;entrants=10";
const VECTOR_WEIGHTED_SEED: &str =
    "89166bd1012c623473f036f490df6de06dc052e47477a99729b07ed038adb833";
const VECTOR_WEIGHTED_ORDERING: [u32; 10] = [5, 1, 0, 7, 3, 4, 2, 9, 6, 8];

#[test]
fn test_vector_commitment() {
    let params = vector_params(Algorithm::Random);
    assert_eq!(
        hex::encode(commitment(&params.campaign_id, &vector_server_seed())),
        VECTOR_COMMITMENT
    );
}

fn check_vector(
    algorithm: Algorithm,
    text: &str,
    list_hash: &str,
    params_str: &str,
    seed: &str,
    expected_ordering: &[u32],
) {
    let list = vector_list(algorithm);
    let params = vector_params(algorithm);
    assert_eq!(list.text(), text);
    assert_eq!(hex::encode(list.hash()), list_hash);
    assert_eq!(params_string(&params, list.len()), params_str);
    let outcome = run(&vector_server_seed(), &list, &params).unwrap();
    assert_eq!(hex::encode(outcome.list_hash), list_hash);
    assert_eq!(hex::encode(outcome.seed), seed);
    assert_eq!(outcome.ordering, expected_ordering);
    assert_eq!(outcome.winners(VECTOR_WINNERS), &expected_ordering[..3]);
    assert_eq!(outcome.alternates(VECTOR_WINNERS), &expected_ordering[3..]);
    assert_eq!(CanonicalList::parse_text(text).unwrap(), list);
}

#[test]
fn test_vector_random() {
    check_vector(
        Algorithm::Random,
        VECTOR_RANDOM_TEXT,
        VECTOR_RANDOM_LIST_HASH,
        VECTOR_RANDOM_PARAMS,
        VECTOR_RANDOM_SEED,
        &VECTOR_RANDOM_ORDERING,
    );
}

#[test]
fn test_vector_weighted() {
    check_vector(
        Algorithm::Weighted,
        VECTOR_WEIGHTED_TEXT,
        VECTOR_WEIGHTED_LIST_HASH,
        VECTOR_WEIGHTED_PARAMS,
        VECTOR_WEIGHTED_SEED,
        &VECTOR_WEIGHTED_ORDERING,
    );
}

#[test]
fn test_vector_first_rng_outputs() {
    // The first next_u64 values of each draw, as listed in the document.
    let mut rng = ChaCha20Rng::from_seed(parse_hex32(VECTOR_RANDOM_SEED).unwrap());
    assert_eq!(rng.next_u64(), 0x838c_fa4c_a3ef_8222);
    assert_eq!(rng.next_u64(), 0xfc15_3ce0_0083_580e);
    let mut rng = ChaCha20Rng::from_seed(parse_hex32(VECTOR_WEIGHTED_SEED).unwrap());
    assert_eq!(rng.next_u64(), 0xe375_cd92_066a_62ce);
    assert_eq!(rng.next_u64(), 0x010e_f359_ec6e_cf4c);
}

/// The document specifies the generator as the RFC 8439 ChaCha20 keystream (key = seed,
/// nonce = 12 zero bytes, block counter from 0) read as little-endian u64s. RFC 8439
/// appendix A.1 test vectors #1 and #2 pin that.
#[test]
fn chacha20_rng_is_the_rfc8439_keystream_read_little_endian() {
    let block0 = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
                  da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
    let block1 = "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed\
                  29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f";
    let keystream = hex::decode(format!("{block0}{block1}")).unwrap();
    let mut rng = ChaCha20Rng::from_seed([0u8; 32]);
    for chunk in keystream.chunks_exact(8) {
        let expected = u64::from_le_bytes(chunk.try_into().unwrap());
        assert_eq!(rng.next_u64(), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Rules of the list and the parameters.
// ---------------------------------------------------------------------------------------------

fn pid(byte: u8) -> Pid {
    [byte; 32]
}

fn entrant(byte: u8, weight: u32) -> Entrant {
    Entrant {
        pid: pid(byte),
        weight,
    }
}

#[test]
fn canonical_list_sorts_by_pid_bytes() {
    let list = CanonicalList::new(vec![entrant(3, 1), entrant(1, 3), entrant(2, 1)]).unwrap();
    let bytes: Vec<u8> = list.entrants().iter().map(|e| e.pid[0]).collect();
    assert_eq!(bytes, [1, 2, 3]);
    assert_eq!(list.len(), 3);
    assert!(!list.is_empty());
}

#[test]
fn canonical_list_rejects_duplicate_pids() {
    let err = CanonicalList::new(vec![entrant(1, 1), entrant(2, 1), entrant(1, 3)]).unwrap_err();
    assert_eq!(
        err,
        DrawProtocolError::DuplicatePid {
            pid: hex::encode(pid(1))
        }
    );
}

#[test]
fn canonical_list_rejects_zero_weight() {
    let err = CanonicalList::new(vec![entrant(1, 1), entrant(2, 0)]).unwrap_err();
    assert_eq!(
        err,
        DrawProtocolError::ZeroWeight {
            pid: hex::encode(pid(2))
        }
    );
}

#[test]
fn empty_list_is_allowed_but_cannot_be_drawn() {
    let list = CanonicalList::new(Vec::new()).unwrap();
    assert!(list.is_empty());
    assert_eq!(list.text(), "");
    assert_eq!(
        hex::encode(list.hash()),
        // SHA-256 of the empty string.
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(CanonicalList::parse_text("").unwrap(), list);
    let params = vector_params(Algorithm::Random);
    assert_eq!(
        run(&[0; 32], &list, &params).unwrap_err(),
        DrawProtocolError::NotEnoughEntrants {
            winner_count: 3,
            entrant_count: 0
        }
    );
}

#[test]
fn run_rejects_zero_winners() {
    let list = CanonicalList::new(vec![entrant(1, 1)]).unwrap();
    let params = DrawParams {
        winner_count: 0,
        ..vector_params(Algorithm::Random)
    };
    assert_eq!(
        run(&[0; 32], &list, &params).unwrap_err(),
        DrawProtocolError::NoWinnersRequested
    );
}

#[test]
fn run_rejects_more_winners_than_entrants() {
    let list = CanonicalList::new(vec![entrant(1, 3), entrant(2, 3)]).unwrap();
    let params = vector_params(Algorithm::Weighted);
    assert_eq!(
        run(&[0; 32], &list, &params).unwrap_err(),
        DrawProtocolError::NotEnoughEntrants {
            winner_count: 3,
            entrant_count: 2
        }
    );
}

#[test]
fn random_draw_requires_unit_weights() {
    let list = vector_list(Algorithm::Weighted);
    assert_eq!(
        run(&[0; 32], &list, &vector_params(Algorithm::Random)).unwrap_err(),
        DrawProtocolError::RandomRequiresUnitWeights
    );
    // The same list is fine for WEIGHTED, and a unit-weight list is fine for both.
    assert!(run(&[0; 32], &list, &vector_params(Algorithm::Weighted)).is_ok());
    let unit = vector_list(Algorithm::Random);
    assert!(run(&[0; 32], &unit, &vector_params(Algorithm::Weighted)).is_ok());
}

#[test]
fn winner_count_equal_to_entrants_has_no_alternates() {
    let list = CanonicalList::new(vec![entrant(1, 1), entrant(2, 1)]).unwrap();
    let params = DrawParams {
        winner_count: 2,
        ..vector_params(Algorithm::Random)
    };
    let outcome = run(&[9; 32], &list, &params).unwrap();
    assert_eq!(outcome.winners(2).len(), 2);
    assert!(outcome.alternates(2).is_empty());
}

#[test]
fn parse_text_accepts_only_canonical_text() {
    let a = hex::encode(pid(0xaa));
    let b = hex::encode(pid(0xbb));
    let ok = format!("{a},1\n{b},3\n");
    assert_eq!(
        CanonicalList::parse_text(&ok).unwrap(),
        CanonicalList::new(vec![entrant(0xaa, 1), entrant(0xbb, 3)]).unwrap()
    );
    let malformed = |line| DrawProtocolError::MalformedListLine { line };
    let cases = [
        (
            format!("{a},1\n{b},3"),
            DrawProtocolError::MissingFinalNewline,
        ),
        (format!("{a},1\n\n"), malformed(2)),
        (format!("{a},1\r\n"), malformed(1)),
        (format!("{},1\n", a.to_uppercase()), malformed(1)),
        (format!("{a},01\n"), malformed(1)),
        (format!("{a},+1\n"), malformed(1)),
        (format!("{a}, 1\n"), malformed(1)),
        (format!("{a},\n"), malformed(1)),
        (format!("{a},4294967296\n"), malformed(1)),
        (format!("{a}1,1\n"), malformed(1)),
        (format!("{a};1\n"), malformed(1)),
        (
            format!("{b},1\n{a},1\n"),
            DrawProtocolError::ListNotAscending { line: 2 },
        ),
        (
            format!("{a},1\n{a},1\n"),
            DrawProtocolError::DuplicatePid { pid: a.clone() },
        ),
        (
            format!("{a},0\n"),
            DrawProtocolError::ZeroWeight { pid: a.clone() },
        ),
        ("\n".to_owned(), malformed(1)),
    ];
    for (text, expected) in cases {
        assert_eq!(
            CanonicalList::parse_text(&text).unwrap_err(),
            expected,
            "{text:?}"
        );
    }
    let max = format!("{a},4294967295\n");
    assert_eq!(
        CanonicalList::parse_text(&max).unwrap().entrants()[0].weight,
        u32::MAX
    );
    assert_eq!(CanonicalList::parse_text(&max).unwrap().text(), max);
}

#[test]
fn algorithm_tokens() {
    assert_eq!(Algorithm::Random.as_str(), "RANDOM");
    assert_eq!(Algorithm::Weighted.to_string(), "WEIGHTED");
    assert_eq!("RANDOM".parse::<Algorithm>(), Ok(Algorithm::Random));
    assert_eq!("WEIGHTED".parse::<Algorithm>(), Ok(Algorithm::Weighted));
    assert_eq!(
        "random".parse::<Algorithm>(),
        Err(DrawProtocolError::UnknownAlgorithm("random".to_owned()))
    );
    assert_eq!(
        serde_json::to_string(&Algorithm::Weighted).unwrap(),
        "\"WEIGHTED\""
    );
    assert_eq!(
        serde_json::from_str::<Algorithm>("\"RANDOM\"").unwrap(),
        Algorithm::Random
    );
}

// ---------------------------------------------------------------------------------------------
// uniform_below.
// ---------------------------------------------------------------------------------------------

/// Returns scripted values, then panics: the test sees exactly how many were consumed.
struct ScriptedRng {
    values: Vec<u64>,
    next: usize,
}

impl ScriptedRng {
    fn new(values: &[u64]) -> Self {
        Self {
            values: values.to_vec(),
            next: 0,
        }
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        panic!("draw/v1 reads only next_u64")
    }
    fn next_u64(&mut self) -> u64 {
        let value = self.values[self.next];
        self.next += 1;
        value
    }
    fn fill_bytes(&mut self, _dest: &mut [u8]) {
        panic!("draw/v1 reads only next_u64")
    }
}

/// Counts the values drawn from the wrapped generator.
struct CountingRng<R> {
    inner: R,
    drawn: u64,
}

impl<R: RngCore> RngCore for CountingRng<R> {
    fn next_u32(&mut self) -> u32 {
        panic!("draw/v1 reads only next_u64")
    }
    fn next_u64(&mut self) -> u64 {
        self.drawn += 1;
        self.inner.next_u64()
    }
    fn fill_bytes(&mut self, _dest: &mut [u8]) {
        panic!("draw/v1 reads only next_u64")
    }
}

fn nz(m: u64) -> NonZeroU64 {
    NonZeroU64::new(m).unwrap()
}

#[test]
fn uniform_below_rejects_the_zone_and_draws_again() {
    // m = 3: u64::MAX % 3 == 0, zone = u64::MAX, so only u64::MAX itself is rejected.
    let mut rng = ScriptedRng::new(&[u64::MAX, 7]);
    assert_eq!(uniform_below(&mut rng, nz(3)), 1);
    assert_eq!(rng.next, 2);

    // m = 10: u64::MAX % 10 == 5, zone = u64::MAX - 5; zone itself is rejected, zone - 1 is not.
    let zone = u64::MAX - 5;
    let mut rng = ScriptedRng::new(&[u64::MAX, zone, zone - 1]);
    assert_eq!(uniform_below(&mut rng, nz(10)), (zone - 1) % 10);
    assert_eq!(rng.next, 3);

    // Several rejections in a row, then an accepted 0.
    let m = (1u64 << 63) + 1; // zone == m: half of all values are rejected.
    let mut rng = ScriptedRng::new(&[m, u64::MAX, m + 12345, 0]);
    assert_eq!(uniform_below(&mut rng, nz(m)), 0);
    assert_eq!(rng.next, 4);

    // m = 1 always yields 0 (after one draw below u64::MAX).
    let mut rng = ScriptedRng::new(&[42]);
    assert_eq!(uniform_below(&mut rng, nz(1)), 0);
}

/// Chi-square statistic of observed counts against expected counts.
fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
    assert_eq!(observed.len(), expected.len());
    observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| {
            let d = o as f64 - e;
            d * d / e
        })
        .sum()
}

// Critical values of the chi-square distribution at upper-tail probability 1e-6, i.e. the x
// with P(X > x) = 1e-6 for X ~ chi2(df). Computed with mpmath (bisection on the regularised
// upper incomplete gamma function Q(df/2, x/2)); df = 2 checks against the closed form
// 2·ln(1e6) = 27.631. A correct implementation fails a test with probability 1e-6 for the
// fixed seeds used here, i.e. never in practice, while the biases these tests look for push the
// statistic far beyond these values.
const CHI2_CRIT_DF1: f64 = 23.928;
const CHI2_CRIT_DF2: f64 = 27.631;
const CHI2_CRIT_DF5: f64 = 35.888;
const CHI2_CRIT_DF9: f64 = 44.811;
const CHI2_CRIT_DF23: f64 = 70.550;

/// Deterministic server seeds for statistical tests: SHA-256(label ‖ counter as u64 BE).
fn stat_server_seed(label: &str, counter: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(label.as_bytes());
    hasher.update(counter.to_be_bytes());
    hasher.finalize().into()
}

#[test]
fn uniform_below_is_unbiased_for_three() {
    let mut rng = ChaCha20Rng::from_seed(stat_server_seed("uniform_below/3", 0));
    let draws = 30_000u64;
    let mut counts = [0u64; 3];
    for _ in 0..draws {
        counts[uniform_below(&mut rng, nz(3)) as usize] += 1;
    }
    let expected = [draws as f64 / 3.0; 3];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRIT_DF2, "chi2 = {chi2}, counts = {counts:?}");
}

#[test]
fn uniform_below_is_unbiased_where_plain_modulo_is_not() {
    // m ≈ 2/3 · 2^64: plain `x % m` would make [0, 2^64 - m) ≈ [0, m/2) twice as likely as the
    // rest (P(lower half) ≈ 2/3). zone == m here, so about a third of all draws are rejected.
    let m: u64 = 0xaaaa_aaaa_aaaa_aaab;
    assert_eq!(u64::MAX - (u64::MAX % m), m);
    let half = m / 2;
    let mut rng = CountingRng {
        inner: ChaCha20Rng::from_seed(stat_server_seed("uniform_below/big", 0)),
        drawn: 0,
    };
    let calls = 20_000u64;
    let mut lower = 0u64;
    for _ in 0..calls {
        let x = uniform_below(&mut rng, nz(m));
        assert!(x < m);
        if x < half {
            lower += 1;
        }
    }
    let p_lower = half as f64 / m as f64;
    let expected = [calls as f64 * p_lower, calls as f64 * (1.0 - p_lower)];
    let chi2 = chi_square(&[lower, calls - lower], &expected);
    assert!(chi2 < CHI2_CRIT_DF1, "chi2 = {chi2}, lower = {lower}");
    // The rejection path really ran: about calls / 2 extra draws (rejection rate 1/3).
    let rejected = rng.drawn - calls;
    assert!((8_000..12_000).contains(&rejected), "rejected = {rejected}");
}

// ---------------------------------------------------------------------------------------------
// Statistical tests of the draw itself, through `run` with deterministic server seeds.
// ---------------------------------------------------------------------------------------------

fn stat_list(weights: &[u32]) -> CanonicalList {
    // pid i = [i + 1; 32] keeps canonical index i == input position i.
    CanonicalList::new(
        weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| entrant(i as u8 + 1, weight))
            .collect(),
    )
    .unwrap()
}

fn stat_params(algorithm: Algorithm, winner_count: u32) -> DrawParams {
    DrawParams {
        campaign_id: Uuid::from_u128(0x5eed),
        algorithm,
        winner_count,
    }
}

#[test]
fn random_first_rank_is_uniform() {
    let list = stat_list(&[1; 10]);
    let params = stat_params(Algorithm::Random, 1);
    let draws = 20_000u64;
    let mut counts = [0u64; 10];
    for k in 0..draws {
        let outcome = run(&stat_server_seed("random/first", k), &list, &params).unwrap();
        counts[outcome.winners(1)[0] as usize] += 1;
    }
    let expected = [draws as f64 / 10.0; 10];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRIT_DF9, "chi2 = {chi2}, counts = {counts:?}");
}

#[test]
fn weighted_first_rank_is_proportional_to_weight() {
    let weights = [1u32, 3, 1, 1, 3, 1, 1, 3, 1, 3];
    let total: u32 = weights.iter().sum();
    let list = stat_list(&weights);
    let params = stat_params(Algorithm::Weighted, 1);
    let draws = 20_000u64;
    let mut counts = [0u64; 10];
    for k in 0..draws {
        let outcome = run(&stat_server_seed("weighted/first", k), &list, &params).unwrap();
        counts[outcome.winners(1)[0] as usize] += 1;
    }
    let expected: Vec<f64> = weights
        .iter()
        .map(|&w| draws as f64 * f64::from(w) / f64::from(total))
        .collect();
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRIT_DF9, "chi2 = {chi2}, counts = {counts:?}");
}

fn permutation_index(order: &[u32], all: &[Vec<u32>]) -> usize {
    all.iter().position(|p| p == order).unwrap()
}

fn all_permutations(n: u32) -> Vec<Vec<u32>> {
    fn go(prefix: &mut Vec<u32>, n: u32, out: &mut Vec<Vec<u32>>) {
        if prefix.len() == n as usize {
            out.push(prefix.clone());
            return;
        }
        for i in 0..n {
            if !prefix.contains(&i) {
                prefix.push(i);
                go(prefix, n, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    go(&mut Vec::new(), n, &mut out);
    out
}

#[test]
fn random_full_ordering_is_uniform_over_permutations() {
    let list = stat_list(&[1; 4]);
    let params = stat_params(Algorithm::Random, 1);
    let perms = all_permutations(4);
    let draws = 24_000u64;
    let mut counts = vec![0u64; perms.len()];
    for k in 0..draws {
        let outcome = run(&stat_server_seed("random/perm", k), &list, &params).unwrap();
        counts[permutation_index(&outcome.ordering, &perms)] += 1;
    }
    let expected = vec![draws as f64 / perms.len() as f64; perms.len()];
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRIT_DF23, "chi2 = {chi2}, counts = {counts:?}");
}

#[test]
fn weighted_full_ordering_is_successive_sampling_without_replacement() {
    // P(a, b, c) = w_a / W · w_b / (W - w_a).
    let weights = [1u32, 2, 3];
    let total: u32 = weights.iter().sum();
    let list = stat_list(&weights);
    let params = stat_params(Algorithm::Weighted, 1);
    let perms = all_permutations(3);
    let draws = 18_000u64;
    let mut counts = vec![0u64; perms.len()];
    for k in 0..draws {
        let outcome = run(&stat_server_seed("weighted/perm", k), &list, &params).unwrap();
        counts[permutation_index(&outcome.ordering, &perms)] += 1;
    }
    let expected: Vec<f64> = perms
        .iter()
        .map(|p| {
            let wa = f64::from(weights[p[0] as usize]);
            let wb = f64::from(weights[p[1] as usize]);
            let w = f64::from(total);
            draws as f64 * wa / w * wb / (w - wa)
        })
        .collect();
    let chi2 = chi_square(&counts, &expected);
    assert!(chi2 < CHI2_CRIT_DF5, "chi2 = {chi2}, counts = {counts:?}");
}

// ---------------------------------------------------------------------------------------------
// Published record and verify.
// ---------------------------------------------------------------------------------------------

fn vector_published(algorithm: Algorithm) -> (CanonicalList, PublishedDraw) {
    let list = vector_list(algorithm);
    let (_, published) = publish(&vector_server_seed(), &list, &vector_params(algorithm)).unwrap();
    (list, published)
}

fn first_difference_of(v: Verification) -> String {
    match v {
        Verification::Match => panic!("expected a mismatch"),
        Verification::Mismatch { first_difference } => first_difference,
    }
}

#[test]
fn published_draw_json_shape() {
    let (list, published) = vector_published(Algorithm::Weighted);
    let json = serde_json::to_value(&published).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "protocolVersion",
        "campaignId",
        "algorithm",
        "winnerCount",
        "entrantCount",
        "commitment",
        "serverSeed",
        "listHash",
        "seed",
        "params",
        "winners",
        "alternates",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(!keys.contains(&"listText"));
    assert_eq!(json["algorithm"], "WEIGHTED");
    assert_eq!(json["commitment"], VECTOR_COMMITMENT);
    assert_eq!(json["seed"], VECTOR_WEIGHTED_SEED);
    assert_eq!(json["params"], VECTOR_WEIGHTED_PARAMS);
    assert_eq!(
        json["winners"][0],
        "4d81a0ebb2bc7469598bc83b76b062d105d0a8a12f29758c9e39049ae0417cf3"
    );
    let with_text = published.with_list_text(&list);
    let json = serde_json::to_string(&with_text).unwrap();
    let back: PublishedDraw = serde_json::from_str(&json).unwrap();
    assert_eq!(back, with_text);
    assert_eq!(back.list_text.as_deref(), Some(VECTOR_WEIGHTED_TEXT));
}

#[test]
fn verify_accepts_the_honest_vector_draws() {
    for algorithm in [Algorithm::Random, Algorithm::Weighted] {
        let (list, published) = vector_published(algorithm);
        assert_eq!(verify(&published, &list), Verification::Match);
        let prefix = published.clone().with_alternates_limit(2);
        assert_eq!(prefix.alternates.len(), 2);
        assert_eq!(verify(&prefix, &list), Verification::Match);
        let embedded = published.with_list_text(&list);
        assert_eq!(verify_embedded(&embedded), Verification::Match);
        assert!(verify(&embedded, &list).is_match());
    }
}

#[test]
fn verify_reports_the_first_difference_in_words() {
    let (list, honest) = vector_published(Algorithm::Weighted);
    let other_hex = "ff".repeat(32);

    let mut p = honest.clone();
    p.protocol_version = "draw/v3".to_owned();
    assert!(first_difference_of(verify(&p, &list)).starts_with("protocolVersion"));

    let mut p = honest.clone();
    p.server_seed = other_hex.clone();
    assert!(
        first_difference_of(verify(&p, &list)).starts_with("commitment does not match serverSeed")
    );

    let mut p = honest.clone();
    p.server_seed = honest.server_seed.to_uppercase();
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        "serverSeed is not 64 lowercase hex digits"
    );

    let mut p = honest.clone();
    p.campaign_id = Uuid::from_u128(1);
    assert!(
        first_difference_of(verify(&p, &list)).starts_with("commitment does not match serverSeed")
    );

    let mut p = honest.clone();
    p.entrant_count = 11;
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        "entrantCount differs: published 11, the list has 10"
    );

    // Verifying against the unit-weight list: same size, different hash.
    assert_eq!(
        first_difference_of(verify(&honest, &vector_list(Algorithm::Random))),
        format!(
            "listHash differs: published {VECTOR_WEIGHTED_LIST_HASH}, recomputed \
             {VECTOR_RANDOM_LIST_HASH}"
        )
    );

    let mut p = honest.clone();
    p.list_text = Some(VECTOR_RANDOM_TEXT.to_owned());
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        "listText differs from the entrant list verified against"
    );

    let mut p = honest.clone();
    p.winner_count = 11;
    assert!(first_difference_of(verify(&p, &list))
        .starts_with("draw parameters are invalid for this list"));

    let mut p = honest.clone();
    p.params = p.params.replace("winners=3", "winners=03");
    assert!(first_difference_of(verify(&p, &list)).starts_with("params differs"));

    let mut p = honest.clone();
    p.seed = other_hex.clone();
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        format!("seed differs: published {other_hex}, recomputed {VECTOR_WEIGHTED_SEED}")
    );

    let mut p = honest.clone();
    p.winners.pop();
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        "winners lists 2 entrants but winnerCount is 3"
    );

    let mut p = honest.clone();
    p.winners.swap(1, 2);
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        format!(
            "winner rank 2 differs: published {}, recomputed {}",
            honest.winners[2], honest.winners[1]
        )
    );

    let mut p = honest.clone();
    p.alternates.swap(0, 1);
    assert!(first_difference_of(verify(&p, &list)).starts_with("alternate 1 (rank 4) differs"));

    let mut p = honest.clone();
    p.alternates.push(other_hex);
    assert_eq!(
        first_difference_of(verify(&p, &list)),
        "alternates lists 8 entrants but only 7 remain after the winners"
    );

    // Winner and alternate swapped: the alternate moved into the winners.
    let mut p = honest.clone();
    std::mem::swap(&mut p.winners[2], &mut p.alternates[0]);
    assert!(first_difference_of(verify(&p, &list)).starts_with("winner rank 3 differs"));

    assert!(first_difference_of(verify_embedded(&honest)).starts_with("listText is missing"));
    let mut p = honest;
    p.list_text = Some("not a list".to_owned());
    assert!(first_difference_of(verify_embedded(&p))
        .starts_with("listText is not a canonical entrant list"));
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn entrants(max: usize) -> impl Strategy<Value = Vec<Entrant>> {
        prop::collection::btree_map(any::<[u8; 32]>(), 1u32..=4, 0..max).prop_map(|m| {
            m.into_iter()
                .map(|(pid, weight)| Entrant { pid, weight })
                .collect()
        })
    }

    fn algorithm() -> impl Strategy<Value = Algorithm> {
        prop_oneof![Just(Algorithm::Random), Just(Algorithm::Weighted)]
    }

    /// A drawable case: list valid for the algorithm, 1 <= winners <= n.
    fn draw_case(
        min: usize,
        max: usize,
    ) -> impl Strategy<Value = ([u8; 32], CanonicalList, DrawParams)> {
        (
            any::<[u8; 32]>(),
            entrants(max).prop_filter("need entrants", move |v| v.len() >= min),
            algorithm(),
            any::<u128>(),
            any::<u32>(),
        )
            .prop_map(|(seed, mut entrants, algorithm, campaign, winners)| {
                if algorithm == Algorithm::Random {
                    entrants.iter_mut().for_each(|e| e.weight = 1);
                }
                let list = CanonicalList::new(entrants).unwrap();
                let winner_count = 1 + winners % list.len() as u32;
                let params = DrawParams {
                    campaign_id: Uuid::from_u128(campaign),
                    algorithm,
                    winner_count,
                };
                (seed, list, params)
            })
    }

    proptest! {
        #[test]
        fn ordering_is_a_permutation(
            entrants in entrants(60),
            algorithm in algorithm(),
            seed in any::<[u8; 32]>(),
        ) {
            let list = CanonicalList::new(entrants).unwrap();
            let mut order = ordering(&list, algorithm, seed);
            order.sort_unstable();
            let identity: Vec<u32> = (0..list.len() as u32).collect();
            prop_assert_eq!(order, identity);
        }

        #[test]
        fn draws_are_deterministic((server_seed, list, params) in draw_case(1, 40)) {
            let first = run(&server_seed, &list, &params).unwrap();
            let second = run(&server_seed, &list.clone(), &params.clone()).unwrap();
            prop_assert_eq!(&first, &second);
            let winners = first.winners(params.winner_count);
            let alternates = first.alternates(params.winner_count);
            prop_assert_eq!(winners.len(), params.winner_count as usize);
            prop_assert_eq!(winners.len() + alternates.len(), list.len());
            prop_assert_eq!(&first.ordering[..winners.len()], winners);
        }

        #[test]
        fn canonical_list_ignores_input_order(
            (original, shuffled) in entrants(40)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
        ) {
            let a = CanonicalList::new(original).unwrap();
            let b = CanonicalList::new(shuffled).unwrap();
            prop_assert_eq!(a.hash(), b.hash());
            prop_assert_eq!(a, b);
        }

        #[test]
        fn text_roundtrips_and_hash_is_sha256_of_text(entrants in entrants(40)) {
            let list = CanonicalList::new(entrants).unwrap();
            let text = list.text();
            let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
            prop_assert_eq!(list.hash(), digest);
            prop_assert_eq!(CanonicalList::parse_text(&text).unwrap(), list);
        }

        #[test]
        fn verify_matches_honest_and_rejects_tampering(
            (server_seed, list, params) in draw_case(2, 30),
            victim in any::<prop::sample::Index>(),
            keep in 0usize..40,
        ) {
            let (_, honest) = publish(&server_seed, &list, &params).unwrap();
            prop_assert_eq!(verify(&honest, &list), Verification::Match);
            prop_assert_eq!(
                verify_embedded(&honest.clone().with_list_text(&list)),
                Verification::Match
            );
            prop_assert!(verify(&honest.clone().with_alternates_limit(keep), &list).is_match());

            // Tampered server seed (the commitment no longer opens).
            let mut p = honest.clone();
            let mut other = server_seed;
            other[0] ^= 1;
            p.server_seed = hex::encode(other);
            prop_assert!(!verify(&p, &list).is_match());

            // Tampered derived seed.
            let mut p = honest.clone();
            let mut seed = parse_hex32(&honest.seed).unwrap();
            seed[31] ^= 0x80;
            p.seed = hex::encode(seed);
            prop_assert!(!verify(&p, &list).is_match());

            // Changed weight.
            let i = victim.index(list.len());
            let mut entrants = list.entrants().to_vec();
            entrants[i].weight += 1;
            let changed = CanonicalList::new(entrants.clone()).unwrap();
            prop_assert!(!verify(&honest, &changed).is_match());

            // Removed entrant.
            entrants.remove(i);
            let removed = CanonicalList::new(entrants).unwrap();
            prop_assert!(!verify(&honest, &removed).is_match());

            // Swapped winners, or a winner swapped with the first alternate.
            let mut p = honest.clone();
            if p.winners.len() >= 2 {
                p.winners.swap(0, 1);
            } else {
                std::mem::swap(&mut p.winners[0], &mut p.alternates[0]);
            }
            let difference = first_difference_of(verify(&p, &list));
            prop_assert!(difference.starts_with("winner rank 1 differs"), "{}", difference);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scale.
// ---------------------------------------------------------------------------------------------

/// `n` distinct pseudo-random pids; about a quarter have weight 3 (store visit bonus).
fn synthetic_entrants(n: usize, seed: u8) -> Vec<Entrant> {
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    (0..n)
        .map(|_| {
            let mut pid = [0u8; 32];
            rng.fill_bytes(&mut pid);
            let weight = if pid[31] % 4 == 0 { 3 } else { 1 };
            Entrant { pid, weight }
        })
        .collect()
}

#[test]
fn weighted_draw_over_100k_entrants() {
    let list = CanonicalList::new(synthetic_entrants(100_000, 7)).unwrap();
    let params = DrawParams {
        campaign_id: Uuid::from_u128(7),
        algorithm: Algorithm::Weighted,
        winner_count: 100,
    };
    let outcome = run(&[7; 32], &list, &params).unwrap();
    let mut seen = vec![false; list.len()];
    for &i in &outcome.ordering {
        assert!(!std::mem::replace(&mut seen[i as usize], true));
    }
    assert!(seen.iter().all(|&s| s));
    let digest: [u8; 32] = Sha256::digest(list.text().as_bytes()).into();
    assert_eq!(outcome.list_hash, digest);
}

#[test]
#[ignore = "timing: cargo test --release -p promo-domain draw_protocol -- --ignored --nocapture"]
fn time_weighted_draw_over_1m_entrants() {
    use std::time::Instant;
    let entrants = synthetic_entrants(1_000_000, 11);
    let params = DrawParams {
        campaign_id: Uuid::from_u128(11),
        algorithm: Algorithm::Weighted,
        winner_count: 10,
    };
    let t = Instant::now();
    let list = CanonicalList::new(entrants).unwrap();
    let canonical = t.elapsed();
    let t = Instant::now();
    let list_hash = list.hash();
    let hashing = t.elapsed();
    let t = Instant::now();
    let order = ordering(&list, Algorithm::Weighted, list_hash);
    let ordering_time = t.elapsed();
    let t = Instant::now();
    let outcome = run(&[11; 32], &list, &params).unwrap();
    let run_time = t.elapsed();
    let t = Instant::now();
    let (_, published) = publish(&[11; 32], &list, &params).unwrap();
    let publish_time = t.elapsed();
    let t = Instant::now();
    let verdict = verify(&published, &list);
    let verify_time = t.elapsed();
    assert_eq!(order.len(), 1_000_000);
    assert_eq!(outcome.ordering.len(), 1_000_000);
    assert!(verdict.is_match());
    println!(
        "1M weighted entrants: CanonicalList::new {canonical:?}, hash {hashing:?}, \
         ordering {ordering_time:?}, run (hash + seed + ordering) {run_time:?}, \
         publish (run + 1M hex pids) {publish_time:?}, verify {verify_time:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The document's draw/v1 worked examples are the committed vectors (v2: v2_tests.rs).
// ---------------------------------------------------------------------------------------------

const PROTOCOL_DOC: &str = include_str!("../../../docs/draw-protocol.md");

fn doc_json_blocks() -> Vec<&'static str> {
    PROTOCOL_DOC
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect()
}

#[test]
fn document_worked_example_verifies() {
    let blocks = doc_json_blocks();
    assert_eq!(
        blocks.len(),
        4,
        "docs/draw-protocol.md has two draw/v1 and two draw/v2 JSON records"
    );

    let random: PublishedDraw = serde_json::from_str(blocks[0]).unwrap();
    assert_eq!(random.algorithm, Algorithm::Random);
    assert_eq!(
        verify(&random, &vector_list(Algorithm::Random)),
        Verification::Match
    );
    let (_, honest) = vector_published(Algorithm::Random);
    assert_eq!(random, honest.with_alternates_limit(2));

    let weighted: PublishedDraw = serde_json::from_str(blocks[1]).unwrap();
    assert_eq!(verify_embedded(&weighted), Verification::Match);
    let (list, honest) = vector_published(Algorithm::Weighted);
    assert_eq!(weighted, honest.with_list_text(&list));

    for value in [
        VECTOR_COMMITMENT,
        VECTOR_RANDOM_LIST_HASH,
        VECTOR_RANDOM_PARAMS,
        VECTOR_RANDOM_SEED,
        VECTOR_WEIGHTED_LIST_HASH,
        VECTOR_WEIGHTED_PARAMS,
        VECTOR_WEIGHTED_SEED,
        "ordering   = [8, 2, 6, 3, 1, 7, 9, 4, 5, 0]",
        "ordering   = [5, 1, 0, 7, 3, 4, 2, 9, 6, 8]",
    ] {
        assert!(
            PROTOCOL_DOC.contains(value),
            "{value} missing from the document"
        );
    }
}
