//! A weighted draw at campaign scale, and its verification, over N entrants.

use std::time::{Duration, Instant};

use promo_domain::draw_protocol::{self, Algorithm, CanonicalList, DrawParams, Entrant};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::report::{row, Row};
use super::sizes::Sizes;

struct DrawTimes {
    canonicalise: Duration,
    run: Duration,
    verify: Duration,
}

/// Weighted draw over `entrants` synthetic entrants (every third visited the
/// store: weight 3), then an independent verification of the published record.
fn weighted_draw(entrants: usize) -> anyhow::Result<DrawTimes> {
    let list: Vec<Entrant> = (0..entrants as u64)
        .map(|i| Entrant {
            pid: Sha256::digest(i.to_le_bytes()).into(),
            weight: if i % 3 == 0 { 3 } else { 1 },
        })
        .collect();
    let server_seed = [7u8; 32];
    let params = DrawParams {
        campaign_id: Uuid::from_u128(1),
        algorithm: Algorithm::Weighted,
        winner_count: 10,
    };
    let started = Instant::now();
    let list = CanonicalList::new(list)?;
    let canonicalise = started.elapsed();
    let started = Instant::now();
    let outcome = draw_protocol::run(&server_seed, &list, &params)?;
    let run = started.elapsed();
    let published = draw_protocol::PublishedDraw::new(&server_seed, &list, &params, &outcome)
        .with_alternates_limit(100);
    let started = Instant::now();
    let verdict = draw_protocol::verify(&published, &list);
    let verify = started.elapsed();
    anyhow::ensure!(
        verdict.is_match(),
        "verification of an honest draw failed: {verdict:?}"
    );
    Ok(DrawTimes {
        canonicalise,
        run,
        verify,
    })
}

/// The draw figure: canonical list, run and verification times at `sizes.entrants`.
pub(super) fn measure_draw(sizes: &Sizes, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    eprintln!("bench: weighted draw at {} entrants", sizes.entrants);
    let draw = weighted_draw(sizes.entrants)?;
    rows.push(row(
        format!(
            "Weighted draw, {} entrants: canonical list / run / verify",
            sizes.entrants
        ),
        format!(
            "{} / {} / {} ms",
            draw.canonicalise.as_millis(),
            draw.run.as_millis(),
            draw.verify.as_millis()
        ),
        "well under 1 s",
        Some((draw.canonicalise + draw.run) < Duration::from_secs(1)),
    ));
    Ok(())
}
