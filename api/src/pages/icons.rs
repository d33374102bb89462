//! The few pictograms the pages use, as inline SVG drawn with `currentColor`.
//!
//! Inline SVG instead of emoji: emoji depend on the device's emoji font (a box
//! on machines without one) and cannot take the page's colours; instead of an
//! icon font: nothing more to download, and no CSP exception.

/// The SVG markup of the icon `name`; unknown names give an empty string.
/// Decorative: hidden from screen readers, the text next to it says it all.
pub fn svg(name: &str) -> &'static str {
    match name {
        "gift" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M4 11h16v9a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1z"/><rect x="3" y="7" width="18" height="4" rx="1"/>"#,
            r#"<path d="M12 7v14M12 7c-1.2-2.8-5-3.4-5-1.2C7 7.3 10 7.4 12 7zm0 0c1.2-2.8 5-3.4 5-1.2C17 7.3 14 7.4 12 7z"/></svg>"#
        ),
        "check" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M5 12.5l4.5 4.5L19 7.5"/></svg>"#
        ),
        "clock" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/></svg>"#
        ),
        "flag" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M5 21V4M5 4h11l-2 4 2 4H5"/></svg>"#
        ),
        "search" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<circle cx="11" cy="11" r="6.5"/><path d="M16 16l4.5 4.5"/></svg>"#
        ),
        "trophy" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M8 4h8v6a4 4 0 0 1-8 0zM8 6H5a3 3 0 0 0 3 4M16 6h3a3 3 0 0 1-3 4M12 14v4M8 20h8"/></svg>"#
        ),
        "heart" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10z"/></svg>"#
        ),
        "calendar" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<rect x="4" y="5" width="16" height="15" rx="2"/><path d="M4 10h16M9 3v4M15 3v4"/></svg>"#
        ),
        "shuffle" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M4 7h3c5 0 5 10 10 10h3M4 17h3c1.6 0 2.7-1 3.5-2.3M13.5 9.3C14.3 8 15.4 7 17 7h3M17.5 4.5L20 7l-2.5 2.5M17.5 14.5L20 17l-2.5 2.5"/></svg>"#
        ),
        "plus" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<path d="M12 5v14M5 12h14"/></svg>"#
        ),
        "lock" => concat!(
            r#"<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">"#,
            r#"<rect x="5" y="10" width="14" height="10" rx="2"/><path d="M8 10V7a4 4 0 0 1 8 0v3"/></svg>"#
        ),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_decorative_svg() {
        for name in [
            "gift", "check", "clock", "flag", "search", "trophy", "heart", "calendar", "shuffle",
            "plus", "lock",
        ] {
            let s = svg(name);
            assert!(s.starts_with("<svg") && s.ends_with("</svg>"), "{name}");
            assert!(s.contains(r#"aria-hidden="true""#), "{name}");
        }
        assert_eq!(svg("nope"), "");
    }
}
