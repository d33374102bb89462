//! Server-rendered inline SVG charts for the analytics dashboard: a horizontal
//! bar chart (participants per channel) and the hourly trend (bars per hour,
//! a line of the running total).
//!
//! Pure functions from numbers to markup, so they are unit-tested without a
//! browser and the dashboard needs no chart library or script. The SVGs use a
//! fixed `viewBox` and scale to their container; colours come from CSS classes
//! (`.chart-*` in app.css) so print and dark backgrounds can restyle them.

use std::fmt::Write;

/// One bar: a label (already Korean) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: u64,
}

/// One hour of the trend: its label (`21시`), entries in that hour, entries so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub label: String,
    pub participants: u64,
    pub cumulative: u64,
}

/// The axis for values up to `max` split into `divisions` equal steps: the smallest
/// whole-number step of 1, 1.5, 2, 2.5, 3, 4, 5 or 7.5 × 10ⁿ that reaches `max`, so
/// the top of the chart is never far above the data. Returns `(axis maximum, step)`:
/// 7 → (8, 2), 10 → (12, 3), 930 → (1,000, 250).
pub fn nice_axis(max: u64, divisions: u64) -> (u64, u64) {
    let divisions = divisions.max(1);
    if max == 0 {
        return (divisions, 1);
    }
    let raw = max.div_ceil(divisions);
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    // Candidates in tenths of the magnitude; fractions of 1 are skipped (counts are whole).
    let step = [10u64, 15, 20, 25, 30, 40, 50, 75, 100]
        .iter()
        .filter_map(|tenths| magnitude.checked_mul(*tenths))
        .filter(|s| s % 10 == 0)
        .map(|s| s / 10)
        .find(|&s| s >= raw && s > 0)
        .unwrap_or(raw);
    (step.saturating_mul(divisions), step)
}

/// Escapes text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One decimal is plenty at these sizes and keeps the markup small.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

const BAR_WIDTH: f64 = 360.0;
const BAR_LABEL: f64 = 86.0;
const BAR_VALUE: f64 = 64.0;
const BAR_ROW: f64 = 36.0;

/// Horizontal bars, one row per entry, each labelled and with its value written
/// after the bar (`1,234명` via `unit`). Long labels still fit: Korean channel names
/// are at most five syllables. An empty slice gives a short empty-state SVG.
pub fn bar_chart(title: &str, bars: &[Bar], unit: &str) -> String {
    let mut svg = String::new();
    let height = (bars.len().max(1) as f64) * BAR_ROW + 8.0;
    let _ = write!(
        svg,
        r#"<svg class="chart chart-bars" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        w = n(BAR_WIDTH),
        h = n(height),
        t = esc(title),
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="chart-empty" x="{}" y="25" text-anchor="middle">아직 데이터가 없어요</text></svg>"#,
            n(BAR_WIDTH / 2.0)
        );
        return svg;
    }
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let track = BAR_WIDTH - BAR_LABEL - BAR_VALUE;
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * BAR_ROW;
        let width = track * bar.value as f64 / max as f64;
        // A zero still shows a sliver so the row does not look missing.
        let width = if bar.value == 0 { 2.0 } else { width.max(4.0) };
        let _ = write!(
            svg,
            concat!(
                r#"<text class="chart-label" x="0" y="{ty}">{label}</text>"#,
                r#"<rect class="chart-track" x="{x}" y="{by}" width="{tw}" height="14" rx="7"/>"#,
                r#"<rect class="chart-bar" x="{x}" y="{by}" width="{bw}" height="14" rx="7"/>"#,
                r#"<text class="chart-value" x="{vx}" y="{ty}">{value}</text>"#,
            ),
            ty = n(y + 20.0),
            by = n(y + 8.0),
            x = n(BAR_LABEL),
            tw = n(track),
            bw = n(width),
            vx = n(BAR_LABEL + track + 8.0),
            label = esc(&bar.label),
            value = esc(&format!(
                "{}{unit}",
                super::format::grouped(bar.value as i64)
            )),
        );
    }
    svg.push_str("</svg>");
    svg
}

