//! Sample view models for every page, filled like a real small shop's
//! promotion, so the preview shows each page in each of its states.

use axum::response::Response;
use chrono::{DateTime, Duration, TimeZone, Utc};
use promo_api::pages::console::{
    AnalyticsPage, AnalyticsSummary, CampaignHeader, CampaignPage, CampaignRow, CampaignsPage,
    ChannelRow, CostsForm, CreateDraftPage, DraftForm, DrawPage, DrawRecord, DrawRules, EndPage,
    HourRow, ParticipantFilter, ParticipantRow, ParticipantsPage, PublishForm, PublishPage,
    PublishedInfo, RoiBlock, SignInPage, StoreQrPage, WinnerRow, WinnersPage,
};
use promo_api::pages::customer::{
    entry_errors, CheckForm, CheckOutcome, CheckPage, EntryCompletePage, EntryForm, EventInfo,
    EventPage, EventPhase, PublicDraw, PublicWinner, ResultPage,
};
use promo_api::pages::view::{
    Banner, CampaignState, ClaimStatus, FormErrors, NotificationStatus, Tone,
};
use promo_api::pages::{render, MessagePage};
use promo_domain::channel::Channel;
use uuid::Uuid;

pub const EVENT_ID: Uuid = Uuid::from_u128(0x7d9f0c1e_3b2a_4c6d_9e8f_1a2b3c4d5e6f);
pub const CSRF: &str = "csrf-sample-token";
/// The preview's entry handler answers this number with `PART_001`.
pub const TAKEN_PHONE: &str = "010-0000-0000";

/// Korean wall-clock time → UTC.
fn kst(month: u32, day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, min, 0)
        .unwrap()
        - Duration::hours(9)
}

pub fn event() -> EventInfo {
    EventInfo {
        event_id: EVENT_ID,
        store_name: "행복베이커리 망원점".into(),
        title: "연말 감사 경품 이벤트".into(),
        prize: "생크림 홀케이크 교환권 (2호)".into(),
        starts_at: kst(12, 1, 10, 0),
        ends_at: kst(12, 14, 23, 59),
        announcement_at: kst(12, 16, 12, 0),
        winner_count: 5,
        visit_bonus: true,
    }
}

pub fn event_page(
    phase: EventPhase,
    token: bool,
    form: EntryForm,
    errors: FormErrors,
) -> EventPage {
    EventPage {
        event: event(),
        phase,
        channel: Some(if token {
            Channel::StoreQr
        } else {
            Channel::Instagram
        }),
        store_visit_token: token.then(|| "sv_4f7c2a9e1b".to_string()),
        form,
        errors,
    }
}

pub fn duplicate_entry(form: EntryForm) -> EventPage {
    let errors = entry_errors(&event(), "PART_001", "이미 참여하신 이벤트입니다");
    event_page(EventPhase::Open, false, form, errors)
}

pub fn complete(bonus_entries: u32) -> EntryCompletePage {
    EntryCompletePage {
        event: event(),
        entry_number: "EVT7D9F-20261201-042".into(),
        entrant_id: Some("3f9a1c2b7d4e8f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718".into()),
        bonus_entries,
    }
}

fn check(outcome: Option<CheckOutcome>) -> CheckPage {
    CheckPage {
        event: event(),
        form: CheckForm {
            phone_number: if outcome.is_some() {
                "010-2345-6789".into()
            } else {
                String::new()
            },
            entry_number: if outcome.is_some() {
                "EVT7D9F-20261201-042".into()
            } else {
                String::new()
            },
        },
        outcome,
        errors: FormErrors::none(),
    }
}

fn draw() -> PublicDraw {
    let names = [
        ("김**", "1234"),
        ("이**", "5678"),
        ("박**", "9012"),
        ("최**", "3456"),
        ("정**", "7890"),
    ];
    PublicDraw {
        drawn_at: kst(12, 16, 12, 0),
        total_entrants: 1_284,
        weighted: true,
        seed_commitment: "c0ffee5d1a7e4b9f8e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899".into(),
        winners: names
            .iter()
            .enumerate()
            .map(|(i, (name, tail))| PublicWinner {
                rank: i as u32 + 1,
                name: (*name).into(),
                phone_number: format!("010-****-{tail}"),
                entry_number: format!("EVT7D9F-202612{:02}-{:03}", 1 + i * 3, 17 + i * 41),
                claim_status: match i {
                    0 | 2 => ClaimStatus::Claimed,
                    _ => ClaimStatus::Pending,
                },
            })
            .collect(),
        draw_url: format!("https://promo.example.kr/api/v1/events/{EVENT_ID}/draw"),
        entrants_url: Some(format!(
            "https://promo.example.kr/api/v1/events/{EVENT_ID}/draw/entrants"
        )),
    }
}

