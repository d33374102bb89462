-- Analytics read model (projector "analytics"): the owner's dashboard,
-- built only from events (ParticipantRegistered, CampaignPublished,
-- WinnersDrawn and the CampaignPerformance events). Money in whole won,
-- percentages in basis points (1 bp = 0.01 %).

CREATE TABLE analytics_campaigns (
    campaign_id                 uuid PRIMARY KEY,
    target_participants         bigint NOT NULL DEFAULT 0,
    participants                bigint NOT NULL DEFAULT 0,
    store_visits                bigint NOT NULL DEFAULT 0,
    bonus_entries               bigint NOT NULL DEFAULT 0,
    winners_drawn               bigint,
    prize_cost                  bigint,
    content_cost                bigint,
    operation_cost              bigint,
    distribution_cost           bigint,
    expected_revenue            bigint,
    sales_growth_rate_bp        bigint,
    costs_recorded_at           timestamptz,
    distribution_completed_at   timestamptz,
    -- Time of the last event applied (event time, so a replay gives the same value).
    updated_at                  timestamptz NOT NULL
);

CREATE TABLE analytics_channels (
    campaign_id             uuid NOT NULL,
    channel                 text NOT NULL,
    -- Named when the campaign was published (shown even with no entries yet).
    published               boolean NOT NULL DEFAULT false,
    participants            bigint NOT NULL DEFAULT 0,
    store_visits            bigint NOT NULL DEFAULT 0,
    bonus_entries           bigint NOT NULL DEFAULT 0,
    -- From the latest DistributionCompleted that names the channel.
    channel_type            text,
    distribution_status     text,
    expected_views          bigint,
    -- From the latest ChannelStatsObserved (NULL until the channel reports).
    impressions             bigint,
    views                   bigint,
    clicks                  bigint,
    likes                   bigint,
    comments                bigint,
    shares                  bigint,
    observed_at             timestamptz,
    PRIMARY KEY (campaign_id, channel)
);

-- Entries per hour, the hour taken in Korean time (KST, UTC+9) and stored
-- as the instant the hour starts. Cumulative counts are summed at query time.
CREATE TABLE analytics_hourly (
    campaign_id     uuid NOT NULL,
    hour            timestamptz NOT NULL,
    participants    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour)
);