const TREND_W: f64 = 360.0;
const TREND_H: f64 = 210.0;
const PAD_L: f64 = 36.0;
const PAD_R: f64 = 46.0;
const PAD_T: f64 = 14.0;
const PAD_B: f64 = 28.0;

/// The hourly trend: a bar per hour (entries in that hour, left axis) and a line of
/// cumulative entries (right axis). Hours are spaced evenly, so the caller passes
/// consecutive hours (missing hours as zero). At most about six hour labels are
/// written so they never collide on a phone.
pub fn trend_chart(title: &str, points: &[TrendPoint]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart chart-trend" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        w = n(TREND_W),
        h = n(TREND_H),
        t = esc(title),
    );
    if points.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="chart-empty" x="{}" y="{}" text-anchor="middle">아직 참여 기록이 없어요</text></svg>"#,
            n(TREND_W / 2.0),
            n(TREND_H / 2.0)
        );
        return svg;
    }
    let plot_w = TREND_W - PAD_L - PAD_R;
    let plot_h = TREND_H - PAD_T - PAD_B;
    let bottom = PAD_T + plot_h;
    let (hour_max, hour_step) =
        nice_axis(points.iter().map(|p| p.participants).max().unwrap_or(0), 4);
    let (cum_max, cum_step) = nice_axis(points.iter().map(|p| p.cumulative).max().unwrap_or(0), 4);

    // Grid and both axes' tick labels.
    for i in 0..=4u64 {
        let y = bottom - plot_h * i as f64 / 4.0;
        let _ = write!(
            svg,
            concat!(
                r#"<line class="chart-grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>"#,
                r#"<text class="chart-tick chart-tick-hour" x="{lx}" y="{ty}" text-anchor="end">{l}</text>"#,
                r#"<text class="chart-tick chart-tick-cum" x="{rx}" y="{ty}">{r}</text>"#,
            ),
            x1 = n(PAD_L),
            x2 = n(PAD_L + plot_w),
            y = n(y),
            ty = n(y + 4.0),
            lx = n(PAD_L - 6.0),
            rx = n(PAD_L + plot_w + 6.0),
            l = super::format::grouped((hour_step * i) as i64),
            r = super::format::grouped((cum_step * i) as i64),
        );
    }

    let slot = plot_w / points.len() as f64;
    let x_of = |i: usize| PAD_L + slot * (i as f64 + 0.5);
    let bar_w = (slot * 0.6).clamp(1.5, 18.0);
    for (i, p) in points.iter().enumerate() {
        let h = plot_h * p.participants as f64 / hour_max as f64;
        if h > 0.0 {
            let _ = write!(
                svg,
                r#"<rect class="chart-hour" x="{}" y="{}" width="{}" height="{}" rx="2"><title>{}: {}명</title></rect>"#,
                n(x_of(i) - bar_w / 2.0),
                n(bottom - h),
                n(bar_w),
                n(h),
                esc(&p.label),
                super::format::grouped(p.participants as i64),
            );
        }
    }

    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let y = bottom - plot_h * p.cumulative as f64 / cum_max as f64;
            format!("{},{}", n(x_of(i)), n(y))
        })
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="chart-line" fill="none" points="{}"/>"#,
        line.join(" ")
    );
    if let Some(last) = line.last() {
        let (x, y) = last.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(
            svg,
            r#"<circle class="chart-dot" cx="{x}" cy="{y}" r="3.5"/>"#
        );
    }

    let every = points.len().div_ceil(6).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                n(x_of(i)),
                n(bottom + 20.0),
                esc(&p.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[(&str, u64)]) -> Vec<Bar> {
        values
            .iter()
            .map(|(l, v)| Bar {
                label: l.to_string(),
                value: *v,
            })
            .collect()
    }

    fn attr_values(svg: &str, class: &str, attr: &str) -> Vec<f64> {
        svg.split(&format!(r#"class="{class}""#))
            .skip(1)
            .map(|rest| {
                let start = rest.find(&format!(r#" {attr}=""#)).unwrap() + attr.len() + 3;
                let end = rest[start..].find('"').unwrap();
                rest[start..start + end].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn nice_axis_steps() {
        assert_eq!(nice_axis(0, 4), (4, 1));
        assert_eq!(nice_axis(3, 4), (4, 1));
        assert_eq!(nice_axis(7, 4), (8, 2));
        assert_eq!(nice_axis(40, 4), (40, 10));
        assert_eq!(nice_axis(41, 4), (60, 15));
        assert_eq!(nice_axis(10, 4), (12, 3));
        assert_eq!(nice_axis(930, 4), (1_000, 250));
        assert_eq!(nice_axis(1_234, 4), (1_600, 400));
        assert!(nice_axis(u64::MAX / 2, 4).0 >= u64::MAX / 2);
    }

    #[test]
    fn bars_scale_to_the_largest_value() {
        let svg = bar_chart(
            "채널별 참여자",
            &bars(&[("인스타그램", 200), ("네이버", 100), ("카카오톡", 0)]),
            "명",
        );
        let widths = attr_values(&svg, "chart-bar", "width");
        assert_eq!(widths.len(), 3);
        assert_eq!(widths[0], BAR_WIDTH - BAR_LABEL - BAR_VALUE);
        assert_eq!(widths[1], widths[0] / 2.0);
        assert_eq!(widths[2], 2.0, "a zero keeps a visible sliver");
        assert!(svg.contains(">200명<") && svg.contains(">0명<"));
        assert!(svg.contains(r#"aria-label="채널별 참여자""#));
    }

    #[test]
    fn bar_labels_are_escaped() {
        let svg = bar_chart("<t>", &bars(&[("<script>&", 1)]), "명");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(svg.contains("aria-label=\"&lt;t&gt;\""));
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(bar_chart("x", &[], "명").contains("아직 데이터가 없어요"));
        assert!(trend_chart("x", &[]).contains("아직 참여 기록이 없어요"));
    }

    fn points(hourly: &[u64]) -> Vec<TrendPoint> {
        let mut total = 0;
        hourly
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                total += p;
                TrendPoint {
                    label: format!("{}시", 9 + i),
                    participants: p,
                    cumulative: total,
                }
            })
            .collect()
    }

    #[test]
    fn trend_line_rises_with_the_running_total() {
        let svg = trend_chart("시간대별 참여 추이", &points(&[3, 0, 5, 2]));
        let line = svg.split(r#"points=""#).nth(1).unwrap();
        let line = &line[..line.find('"').unwrap()];
        let ys: Vec<f64> = line
            .split(' ')
            .map(|xy| xy.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.len(), 4);
        // SVG y grows downwards: a non-decreasing total never moves the line down.
        assert!(ys.windows(2).all(|w| w[1] <= w[0]));
        // Total 10 on an axis of 0..12 (step 3): the last point sits at 10/12 of the plot.
        let plot_h = TREND_H - PAD_T - PAD_B;
        let expected = PAD_T + plot_h - plot_h * 10.0 / 12.0;
        assert!((ys[3] - expected).abs() < 0.06, "{} vs {expected}", ys[3]);
        // An hour without entries draws no bar.
        assert_eq!(svg.matches(r#"class="chart-hour""#).count(), 3);
    }

    #[test]
    fn trend_labels_thin_out_on_long_ranges() {
        let svg = trend_chart("t", &points(&[1; 24]));
        let hour_labels = svg.matches("시</text>").count();
        assert!(
            hour_labels <= 6,
            "{hour_labels} labels would collide on a phone"
        );
        assert!(svg.contains(">9시<"));
    }
}
