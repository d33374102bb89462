//! The wired prize screens in a real browser: the store QR page, the owner's
//! winners with contacts shown (the access logged) and a claim recorded, and
//! a winner checking their entry on `/e/{id}/check`. Screenshots at 390 and
//! 1280 px under `target/screenshots/`.

use std::time::Duration;

use fantoccini::Locator;
use promo_tests::browser::{screenshot_dir, Browser, BrowserOptions, DESKTOP, PHONE};
use promo_tests::{eventually, participants_projected, TestApp, TestEnv};
use serde_json::json;

use crate::prize_support::{drawn_campaign, people, recorded, OWNER};

const WAIT: Duration = Duration::from_secs(30);

/// Screenshots of the page as it is (a POST's answer: no reload).
async fn shoot_here(browser: &Browser, name: &str) {
    for size in [DESKTOP, PHONE] {
        browser.resize(size).await;
        browser
            .screenshot(&screenshot_dir().join(format!("{name}-{}.png", size.0)))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sees_contacts_and_records_a_claim_and_the_winner_checks_it() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let entrants = people(4);
    let rules = json!({"winnerCount": 2, "channels": ["KAKAO", "STORE_QR"]});
    let (id, drawn, _) = drawn_campaign(&app, rules, &entrants).await;
    participants_projected(&app, id, 4).await;
    let browser = Browser::start_with(BrowserOptions {
        javascript: true,
        size: DESKTOP,
    })
    .await;
    let c = browser.client();
    let token = TestApp::token(OWNER);
    browser
        .goto(&app.url(&format!("/console/login?token={token}")))
        .await;

    let qr = app.url(&format!("/console/events/{id}/store-qr"));
    browser
        .screenshot_widths(&qr, "e2e-store-qr", Some("svg"))
        .await;
    let html = c.source().await.unwrap();
    assert!(
        html.contains("ch=STORE_QR&amp;t=") || html.contains("ch=STORE_QR&t="),
        "{html}"
    );

    let winners = app.url(&format!("/console/events/{id}/winners"));
    browser.goto(&winners).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".winner-card"))
        .await
        .unwrap();
    let contacts = c
        .find(Locator::XPath("//button[contains(., '연락처 보기')]"))
        .await
        .unwrap();
    contacts.click().await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".banner-warning"))
        .await
        .unwrap();
    let page = c.source().await.unwrap();
    let (first_name, first_phone) = {
        let number = drawn["winners"][0]["entryNumber"].as_str().unwrap();
        let i = (1..=entrants.len())
            .find(|i| number.ends_with(&format!("-{i:03}")))
            .unwrap();
        entrants[i - 1].clone()
    };
    assert!(
        page.contains(&first_name) && page.contains(&first_phone),
        "full contacts shown"
    );
    shoot_here(&browser, "e2e-winners-contacts").await;
    assert_eq!(recorded(&app, "PersonalDataAccessed").await.len(), 1);

    // Claim the first winner: back on the page with a banner.
    browser.goto(&winners).await;
    c.find(Locator::XPath("//button[contains(., '수령 완료로 표시')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//*[contains(., '수령 완료로 기록했어요')]"))
        .await
        .unwrap();

    // The winner checks on their phone.
    let number = drawn["winners"][0]["entryNumber"]
        .as_str()
        .unwrap()
        .to_string();
    browser.goto(&app.url(&format!("/e/{id}/check"))).await;
    let field = c.find(Locator::Id("phoneNumber")).await.unwrap();
    field.send_keys(&first_phone).await.unwrap();
    let field = c.find(Locator::Id("entryNumber")).await.unwrap();
    field.send_keys(&number).await.unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually(WAIT, "the check result", || async {
        let html = c.source().await.unwrap();
        (html.contains("1등에 당첨") && html.contains("수령 완료")).then_some(())
    })
    .await;
    shoot_here(&browser, "e2e-check-winner").await;
    browser.close().await;
    app.stop().await;
}
