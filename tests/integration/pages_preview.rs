//! Every page, rendered from sample view models by a tiny router (no database,
//! no NATS), opened in a real headless Chromium at phone and desktop width:
//! screenshots for people to look at (`target/screenshots/`), and checks that
//! hold on every page (Korean, no sideways overflow at 360 px, touch targets,
//! no inline styles, small assets), plus the behaviours that matter most: the
//! entry form works without JavaScript, errors come back in Korean next to the
//! field, keyboard focus is visible, the live count refreshes, `/docs` renders
//! offline.

mod samples;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fantoccini::key::Key;
use fantoccini::Locator;
use promo_api::pages::customer::{check_errors, CheckForm, CheckOutcome, CheckPage, EntryForm};
use promo_api::pages::view::FormErrors;
use promo_api::pages::{assets_router, docs_router, render, render_with_status};
use promo_tests::browser::{screenshot_dir, Browser, BrowserOptions, DESKTOP, PHONE};
use serde_json::json;
use utoipa::OpenApi;

use samples::{EVENT_ID, PAGES, TAKEN_PHONE};

fn pairs(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `POST /e/{id}`: refuses `TAKEN_PHONE` with PART_001 like the API, a short
/// name with VALIDATION_ERROR, and accepts the rest.
async fn enter(body: Bytes) -> Response {
    let mut form = EntryForm::default();
    for (k, v) in pairs(&body) {
        match k.as_str() {
            "name" => form.name = v,
            "phoneNumber" => form.phone_number = v,
            "agreePrivacy" => form.agree_privacy = v == "true",
            "agreeMarketing" => form.agree_marketing = v == "true",
            "storeVisited" => form.store_visited = v == "true",
            "channel" => form.channel = Some(v),
            "storeVisitToken" => form.store_visit_token = Some(v),
            _ => {}
        }
    }
    if form.phone_number == TAKEN_PHONE {
        return render_with_status(StatusCode::CONFLICT, &samples::duplicate_entry(form));
    }
    if form.name.chars().count() < 2 || !form.agree_privacy {
        let field = if form.name.chars().count() < 2 {
            "name"
        } else {
            "agreePrivacy"
        };
        let errors = promo_api::pages::customer::entry_errors(
            &samples::event(),
            "VALIDATION_ERROR",
            &format!("{field}: invalid"),
        );
        let page = samples::event_page(
            promo_api::pages::customer::EventPhase::Open,
            false,
            form,
            errors,
        );
        return render_with_status(StatusCode::BAD_REQUEST, &page);
    }
    render(&samples::complete(if form.store_visited { 3 } else { 1 }))
}

/// `POST /e/{id}/check`: any entry number ending in 404 is not found.
async fn check(body: Bytes) -> Response {
    let mut form = CheckForm::default();
    for (k, v) in pairs(&body) {
        match k.as_str() {
            "phoneNumber" => form.phone_number = v,
            "entryNumber" => form.entry_number = v,
            _ => {}
        }
    }
    let (outcome, errors) = if form.phone_number.len() < 10 {
        (
            None,
            check_errors("VALIDATION_ERROR", "phoneNumber: invalid"),
        )
    } else if form.entry_number.ends_with("404") {
        (Some(CheckOutcome::NotFound), FormErrors::none())
    } else {
        (Some(CheckOutcome::NotDrawnYet), FormErrors::none())
    };
    render(&CheckPage {
        event: samples::event(),
        form,
        outcome,
        errors,
    })
}

async fn preview(Path(name): Path<String>) -> Response {
    samples::page(&name).unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

/// Serves the preview on a free loopback port; returns its base URL.
async fn serve() -> String {
    let live = format!("/console/events/{EVENT_ID}/live.json");
    let app = Router::new()
        .route("/preview/{name}", get(preview))
        .route("/e/{id}", post(enter))
        .route("/e/{id}/check", post(check))
        .route(
            &live,
            get(|| async { Json(json!({ "participants": 1235 })) }),
        )
        .route(
            "/openapi.json",
            get(|| async { Json(promo_api::openapi::ApiDoc::openapi()) }),
        )
        .merge(assets_router())
        .merge(docs_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// What every page must satisfy at the current width; returns the problems.
const PAGE_CHECKS: &str = r#"
const problems = [];
const w = window.innerWidth;
if (document.documentElement.lang !== 'ko') problems.push('lang is not ko');
if (document.documentElement.scrollWidth > w) problems.push('sideways overflow: ' + document.documentElement.scrollWidth + ' > ' + w);
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > w + 1 && !el.closest('.table-scroll, .tabs')) { problems.push('sticks out: ' + el.tagName + '.' + el.className + ' right=' + Math.round(r.right)); break; }
}
if (document.querySelector('[style]')) problems.push('inline style attribute (blocked by CSP): ' + document.querySelector('[style]').outerHTML.slice(0, 80));
if (getComputedStyle(document.body).backgroundColor !== 'rgb(242, 244, 246)') problems.push('app.css not applied');
for (const el of document.querySelectorAll('.btn, .input, .select, .check, .chip, .tabs a, .banner__link, .link-btn, details summary, .tap, .eyebrow a')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || getComputedStyle(el).visibility === 'hidden') continue;
  if (r.height < 44) problems.push('touch target ' + Math.round(r.height) + 'px: ' + el.outerHTML.slice(0, 80));
}
let bytes = 0;
for (const e of performance.getEntriesByType('resource')) bytes += e.decodedBodySize || 0;
for (const e of performance.getEntriesByType('navigation')) bytes += e.decodedBodySize || 0;
if (bytes > 200000) problems.push('page weighs ' + bytes + ' bytes');
return problems;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_at_phone_and_desktop_width() {
    let base = serve().await;
    let browser = Browser::start().await;
    let mut failures = Vec::new();
    // 360 px is the narrowest phone we design for: checked, not photographed.
    for size in [PHONE, (360, 740), DESKTOP] {
        browser.resize(size).await;
        for name in PAGES {
            browser.goto(&format!("{base}/preview/{name}")).await;
            let problems: Vec<String> = browser.eval(PAGE_CHECKS).await;
            failures.extend(
                problems
                    .into_iter()
                    .map(|p| format!("{name} @{}: {p}", size.0)),
            );
            if size != (360, 740) {
                let path = screenshot_dir().join(format!("{name}-{}.png", size.0));
                browser.screenshot(&path).await;
            }
        }
    }
    // The store QR sheet as it prints (A4 width at 96 dpi).
    browser.resize((794, 1123)).await;
    browser.goto(&format!("{base}/preview/store-qr")).await;
    browser.emulate_media("print").await;
    browser
        .screenshot(&screenshot_dir().join("store-qr-print.png"))
        .await;
    browser.close().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_form_posts_without_javascript_and_answers_in_korean() {
    let base = serve().await;
    let browser = Browser::start_with(BrowserOptions {
        javascript: false,
        size: PHONE,
    })
    .await;
    let c = browser.client();
    browser.goto(&format!("{base}/preview/event")).await;

    let form = c.find(Locator::Css("form.form")).await.unwrap();
    assert_eq!(form.attr("method").await.unwrap().as_deref(), Some("post"));
    assert_eq!(
        form.attr("action").await.unwrap(),
        Some(format!("/e/{EVENT_ID}"))
    );
    assert_eq!(
        c.find(Locator::Css("input[name=channel]"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap()
            .as_deref(),
        Some("INSTAGRAM")
    );

    // A number that already entered: PART_001, shown in Korean at the form, values kept.
    let fill = |name: &'static str, value: &'static str| async move {
        let input = c.find(Locator::Id(name)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    };
    fill("name", "김민수").await;
    fill("phoneNumber", TAKEN_PHONE).await;
    c.find(Locator::Css("input[name=agreePrivacy]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let banner = c
        .wait()
        .for_element(Locator::Id("form-error"))
        .await
        .unwrap();
    assert!(banner
        .text()
        .await
        .unwrap()
        .contains("이미 참여하신 이벤트입니다"));
    assert_eq!(banner.attr("role").await.unwrap().as_deref(), Some("alert"));
    let phone = c.find(Locator::Id("phoneNumber")).await.unwrap();
    assert_eq!(
        phone.prop("value").await.unwrap().as_deref(),
        Some(TAKEN_PHONE)
    );
    assert_eq!(
        phone.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let inline = c.find(Locator::Id("phoneNumber-error")).await.unwrap();
    assert!(inline.is_displayed().await.unwrap());
    assert_eq!(inline.text().await.unwrap(), "이 번호로 이미 참여했어요.");
    let name = c.find(Locator::Id("name")).await.unwrap();
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some("김민수"));
    browser
        .screenshot(&screenshot_dir().join("nojs-duplicate-390.png"))
        .await;

    // A fresh number goes through: the completion screen, still without scripts.
    fill("phoneNumber", "010-2345-6789").await;
    let privacy = c
        .find(Locator::Css("input[name=agreePrivacy]"))
        .await
        .unwrap();
    if privacy.prop("checked").await.unwrap().as_deref() != Some("true") {
        privacy.click().await.unwrap();
    }
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let number = c
        .wait()
        .for_element(Locator::Css(".entry-number"))
        .await
        .unwrap();
    assert_eq!(number.text().await.unwrap(), "EVT7D9F-20261201-042");
    // app.js would reveal the copy button: still hidden proves scripts were off.
    let copy = c.find(Locator::Css("button[data-copy]")).await.unwrap();
    assert!(
        !copy.is_displayed().await.unwrap(),
        "scripts ran although disabled"
    );
    browser
        .screenshot(&screenshot_dir().join("nojs-complete-390.png"))
        .await;

    // The check form is a plain POST too.
    browser.goto(&format!("{base}/preview/check")).await;
    fill("phoneNumber", "010-2345-6789").await;
    fill("entryNumber", "EVT7D9F-20261201-404").await;
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let outcome = c.wait().for_element(Locator::Id("outcome")).await.unwrap();
    assert!(outcome
        .text()
        .await
        .unwrap()
        .contains("일치하는 응모가 없어요"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_focus_is_visible() {
    let base = serve().await;
    let browser = Browser::start().await;
    let c = browser.client();
    browser.goto(&format!("{base}/preview/event-store")).await;
    let body = c.find(Locator::Css("body")).await.unwrap();

    // First Tab: the skip link appears on screen, with a focus ring.
    body.send_keys(&String::from(char::from(Key::Tab)))
        .await
        .unwrap();
    let (class, top, ring): (String, f64, String) = browser
        .eval("const a = document.activeElement; return [a.className, a.getBoundingClientRect().top, getComputedStyle(a).boxShadow];")
        .await;
    assert_eq!(class, "skip-link");
    assert!(top >= 0.0, "skip link stays off screen");
    assert!(ring.contains("27, 100, 218"), "no focus ring: {ring}");

    // Tab on to the submit button: every stop on the way shows a ring.
    let mut stops = Vec::new();
    for _ in 0..20 {
        let active = c.active_element().await.unwrap();
        active
            .send_keys(&String::from(char::from(Key::Tab)))
            .await
            .unwrap();
        let (tag, kind, ring): (String, String, String) = browser
            .eval("const a = document.activeElement; return [a.tagName, a.type || '', getComputedStyle(a).boxShadow + ' ' + getComputedStyle(a).outlineStyle];")
            .await;
        stops.push(format!("{tag}:{kind}"));
        assert!(
            ring.contains("rgb"),
            "{tag} {kind} has no visible focus: {ring}"
        );
        if tag == "BUTTON" && kind == "submit" {
            browser
                .screenshot(&screenshot_dir().join("focus-submit-390.png"))
                .await;
            browser.close().await;
            return;
        }
    }
    panic!("Tab never reached the submit button: {stops:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_count_refreshes_from_json() {
    let base = serve().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/preview/campaign")).await;
    assert_eq!(
        browser.text("[data-live-count]").await.as_deref(),
        Some("1,234명")
    );
    let deadline = Instant::now() + Duration::from_secs(12);
    loop {
        if browser.text("[data-live-count]").await.as_deref() == Some("1,235명") {
            break;
        }
        assert!(Instant::now() < deadline, "live count never refreshed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_render_offline_from_vendored_swagger_ui() {
    let base = serve().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/docs")).await;
    let title = browser
        .client()
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".swagger-ui .info .title"))
        .await
        .expect("Swagger UI rendered");
    assert!(title.text().await.unwrap().contains("promo"));
    browser
        .client()
        .wait()
        .for_element(Locator::Css(".opblock"))
        .await
        .expect("operations listed");
    let foreign: Vec<String> = browser
        .eval("return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin));")
        .await;
    assert!(foreign.is_empty(), "loaded from elsewhere: {foreign:?}");
    let shots = browser
        .screenshot_widths(&format!("{base}/docs"), "docs", Some(".opblock"))
        .await;
    assert!(shots.iter().all(|p| p.exists()));
    browser.close().await;
}