fn header(state: CampaignState) -> CampaignHeader {
    CampaignHeader {
        event_id: EVENT_ID,
        title: if state == CampaignState::Draft {
            String::new()
        } else {
            event().title
        },
        store_name: event().store_name,
        state,
    }
}

fn published() -> PublishedInfo {
    let e = event();
    PublishedInfo {
        prize: e.prize,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        announcement_at: e.announcement_at,
        winner_count: 5,
        visit_bonus: true,
        alternate_count: 5,
        claim_days: 7,
        channels: Channel::ALL.to_vec(),
        target_participants: Some(2_000),
        seed_commitment: "c0ffee5d1a7e4b9f8e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899".into(),
    }
}

fn campaign(state: CampaignState) -> CampaignPage {
    CampaignPage {
        csrf: CSRF.into(),
        campaign: header(state),
        objective: "재방문 유도".into(),
        industry: "베이커리".into(),
        address: "서울 마포구 망원로 12".into(),
        published: (state != CampaignState::Draft).then(published),
        participants: 1_234,
        public_base_url: "https://promo.example.kr".into(),
    }
}

fn participants(rows: bool) -> ParticipantsPage {
    let channels = [
        Channel::Instagram,
        Channel::StoreQr,
        Channel::Kakao,
        Channel::Uridongnetv,
        Channel::Naver,
    ];
    let surnames = ["김", "이", "박", "최", "정", "강", "조", "윤"];
    ParticipantsPage {
        csrf: CSRF.into(),
        campaign: header(CampaignState::Drawn),
        filter: ParticipantFilter::default(),
        rows: if !rows {
            Vec::new()
        } else {
            (0..8)
                .map(|i| ParticipantRow {
                    entry_number: format!("EVT7D9F-20261214-{:03}", 120 - i),
                    name: format!("{}**", surnames[i % surnames.len()]),
                    phone_number: format!("010-****-{:04}", 1234 + i * 1111),
                    channel: channels[i % channels.len()],
                    store_visited: channels[i % channels.len()] == Channel::StoreQr,
                    bonus_entries: if channels[i % channels.len()] == Channel::StoreQr {
                        3
                    } else {
                        1
                    },
                    participated_at: kst(12, 14, 21, 0) - Duration::minutes(i as i64 * 17),
                    winner_rank: (i == 2).then_some(3),
                })
                .collect()
        },
        total_count: if rows { 1_284 } else { 0 },
        page: 1,
        size: 20,
    }
}

