//! The real service (`TestApp`: Postgres, NATS, projectors) driven through its
//! pages in headless Chromium, as a customer on a phone and as a shop owner on
//! a laptop. Key screens are saved at 390 and 1280 px under
//! `target/screenshots/e2e-*.png` for people to look at. One browser per test;
//! every wait is bounded.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use promo_tests::browser::{screenshot_dir, Browser, BrowserOptions, DESKTOP, PHONE};
use promo_tests::{participants_projected, TestApp, TestEnv};
use uuid::Uuid;

/// Longest wait for anything the service or the browser does.
const WAIT: Duration = Duration::from_secs(30);

async fn wait_for(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

async fn fill(c: &Client, id: &str, value: &str) {
    let input = c.find(Locator::Id(id)).await.expect(id);
    input.clear().await.expect(id);
    input.send_keys(value).await.expect(id);
}

async fn click(c: &Client, css: &str) {
    wait_for(c, css).await.click().await.expect(css);
}

/// Polls the text of `css` (reloading with `reload`) until `done` says yes.
async fn wait_text(
    browser: &Browser,
    css: &str,
    reload: Option<&str>,
    done: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(url) = reload {
            browser.goto(url).await;
        }
        let text = browser.text(css).await.unwrap_or_default();
        if done(&text) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} still reads {text:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The page as it is (e.g. the answer to a form post) at phone and desktop
/// width; ends at phone width.
async fn shoot_here(browser: &Browser, name: &str) {
    for size in [DESKTOP, PHONE] {
        browser.resize(size).await;
        browser
            .screenshot(&screenshot_dir().join(format!("{name}-{}.png", size.0)))
            .await;
    }
}

/// No sideways scrolling at the current width.
async fn fits(browser: &Browser, what: &str) {
    let (scroll, width): (u32, u32) = browser
        .eval("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    assert!(
        scroll <= width,
        "{what}: {scroll}px wide in a {width}px window"
    );
}

async fn enter_on_the_form(c: &Client, name: &str, phone: &str) {
    fill(c, "name", name).await;
    fill(c, "phoneNumber", phone).await;
    let privacy = c
        .find(Locator::Css("input[name=agreePrivacy]"))
        .await
        .unwrap();
    if privacy.prop("checked").await.unwrap().as_deref() != Some("true") {
        privacy.click().await.unwrap();
    }
    click(c, "form.form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_enters_on_a_phone_and_a_second_try_is_refused_in_korean() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let id = app.active_campaign("owner-1").await;
    let event_url = app.url(&format!("/e/{id}?ch=INSTAGRAM"));
    let browser = Browser::start().await;
    let c = browser.client();
    browser
        .screenshot_widths(&event_url, "e2e-event", Some("form.form"))
        .await;

    // (a) On a 390 px phone: the form, filled in and sent; the entry number.
    browser.resize(PHONE).await;
    browser.goto(&event_url).await;
    let width: u32 = browser.eval("return window.innerWidth;").await;
    assert_eq!(width, 390);
    fits(&browser, "event page").await;
    enter_on_the_form(c, "김민수", "010-1234-5678").await;
    let number = wait_for(c, ".entry-number").await.text().await.unwrap();
    let parts: Vec<&str> = number.split('-').collect();
    assert!(
        parts.len() == 3 && parts[0].starts_with("EVT") && parts[1].len() == 8,
        "entry number {number}"
    );
    let done_url = c.current_url().await.unwrap().to_string();
    assert!(done_url.contains("/done?"), "{done_url}");
    fits(&browser, "completion page").await;
    browser
        .screenshot_widths(&done_url, "e2e-complete", Some(".entry-number"))
        .await;
    participants_projected(&app, id, 1).await;
    let (entered, channel): (String, String) =
        sqlx::query_as("SELECT entry_number, channel FROM participants")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (entered.as_str(), channel.as_str()),
        (number.as_str(), "INSTAGRAM")
    );

    // (b) The same phone again: PART_001 in Korean, at the form, input kept.
    browser.resize(PHONE).await;
    browser.goto(&event_url).await;
    enter_on_the_form(c, "김민수", "01012345678").await;
    let banner = wait_for(c, "#form-error").await;
    assert!(banner
        .text()
        .await
        .unwrap()
        .contains("이미 참여하신 이벤트입니다"));
    let inline = c.find(Locator::Id("phoneNumber-error")).await.unwrap();
    assert!(inline.is_displayed().await.unwrap());
    assert_eq!(inline.text().await.unwrap(), "이 번호로 이미 참여했어요.");
    let phone = c.find(Locator::Id("phoneNumber")).await.unwrap();
    assert_eq!(
        phone.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    fits(&browser, "refused entry").await;
    shoot_here(&browser, "e2e-duplicate").await;
    assert_eq!(
        app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Participation'")
            .await,
        1
    );
    browser.close().await;
    app.stop().await;
}

/// Five customers of different channels, two from the store.
const ENTRANTS: [(&str, &str, &str, bool); 5] = [
    ("김민수", "010-1111-0001", "INSTAGRAM", false),
    ("이영희", "010-1111-0002", "INSTAGRAM", true),
    ("박철수", "010-1111-0003", "KAKAO", false),
    ("최지우", "010-1111-0004", "STORE_QR", true),
    ("정하늘", "010-1111-0005", "NAVER", false),
];

/// Signs in with the login link, creates and publishes a campaign with the
/// forms; answers its id.
async fn create_and_publish(browser: &Browser, app: &TestApp) -> Uuid {
    let c = browser.client();
    let token = TestApp::token("owner-e2e");
    browser
        .goto(&app.url(&format!("/console/login?token={token}")))
        .await;
    wait_for(c, ".empty").await;
    assert!(c.current_url().await.unwrap().path().ends_with("/console"));
    browser
        .screenshot_widths(&app.url("/console"), "e2e-console-empty", Some(".empty"))
        .await;

    click(c, ".empty a.btn").await;
    wait_for(c, "#objective")
        .await
        .select_by_value("재방문 유도")
        .await
        .unwrap();
    fill(c, "storeName", "행복베이커리 망원점").await;
    fill(c, "industry", "베이커리").await;
    fill(c, "address", "서울 마포구 망원로 12").await;
    click(c, "main form.form button[type=submit]").await;

    wait_for(c, "#title").await;
    shoot_here(browser, "e2e-console-publish").await;
    fill(c, "title", "연말 감사 경품 이벤트").await;
    fill(c, "prize", "홀케이크 교환권").await;
    fill(c, "winnerCount", "2").await;
    fill(c, "targetParticipants", "20").await;
    click(c, "main form.form-page > button[type=submit]").await;
    wait_for(c, "[data-live-count]").await;
    let path = c.current_url().await.unwrap().path().to_string();
    path.rsplit('/').next().unwrap().parse().expect(&path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// One owner's campaign from sign-in to the dashboard: each step needs the last.
async fn an_owner_runs_a_campaign_from_the_console() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let browser = Browser::start_with(BrowserOptions {
        javascript: true,
        size: DESKTOP,
    })
    .await;
    let c = browser.client();
    let id = create_and_publish(&browser, &app).await;
    let overview = app.url(&format!("/console/events/{id}"));
    assert_eq!(
        browser.text("[data-live-count]").await.as_deref(),
        Some("0명")
    );

    // Entries arrive while the overview is open: the count follows without a reload.
    app.owned_by(id, "owner-e2e");
    for (name, phone, channel, visited) in ENTRANTS {
        let (status, body) = app.enter(id, name, phone, channel, visited).await;
        assert_eq!(status, 201, "{body}");
    }
    wait_text(&browser, "[data-live-count]", None, |t| t == "5명").await;
    browser
        .screenshot_widths(&overview, "e2e-console-campaign", Some("[data-live-count]"))
        .await;
    let participants = app.url(&format!("/console/events/{id}/participants"));
    browser
        .screenshot_widths(&participants, "e2e-console-participants", Some(".p-item"))
        .await;
    assert_eq!(
        c.find_all(Locator::Css("table.table tbody tr"))
            .await
            .unwrap()
            .len(),
        5
    );

    // End, then draw, with the console's buttons.
    browser.goto(&overview).await;
    click(c, &format!("a[href='/console/events/{id}/end']")).await;
    click(c, "button.btn-danger").await;
    wait_for(c, &format!("form[action='/console/events/{id}/draw']")).await;
    click(c, "main form.form button[type=submit]").await;
    wait_for(c, ".banner-success").await;
    let draw = app.url(&format!("/console/events/{id}/draw"));
    browser
        .screenshot_widths(&draw, "e2e-console-draw", Some(".banner-success"))
        .await;
    assert!(browser
        .text("pre.cmd")
        .await
        .unwrap()
        .starts_with("promo verify http://"));

    let winners = app.url(&format!("/console/events/{id}/winners"));
    browser
        .screenshot_widths(&winners, "e2e-console-winners", Some(".winner-card"))
        .await;
    let cards = c.find_all(Locator::Css(".winner-card .who")).await.unwrap();
    assert_eq!(cards.len(), 2);
    for card in cards {
        let who = card.text().await.unwrap();
        assert!(
            who.contains("**") && who.contains("010-****-"),
            "masked: {who}"
        );
    }

    // Costs in, ROI out: (600,000 − 200,000) ÷ 200,000 = 200%.
    let analytics = app.url(&format!("/console/events/{id}/analytics"));
    browser.goto(&analytics).await;
    for (field, value) in [
        ("prizeCost", "100000"),
        ("contentCost", "50000"),
        ("operationCost", "30000"),
        ("distributionCost", "20000"),
        ("expectedRevenue", "600000"),
        ("salesGrowthRate", "12.5"),
    ] {
        fill(c, field, value).await;
    }
    click(c, "form[action$='/costs'] button[type=submit]").await;
    wait_for(c, ".banner-success").await;
    wait_text(&browser, ".stat-grid", Some(&analytics), |t| {
        t.contains("200%")
    })
    .await;
    let charts = c.find_all(Locator::Css("figure svg")).await.unwrap();
    assert_eq!(charts.len(), 2, "channel bars and hourly trend");
    let chart_text: String = browser
        .eval("return document.querySelector('figure svg').textContent;")
        .await;
    assert!(chart_text.contains("인스타그램"), "{chart_text}");
    browser
        .screenshot_widths(&analytics, "e2e-console-analytics", Some("figure svg"))
        .await;

    // What the customers see after the draw.
    browser
        .screenshot_widths(
            &app.url(&format!("/e/{id}/result")),
            "e2e-result",
            Some(".winner-list"),
        )
        .await;
    assert_eq!(
        c.find_all(Locator::Css(".winner-item"))
            .await
            .unwrap()
            .len(),
        2
    );

    // The owner's list: the campaign, drawn, with its count.
    let list = app.url("/console");
    wait_text(&browser, ".campaign-item", Some(&list), |t| {
        t.contains("추첨 완료") && t.contains("5명")
    })
    .await;
    browser
        .screenshot_widths(&list, "e2e-console-list", Some(".campaign-item"))
        .await;

    browser.goto(&overview).await;
    click(c, "form[action='/console/logout'] button").await;
    wait_for(c, ".banner-success").await;
    browser.goto(&overview).await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    browser.close().await;
    app.stop().await;
}
