//! The pages of the real service over plain HTTP (no browser): console
//! sign-in and its cookie, the CSRF and origin checks on console posts, and
//! the customer's entry form as a plain form post (what a phone without
//! JavaScript sends). The browser walks through the same pages in `pages_e2e`.

use std::time::Duration;

use jsonwebtoken::{encode, EncodingKey, Header};
use promo_tests::{TestApp, TestEnv, JWT_SECRET};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::json;
use uuid::Uuid;

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Signs in through the login link; answers the `name=value` cookie pair.
async fn sign_in(app: &TestApp, owner: &str) -> String {
    let token = TestApp::token(owner);
    let response = client()
        .get(app.url(&format!("/console/login?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let set = header(&response, SET_COOKIE);
    set.split(';').next().unwrap().to_string()
}

/// The CSRF token a console page's forms carry.
async fn csrf(app: &TestApp, cookie: &str) -> String {
    let html = client()
        .get(app.url("/console/events/new"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[start..start + 64].to_string()
}

async fn campaigns_in_store(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM events WHERE aggregate_type = 'Campaign'")
        .await
}

#[tokio::test]
// One session's whole life, in order: the steps depend on each other.
async fn signing_in_sets_an_http_only_cookie_and_signing_out_clears_it() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let http = client();

    let signed_out = http.get(app.url("/console")).send().await.unwrap();
    assert_eq!(signed_out.status(), 303);
    assert_eq!(header(&signed_out, LOCATION), "/console/login");
    let page = http.get(app.url("/console/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("promo token --owner 사장님ID --login"));

    // A forged, and an expired, token: no cookie, the reason in Korean.
    let expired = encode(
        &Header::default(),
        &json!({"sub": "owner-1", "exp": chrono::Utc::now().timestamp() - 600}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    for bad in ["not-a-token".to_string(), expired] {
        let refused = http
            .get(app.url(&format!("/console/login?token={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        assert!(refused.headers().get(SET_COOKIE).is_none());
        assert!(refused
            .text()
            .await
            .unwrap()
            .contains("링크가 만료되었거나"));
    }

    let token = TestApp::token("owner-1");
    let login = http
        .get(app.url(&format!("/console/login?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(header(&login, LOCATION), "/console");
    let set = header(&login, SET_COOKIE);
    assert!(set.starts_with(&format!("promo_console={token};")), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let max_age: u64 = set
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("Max-Age");
    assert!(
        (3_500..=3_600).contains(&max_age),
        "the token's lifetime: {max_age}"
    );

    let cookie = format!("promo_console={token}");
    let console = http
        .get(app.url("/console"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 200);
    assert!(console.text().await.unwrap().contains("내 이벤트"));

    // A cookie signed with another secret is stale: cleared, back to sign-in.
    let forged = promo_api::auth::Auth::new("another-secret-0123456789")
        .issue("owner-1", Duration::from_secs(600));
    let stale = http
        .get(app.url("/console"))
        .header(COOKIE, format!("promo_console={forged}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 303);
    assert_eq!(header(&stale, LOCATION), "/console/login?expired=1");
    assert!(header(&stale, SET_COOKIE).contains("Max-Age=0"));

    // Signing out is a console form too: without the CSRF token it is refused.
    let refused = http
        .post(app.url("/console/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let csrf = csrf(&app, &cookie).await;
    let logout = http
        .post(app.url("/console/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert_eq!(header(&logout, LOCATION), "/console/login?signedOut=1");
    assert!(header(&logout, SET_COOKIE).contains("Max-Age=0"));
    app.stop().await;
}

#[tokio::test]
// Every refusal first, then the one accepted post: long by design.
async fn console_posts_need_the_sessions_csrf_token_and_our_origin() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let http = client();
    let owner = sign_in(&app, "owner-a").await;
    let other = sign_in(&app, "owner-b").await;
    let token = csrf(&app, &owner).await;
    let others_token = csrf(&app, &other).await;
    assert_ne!(token, others_token, "bound to the session");
    let draft = [
        ("objective", "신규 고객 유치"),
        ("storeName", "행복베이커리"),
        ("industry", "베이커리"),
        ("address", "서울 마포구 망원로 12"),
    ];
    let post = |csrf: Option<&str>, extra: Option<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, &str)> = draft.to_vec();
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        let mut request = http
            .post(app.url("/console/events"))
            .header(COOKIE, &owner)
            .form(&fields);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        request.send()
    };

    for (csrf, extra) in [
        (None, None),
        (Some(""), None),
        (Some(others_token.as_str()), None),
        (
            Some(token.as_str()),
            Some(("origin", "http://evil.example")),
        ),
        (Some(token.as_str()), Some(("sec-fetch-site", "cross-site"))),
    ] {
        let refused = post(csrf, extra).await.unwrap();
        assert_eq!(refused.status(), 403, "{csrf:?} {extra:?}");
        assert!(refused
            .text()
            .await
            .unwrap()
            .contains("요청을 처리하지 못했어요"));
    }
    assert_eq!(campaigns_in_store(&app).await, 0, "nothing was created");

    let origin = format!("http://{}", app.addr);
    let accepted = http
        .post(app.url("/console/events"))
        .header(COOKIE, &owner)
        .header("origin", &origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[draft.as_slice(), &[("csrf", token.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    let location = header(&accepted, LOCATION);
    let id: Uuid = location
        .strip_prefix("/console/events/")
        .and_then(|rest| rest.strip_suffix("/publish"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("to the publish form: {location}"));
    assert_eq!(campaigns_in_store(&app).await, 1);

    // Another owner's campaign is not theirs to see.
    let foreign = http
        .get(app.url(&format!("/console/events/{id}")))
        .header(COOKIE, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let mine = http
        .get(app.url(&location))
        .header(COOKIE, &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200);
    assert!(mine
        .text()
        .await
        .unwrap()
        .contains("규칙 확정하고 게시하기"));
    app.stop().await;
}

/// The entry form's fields, as the page posts them.
fn entry(name: &str, phone: &str) -> Vec<(&'static str, String)> {
    vec![
        ("channel", "INSTAGRAM".into()),
        ("name", name.into()),
        ("phoneNumber", phone.into()),
        ("agreePrivacy", "true".into()),
    ]
}

#[tokio::test]
// A customer's visit in order (enter, receipt, second try, mistakes).
async fn the_entry_form_works_as_a_plain_form_post() {
    let env = TestEnv::new().await;
    let app = TestApp::spawn(&env).await;
    let http = client();
    let draft = app.draft("owner-1").await;
    for hidden in [format!("/e/{draft}"), "/e/not-a-campaign".into()] {
        let missing = http.get(app.url(&hidden)).send().await.unwrap();
        assert_eq!(missing.status(), 404, "{hidden}");
        assert!(missing
            .text()
            .await
            .unwrap()
            .contains("이벤트를 찾을 수 없습니다"));
    }

    let id = app.active_campaign("owner-1").await;
    let page = |query: &'static str| {
        let url = app.url(&format!("/e/{id}{query}"));
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page("?ch=INSTAGRAM")
        .await
        .contains(r#"name="channel" value="INSTAGRAM""#));
    assert!(
        page("?ch=GINITV")
            .await
            .contains(r#"name="channel" value="URIDONGNETV""#),
        "a channel it was not published with: the first published one"
    );

    let entered = http
        .post(app.url(&format!("/e/{id}")))
        .form(&entry("김민수", "010-1234-5678"))
        .send()
        .await
        .unwrap();
    assert_eq!(entered.status(), 303);
    let done = header(&entered, LOCATION);
    assert!(done.starts_with(&format!("/e/{id}/done?")), "{done}");
    let receipt = http.get(app.url(&done)).send().await.unwrap();
    assert_eq!(receipt.status(), 200);
    let html = receipt.text().await.unwrap();
    assert!(html.contains("응모가 완료되었어요"));
    promo_tests::participants_projected(&app, id, 1).await;
    let (number, channel): (String, String) =
        sqlx::query_as("SELECT entry_number, channel FROM participants")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(channel, "INSTAGRAM");
    assert!(html.contains(&number), "{number} not on the page");
    assert!(html.contains("KT 멤버십 5,000P"), "the prize");

    let forged = done.replace("b=1", "b=3");
    let tampered = http.get(app.url(&forged)).send().await.unwrap();
    assert_eq!(tampered.status(), 303, "an unsigned receipt shows nothing");

    let again = http
        .post(app.url(&format!("/e/{id}")))
        .form(&entry("김민수", "01012345678"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let html = again.text().await.unwrap();
    assert!(html.contains("이미 참여하신 이벤트입니다"));
    assert!(
        html.contains(r#"value="김민수""#),
        "the form keeps what was typed"
    );

    let short = http
        .post(app.url(&format!("/e/{id}")))
        .form(&entry("김", "010-2222-3333"))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("이름을 2자 이상 입력해 주세요."));

    let result = page("/result").await;
    assert!(result.contains("아직 추첨 전이에요"));
    assert!(page("/check").await.contains(r#"name="entryNumber""#));
    app.stop().await;
}

#[tokio::test]
async fn too_many_entries_from_one_phone_come_back_as_the_form_in_korean() {
    let env = TestEnv::new().await;
    let mut config = env.config();
    config.rate_limits.per_phone_per_minute = 1;
    let app = TestApp::spawn_with(&env, config, promo_api::BuildOptions::default()).await;
    let id = app.active_campaign("owner-1").await;
    let http = client();
    let first = http
        .post(app.url(&format!("/e/{id}")))
        .form(&entry("김민수", "010-1234-5678"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    // The JSON door shares the phone's bucket.
    let (status, body) = app
        .enter(id, "김민수", "+82 10 1234 5678", "INSTAGRAM", false)
        .await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    let limited = http
        .post(app.url(&format!("/e/{id}")))
        .form(&entry("김민수", "010 1234 5678"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let html = limited.text().await.unwrap();
    assert!(html.contains("요청이 너무 많습니다"));
    assert!(html.contains(r#"value="010 1234 5678""#));
    app.stop().await;
}