/// A QR-looking picture (finder squares and noise): sample data, not a scannable code.
pub fn fake_qr() -> String {
    let n = 29;
    let mut d = String::new();
    let finder = |x: usize, y: usize| {
        let near = |a: usize, o: usize| a >= o && a < o + 7;
        [(0, 0), (n - 7, 0), (0, n - 7)]
            .iter()
            .find_map(|&(ox, oy)| {
                (near(x, ox) && near(y, oy)).then(|| {
                    let (dx, dy) = (x - ox, y - oy);
                    let ring = dx == 0 || dy == 0 || dx == 6 || dy == 6;
                    let core = (2..=4).contains(&dx) && (2..=4).contains(&dy);
                    ring || core
                })
            })
    };
    let mut seed: u32 = 0x2f6b_1d3a;
    for y in 0..n {
        for x in 0..n {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let dark = finder(x, y).unwrap_or(seed >> 31 == 1);
            if dark {
                d.push_str(&format!("M{} {}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" shape-rendering="crispEdges"><rect width="{s}" height="{s}" fill="#fff"/><path fill="#191f28" d="{d}"/></svg>"##,
        s = n + 8
    )
}

fn winners(contacts: bool) -> WinnersPage {
    let full = [
        ("김민수", "010-2345-1234"),
        ("이서연", "010-8765-5678"),
        ("박지훈", "010-3456-9012"),
        ("최유나", "010-5678-3456"),
        ("정하늘", "010-6789-7890"),
    ];
    // Without contacts: rank 5 forfeited with no alternate left; rank 4 is a promoted alternate.
    let shown = if contacts { full.len() } else { 4 };
    let rows = full[..shown]
        .iter()
        .enumerate()
        .map(|(i, (name, phone))| WinnerRow {
            rank: i as u32 + 1,
            participant_id: format!("p-{i}"),
            entry_number: format!("EVT7D9F-202612{:02}-{:03}", 1 + i * 3, 17 + i * 41),
            name: if contacts {
                (*name).into()
            } else {
                format!("{}**", &name[..3])
            },
            phone_number: if contacts {
                (*phone).into()
            } else {
                format!("010-****-{}", &phone[9..])
            },
            claim_status: match i {
                0 | 2 => ClaimStatus::Claimed,
                _ => ClaimStatus::Pending,
            },
            notification: match i {
                1 => NotificationStatus::Failed,
                3 => NotificationStatus::Pending,
                _ => NotificationStatus::Sent,
            },
            promoted: i == 3,
        })
        .collect();
    WinnersPage {
        csrf: CSRF.into(),
        campaign: header(CampaignState::Drawn),
        drawn: true,
        claim_deadline: Some(kst(12, 23, 12, 0)),
        winners: rows,
        unawarded_ranks: if contacts { Vec::new() } else { vec![5] },
        contacts_shown: contacts,
        pii_erased: false,
        notice: (!contacts).then(|| {
            Banner::new(Tone::Success, "4등이 대체 당첨자로 바뀌었어요")
                .with_detail("최** 님에게 당첨 알림톡을 보내는 중이에요.")
        }),
    }
}

fn analytics() -> AnalyticsPage {
    let per_channel = [
        (Channel::Instagram, 412, 0, 18_400, 9_100, 1_240),
        (Channel::StoreQr, 356, 356, 0, 0, 0),
        (Channel::Kakao, 221, 12, 6_300, 3_900, 610),
        (Channel::Uridongnetv, 148, 31, 42_000, 0, 0),
        (Channel::Naver, 97, 4, 5_200, 2_800, 330),
        (Channel::Ginitv, 41, 2, 12_500, 0, 0),
        (Channel::Ringobiz, 9, 0, 900, 420, 60),
    ];
    let hourly = [3, 8, 21, 34, 40, 28, 19, 45, 62, 71, 55, 30, 12, 4];
    let mut total = 0;
    let timeline = hourly
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6) // an hour without entries is missing from the read model
        .map(|(i, &p)| {
            total += p;
            HourRow {
                hour: kst(12, 14, 9, 0) + Duration::hours(i as i64),
                participants: p,
                cumulative_participants: total + 800,
            }
        })
        .collect();
    AnalyticsPage {
        csrf: CSRF.into(),
        campaign: header(CampaignState::Active),
        summary: AnalyticsSummary {
            participants: 1_284,
            target_participants: Some(2_000),
            achievement_rate: Some(64.2),
            impressions: 85_300,
            roi: Some(87.5),
            sales_growth_rate: Some(12.5),
        },
        channels: per_channel
            .iter()
            .map(
                |&(channel, participants, store_visits, impressions, views, clicks)| ChannelRow {
                    channel,
                    participants,
                    store_visits,
                    impressions,
                    views,
                    clicks,
                    conversion_rate: (impressions > 0)
                        .then(|| participants as f64 * 100.0 / impressions as f64),
                },
            )
            .collect(),
        timeline,
        roi: RoiBlock {
            total_cost: 800_000,
            expected_revenue: 1_500_000,
            roi: Some(87.5),
        },
        costs: CostsForm {
            prize_cost: "250000".into(),
            content_cost: "300000".into(),
            operation_cost: "100000".into(),
            distribution_cost: "150000".into(),
            expected_revenue: "1500000".into(),
            sales_growth_rate: "12.5".into(),
        },
        errors: FormErrors::none(),
        updated_at: Some(kst(12, 14, 22, 5)),
        prizes: promo_api::routes::analytics::PrizeSummary {
            winners: 3,
            claimed: 2,
            pending: 1,
            forfeited: 1,
            unawarded: 0,
        },
    }
}

/// The page called `name` in the preview, or `None`.
pub fn page(name: &str) -> Option<Response> {
    let filled = EntryForm {
        name: "김민수".into(),
        phone_number: "010-2345-6789".into(),
        agree_privacy: true,
        ..EntryForm::default()
    };
    let at = kst(12, 16, 12, 0);
    Some(match name {
        "event" => render(&event_page(
            EventPhase::Open,
            false,
            EntryForm::default(),
            FormErrors::none(),
        )),
        "event-store" => render(&event_page(
            EventPhase::Open,
            true,
            EntryForm {
                store_visited: true,
                ..EntryForm::default()
            },
            FormErrors::none(),
        )),
        "event-invalid" => render(&event_page(
            EventPhase::Open,
            false,
            EntryForm {
                name: "김".into(),
                phone_number: "010-12".into(),
                ..EntryForm::default()
            },
            entry_errors(
                &event(),
                "VALIDATION_ERROR",
                "phoneNumber: not a Korean mobile number",
            )
            .with_field("name", "이름을 2자 이상 입력해 주세요.")
            .with_field(
                "agreePrivacy",
                "개인정보 수집·이용에 동의해야 참여할 수 있어요.",
            ),
        )),
        "event-duplicate" => render(&duplicate_entry(filled)),
        "event-rate-limited" => render(&event_page(
            EventPhase::Open,
            false,
            filled,
            entry_errors(&event(), "RATE_LIMITED", ""),
        )),
        "event-not-started" => render(&event_page(
            EventPhase::NotStarted,
            false,
            EntryForm::default(),
            FormErrors::none(),
        )),
        "event-ended" => render(&event_page(
            EventPhase::Ended,
            false,
            EntryForm::default(),
            FormErrors::none(),
        )),
        "complete" => render(&complete(3)),
        "check" => render(&check(None)),
        "check-before-draw" => render(&check(Some(CheckOutcome::NotDrawnYet))),
        "check-winner" => render(&check(Some(CheckOutcome::Winner {
            rank: 2,
            claim_status: ClaimStatus::Pending,
            claim_deadline: Some(kst(12, 23, 12, 0)),
        }))),
        "check-not-winner" => render(&check(Some(CheckOutcome::NotWinner {
            in_entrant_list: true,
        }))),
        "check-not-found" => render(&check(Some(CheckOutcome::NotFound))),
        "result-before" => render(&ResultPage {
            event: event(),
            draw: None,
        }),
        "result" => render(&ResultPage {
            event: event(),
            draw: Some(draw()),
        }),
        "not-found" => render(&MessagePage::event_not_found()),
        "sign-in" => render(&SignInPage::default()),
        "campaigns-empty" => render(&CampaignsPage {
            csrf: CSRF.into(),
            campaigns: Vec::new(),
            total_count: 0,
            page: 1,
            size: 20,
        }),
        "campaigns" => render(&CampaignsPage {
            csrf: CSRF.into(),
            campaigns: vec![
                CampaignRow {
                    event_id: EVENT_ID,
                    title: event().title,
                    store_name: event().store_name,
                    state: CampaignState::Active,
                    starts_at: Some(event().starts_at),
                    ends_at: Some(event().ends_at),
                    participants: 1_234,
                },
                CampaignRow {
                    event_id: Uuid::from_u128(2),
                    title: String::new(),
                    store_name: event().store_name,
                    state: CampaignState::Draft,
                    starts_at: None,
                    ends_at: None,
                    participants: 0,
                },
                CampaignRow {
                    event_id: Uuid::from_u128(3),
                    title: "신메뉴 출시 기념 시식 이벤트".into(),
                    store_name: event().store_name,
                    state: CampaignState::Scheduled,
                    starts_at: Some(kst(12, 20, 9, 0)),
                    ends_at: Some(kst(12, 31, 21, 0)),
                    participants: 0,
                },
                CampaignRow {
                    event_id: Uuid::from_u128(4),
                    title: "가을 리뷰 이벤트".into(),
                    store_name: event().store_name,
                    state: CampaignState::Drawn,
                    starts_at: Some(kst(10, 1, 9, 0)),
                    ends_at: Some(kst(10, 31, 21, 0)),
                    participants: 862,
                },
                CampaignRow {
                    event_id: Uuid::from_u128(5),
                    title: "추석 선물세트 경품".into(),
                    store_name: event().store_name,
                    state: CampaignState::Ended,
                    starts_at: Some(kst(9, 1, 9, 0)),
                    ends_at: Some(kst(9, 20, 21, 0)),
                    participants: 15_402,
                },
            ],
            total_count: 5,
            page: 1,
            size: 20,
        }),
        "create" => render(&CreateDraftPage {
            csrf: CSRF.into(),
            form: DraftForm::default(),
            errors: FormErrors::none(),
        }),
        "create-invalid" => render(&CreateDraftPage {
            csrf: CSRF.into(),
            form: DraftForm {
                objective: "재방문 유도".into(),
                ..DraftForm::default()
            },
            errors: FormErrors::from_api("EVENT_002", "매장 정보가 누락되었습니다")
                .with_field("storeName", "매장 이름을 입력해 주세요."),
        }),
        "publish" => render(&PublishPage {
            csrf: CSRF.into(),
            campaign: header(CampaignState::Draft),
            objective: "재방문 유도".into(),
            form: PublishForm {
                title: event().title,
                prize: event().prize,
                ..PublishForm::default()
            },
            errors: FormErrors::none(),
        }),
        "campaign" => render(&campaign(CampaignState::Active)),
        "campaign-draft" => render(&campaign(CampaignState::Draft)),
        "participants" => render(&participants(true)),
        "participants-empty" => render(&participants(false)),
        "store-qr" => render(&StoreQrPage {
            csrf: CSRF.into(),
            campaign: header(CampaignState::Active),
            prize: event().prize,
            entry_url: format!(
                "https://promo.example.kr/e/{EVENT_ID}?ch=STORE_QR&sv=sv_4f7c2a9e1b"
            ),
            qr_svg: fake_qr(),
            visit_bonus: true,
        }),
        "end" => render(&EndPage {
            csrf: CSRF.into(),
            campaign: header(CampaignState::Active),
            ends_at: event().ends_at,
            participants: 1_234,
            errors: FormErrors::none(),
        }),
        "draw" | "draw-record" => render(&DrawPage {
            csrf: CSRF.into(),
            campaign: header(if name == "draw" {
                CampaignState::Ended
            } else {
                CampaignState::Drawn
            }),
            participants: 1_284,
            rules: DrawRules {
                winner_count: 5,
                visit_bonus: true,
                alternate_count: 5,
                claim_days: 7,
            },
            record: (name == "draw-record").then(|| DrawRecord {
                drawn_at: at,
                algorithm: "WEIGHTED".into(),
                protocol_version: "draw/v2".into(),
                total_entrants: 1_284,
                seed_commitment: draw().seed_commitment,
                server_seed: "5e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
                    .into(),
                entrant_list_hash:
                    "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b".into(),
                seed: "1122334455667788990011223344556677889900aabbccddeeff001122334455".into(),
                draw_url: draw().draw_url,
                entrants_url: draw().entrants_url,
                result_url: format!("/e/{EVENT_ID}/result"),
            }),
            errors: FormErrors::none(),
        }),
        "winners" => render(&winners(false)),
        "winners-contacts" => render(&winners(true)),
        "analytics" => render(&analytics()),
        _ => return None,
    })
}

/// Every page name, in the order screenshots are taken.
pub const PAGES: &[&str] = &[
    "event",
    "event-store",
    "event-invalid",
    "event-duplicate",
    "event-rate-limited",
    "event-not-started",
    "event-ended",
    "complete",
    "check",
    "check-before-draw",
    "check-winner",
    "check-not-winner",
    "check-not-found",
    "result-before",
    "result",
    "not-found",
    "sign-in",
    "campaigns-empty",
    "campaigns",
    "create",
    "create-invalid",
    "publish",
    "campaign",
    "campaign-draft",
    "participants",
    "participants-empty",
    "store-qr",
    "end",
    "draw",
    "draw-record",
    "winners",
    "winners-contacts",
    "analytics",
];
