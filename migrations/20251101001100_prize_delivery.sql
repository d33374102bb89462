-- Prize delivery (issue 11): claims and substitution, the access log of
-- unmasked personal data, and delivery of notifications through the outbox.

-- Read model "prizes" (projector `prizes`): the claim period of each
-- published campaign and its current and former winners. Never holds a
-- name or phone number.
CREATE TABLE prize_campaigns (
    campaign_id      uuid PRIMARY KEY,
    announcement_at  timestamptz NOT NULL,
    claim_days       integer NOT NULL CHECK (claim_days > 0),
    -- The latest claim deadline of the campaign: announcement + claim days,
    -- later when an alternate was promoted with a claim period of its own.
    -- Retention counts from here.
    claims_close_at  timestamptz NOT NULL
);
CREATE INDEX prize_campaigns_claims_close ON prize_campaigns (claims_close_at);

CREATE TABLE prize_winners (
    campaign_id      uuid NOT NULL,
    participant_id   uuid NOT NULL,
    -- The prize rank held (or held until forfeited).
    rank             integer NOT NULL CHECK (rank > 0),
    -- Rank in the published draw record (an alternate's own rank when promoted).
    drawn_rank       integer NOT NULL CHECK (drawn_rank > 0),
    entry_number     text NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'CLAIMED', 'FORFEITED')),
    claim_deadline   timestamptz NOT NULL,
    won_at           timestamptz NOT NULL,
    promoted         boolean NOT NULL,
    claimed_at       timestamptz,
    forfeited_at     timestamptz,
    forfeit_cause    text,
    forfeit_reason   text,
    PRIMARY KEY (campaign_id, participant_id)
);
-- The claim deadline job's scan.
CREATE INDEX prize_winners_pending ON prize_winners (claim_deadline) WHERE status = 'PENDING';

CREATE TABLE prize_unawarded (
    campaign_id   uuid NOT NULL,
    rank          integer NOT NULL,
    unawarded_at  timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, rank)
);

-- Read model "access_log" (projector `access_log`): every look at unmasked
-- personal data, from PersonalDataAccessed. Ids only.
CREATE TABLE personal_data_access_log (
    access_id        uuid PRIMARY KEY,
    campaign_id      uuid NOT NULL,
    accessed_by      text NOT NULL,
    action           text NOT NULL,
    participant_ids  uuid[] NOT NULL,
    accessed_at      timestamptz NOT NULL
);
CREATE INDEX personal_data_access_log_campaign ON personal_data_access_log (campaign_id, accessed_at);

-- The notifications table becomes the delivery outbox.
-- Delivery status, written by the notifications projector from
-- NotificationSent / NotificationFailed: RECORDED (kept only: no gateway
-- configured when it was recorded), PENDING (to be sent), SENT, FAILED.
-- Rows recorded before this migration stay RECORDED and are never sent.
ALTER TABLE notifications
    ADD COLUMN delivery_status text NOT NULL DEFAULT 'RECORDED'
        CHECK (delivery_status IN ('RECORDED', 'PENDING', 'SENT', 'FAILED')),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_attempt_at timestamptz,
    ADD COLUMN last_error text,
    ADD COLUMN sent_at timestamptz,
    -- Written by the delivery job only: when to try next, and whether it
    -- has nothing left to do for this row.
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN dispatched boolean NOT NULL DEFAULT true;
CREATE INDEX notifications_outbox ON notifications (next_attempt_at NULLS FIRST, id) WHERE NOT dispatched;
