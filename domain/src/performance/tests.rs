//! Given/when/then tests of the performance rules, and the rate arithmetic.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type PerformanceTest = TestFramework<CampaignPerformance>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 0, 0, 0).unwrap()
}

fn id() -> Uuid {
    Uuid::from_u128(42)
}

fn costs() -> Costs {
    Costs {
        prize_cost: 500_000,
        content_cost: 200_000,
        operation_cost: 100_000,
        distribution_cost: 200_000,
        expected_revenue: 3_500_000,
        sales_growth_rate_bp: 1_550,
    }
}

fn record_costs(costs: Costs) -> PerformanceCommand {
    PerformanceCommand::RecordCosts {
        campaign_id: id(),
        costs,
        recorded_at: t0(),
    }
}

fn costs_recorded(costs: Costs) -> PerformanceEvent {
    PerformanceEvent::CostsRecorded {
        campaign_id: id(),
        costs,
        recorded_at: t0(),
    }
}

fn tv(expected_views: i64) -> DistributedChannel {
    DistributedChannel {
        channel: Channel::Uridongnetv,
        channel_type: "TV".into(),
        status: "SUCCESS".into(),
        expected_views,
    }
}

fn distribution(channels: Vec<DistributedChannel>) -> PerformanceCommand {
    PerformanceCommand::RecordDistribution {
        campaign_id: id(),
        distributed_channels: channels,
        completed_at: t0(),
    }
}

fn distributed(channels: Vec<DistributedChannel>) -> PerformanceEvent {
    PerformanceEvent::DistributionCompleted {
        campaign_id: id(),
        distributed_channels: channels,
        completed_at: t0(),
    }
}

fn counts(views: i64) -> ChannelCounts {
    ChannelCounts {
        impressions: views * 4,
        views,
        clicks: views / 10,
        likes: 3,
        comments: 2,
        shares: 1,
    }
}

fn stats(views: i64, at: DateTime<Utc>) -> PerformanceCommand {
    PerformanceCommand::RecordChannelStats {
        campaign_id: id(),
        channel: Channel::Instagram,
        counts: counts(views),
        observed_at: at,
    }
}

fn observed(views: i64, at: DateTime<Utc>) -> PerformanceEvent {
    PerformanceEvent::ChannelStatsObserved {
        campaign_id: id(),
        channel: Channel::Instagram,
        counts: counts(views),
        observed_at: at,
    }
}

#[test]
fn costs_are_recorded() {
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(record_costs(costs()))
        .then_expect_events(vec![costs_recorded(costs())]);
}

#[test]
fn new_costs_replace_old_ones_and_identical_costs_record_nothing() {
    let changed = Costs {
        prize_cost: 600_000,
        ..costs()
    };
    PerformanceTest::with(())
        .given(vec![costs_recorded(costs())])
        .when(record_costs(changed))
        .then_expect_events(vec![costs_recorded(changed)]);
    PerformanceTest::with(())
        .given(vec![costs_recorded(costs())])
        .when(record_costs(costs()))
        .then_expect_events(vec![]);
}

#[test]
fn negative_or_huge_amounts_are_refused() {
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(record_costs(Costs {
            content_cost: -1,
            ..costs()
        }))
        .then_expect_error(PerformanceError::NegativeAmount("contentCost"));
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(record_costs(Costs {
            expected_revenue: MAX_AMOUNT_KRW + 1,
            ..costs()
        }))
        .then_expect_error(PerformanceError::AmountTooLarge("expectedRevenue"));
}

#[test]
fn sales_growth_must_be_plausible() {
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(record_costs(Costs {
            sales_growth_rate_bp: -10_001,
            ..costs()
        }))
        .then_expect_error(PerformanceError::SalesGrowthOutOfRange);
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(record_costs(Costs {
            sales_growth_rate_bp: -500,
            ..costs()
        }))
        .then_expect_events(vec![costs_recorded(Costs {
            sales_growth_rate_bp: -500,
            ..costs()
        })]);
}

#[test]
fn a_command_for_another_campaign_is_refused() {
    PerformanceTest::with(())
        .given(vec![costs_recorded(costs())])
        .when(PerformanceCommand::RecordCosts {
            campaign_id: Uuid::from_u128(7),
            costs: costs(),
            recorded_at: t0(),
        })
        .then_expect_error(PerformanceError::CampaignMismatch);
}

