//! The bench's output: one row per figure (what was measured, the result, the target, whether
//! it was met) and the Markdown table they make for `docs/benchmarks.md`.

use std::fmt::Write as _;

use super::sizes::Sizes;
use super::BenchOptions;

/// One line of the table.
pub(super) struct Row {
    measurement: String,
    result: String,
    target: String,
    met: Option<bool>,
}

/// A row; `met` is `None` for a figure without a target (a baseline, a breakdown).
pub(super) fn row(
    measurement: impl Into<String>,
    result: impl Into<String>,
    target: impl Into<String>,
    met: Option<bool>,
) -> Row {
    Row {
        measurement: measurement.into(),
        result: result.into(),
        target: target.into(),
        met,
    }
}

/// The heading (run kind, sizes, cores) and the table.
pub(super) fn render(rows: &[Row], sizes: &Sizes, options: BenchOptions) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "promo bench ({}; {} s per throughput run, {} connections, {} draw entrants, {} list rows; {} cores)\n",
        if options.quick { "quick" } else { "full" },
        sizes.run.as_secs(),
        sizes.clients,
        sizes.entrants,
        sizes.list_rows,
        cores
    );
    let _ = writeln!(out, "| measurement | result | target | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.measurement, r.result, r.target, met
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_marks_missed_targets() {
        let sizes = Sizes::for_options(BenchOptions { quick: true });
        let rows = [
            row("a", "1/s", "baseline", None),
            row("b", "2 ms", "≤ 5 ms", Some(true)),
            row("c", "9 ms", "≤ 5 ms", Some(false)),
        ];
        let table = render(&rows, &sizes, BenchOptions { quick: true });
        assert!(table.starts_with("promo bench (quick; 2 s per throughput run, 32 connections, 100000 draw entrants, 100000 list rows; "), "{table}");
        assert!(table.ends_with(
            "| measurement | result | target | met |\n|---|---|---|---|\n\
             | a | 1/s | baseline |  |\n| b | 2 ms | ≤ 5 ms | yes |\n| c | 9 ms | ≤ 5 ms | **no** |\n"
        ), "{table}");
    }
}