#[test]
fn a_distribution_is_recorded_once() {
    let mut padded = tv(5_000);
    padded.channel_type = "  TV ".into();
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(distribution(vec![padded]))
        .then_expect_events(vec![distributed(vec![tv(5_000)])]);
    PerformanceTest::with(())
        .given(vec![distributed(vec![tv(5_000)])])
        .when(distribution(vec![tv(5_000)]))
        .then_expect_events(vec![]);
}

#[test]
fn a_distribution_needs_distinct_channels_and_valid_fields() {
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(distribution(vec![]))
        .then_expect_error(PerformanceError::NoChannels);
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(distribution(vec![tv(1), tv(2)]))
        .then_expect_error(PerformanceError::DuplicateChannel(Channel::Uridongnetv));
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(distribution(vec![tv(-1)]))
        .then_expect_error(PerformanceError::InvalidCount("expectedViews"));
    let mut blank = tv(1);
    blank.status = " ".into();
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(distribution(vec![blank]))
        .then_expect_error(PerformanceError::InvalidLabel("status"));
}

#[test]
fn channel_stats_record_only_newer_changed_observations() {
    let t1 = t0() + Duration::minutes(5);
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(stats(100, t0()))
        .then_expect_events(vec![observed(100, t0())]);
    PerformanceTest::with(())
        .given(vec![observed(100, t0())])
        .when(stats(150, t1))
        .then_expect_events(vec![observed(150, t1)]);
    // Unchanged counters, or an observation older than the last, add nothing.
    PerformanceTest::with(())
        .given(vec![observed(100, t0())])
        .when(stats(100, t1))
        .then_expect_events(vec![]);
    PerformanceTest::with(())
        .given(vec![observed(150, t1)])
        .when(stats(100, t0()))
        .then_expect_events(vec![]);
}

#[test]
fn negative_channel_counters_are_refused() {
    PerformanceTest::with(())
        .given_no_previous_events()
        .when(PerformanceCommand::RecordChannelStats {
            campaign_id: id(),
            channel: Channel::Naver,
            counts: ChannelCounts {
                clicks: -3,
                ..ChannelCounts::default()
            },
            observed_at: t0(),
        })
        .then_expect_error(PerformanceError::InvalidCount("clicks"));
}

#[test]
fn roi_and_rates_are_exact_basis_points() {
    // (3,500,000 − 1,000,000) / 1,000,000 × 100 = 250 %.
    assert_eq!(roi_bp(3_500_000, costs().total_cost()), Some(25_000));
    assert_eq!(roi_bp(500, 1_000), Some(-5_000));
    assert_eq!(roi_bp(1_000, 0), None);
    // 1/3 = 33.33 %, 2/3 = 66.67 % (half away from zero), −2/3 = −66.67 %.
    assert_eq!(percent_bp(1, 3), Some(3_333));
    assert_eq!(percent_bp(2, 3), Some(6_667));
    assert_eq!(percent_bp(-2, 3), Some(-6_667));
    assert_eq!(percent_bp(7, 0), None);
    assert_eq!(percent_bp(MAX_AMOUNT_KRW, 1), Some(MAX_AMOUNT_KRW * 10_000));
}

#[test]
fn events_have_the_documented_wire_shape() {
    let json = serde_json::to_value(costs_recorded(costs())).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"CostsRecorded": {
            "campaignId": id(), "prizeCost": 500_000, "contentCost": 200_000,
            "operationCost": 100_000, "distributionCost": 200_000,
            "expectedRevenue": 3_500_000, "salesGrowthRateBp": 1_550,
            "recordedAt": "2025-10-20T00:00:00Z"
        }})
    );
    let back: PerformanceEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, costs_recorded(costs()));
    let json = serde_json::to_value(observed(10, t0())).unwrap();
    assert_eq!(json["ChannelStatsObserved"]["channel"], "INSTAGRAM");
    assert_eq!(json["ChannelStatsObserved"]["impressions"], 40);
    let back: PerformanceEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, observed(10, t0()));
    let json = serde_json::to_value(distributed(vec![tv(5)])).unwrap();
    assert_eq!(
        json["DistributionCompleted"]["distributedChannels"][0],
        serde_json::json!({"channel": "URIDONGNETV", "channelType": "TV", "status": "SUCCESS", "expectedViews": 5})
    );
}
