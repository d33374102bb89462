-- Read models, built only by projectors from JetStream (or by replay).

CREATE TABLE campaigns (
    campaign_id         uuid PRIMARY KEY,
    owner_id            text NOT NULL,
    objective           text NOT NULL,
    store_name          text NOT NULL,
    industry            text NOT NULL,
    address             text NOT NULL,
    status              text NOT NULL,
    title               text,
    prize               text,
    starts_at           timestamptz,
    ends_at             timestamptz,
    announcement_at     timestamptz,
    winner_count        integer,
    channels            jsonb NOT NULL DEFAULT '[]',
    target_participants integer,
    seed_commitment     text,
    created_at          timestamptz NOT NULL,
    published_at        timestamptz,
    ended_at            timestamptz
);

CREATE TABLE participants (
    campaign_id      uuid NOT NULL,
    participant_id   uuid NOT NULL,
    pid              text NOT NULL,
    entry_number     text NOT NULL,
    -- Masked at projection time; the plaintext exists only sealed in events.
    name_masked      text NOT NULL,
    phone_masked     text NOT NULL,
    phone_last4      text NOT NULL,
    channel          text NOT NULL,
    store_visited    boolean NOT NULL,
    bonus_entries    integer NOT NULL CHECK (bonus_entries BETWEEN 1 AND 3),
    agree_marketing  boolean NOT NULL,
    participated_at  timestamptz NOT NULL,
    is_winner        boolean NOT NULL DEFAULT false,
    winner_rank      integer CHECK (winner_rank IS NULL OR winner_rank > 0),
    won_at           timestamptz,
    PRIMARY KEY (campaign_id, participant_id),
    UNIQUE (campaign_id, pid)
);
CREATE INDEX participants_newest ON participants (campaign_id, participated_at DESC, participant_id DESC);
CREATE INDEX participants_entry_number ON participants (campaign_id, entry_number);

-- Totals kept by the participant projector so the list's unfiltered count
-- is one row read, not a count(*) over a million rows.
CREATE TABLE participant_counts (
    campaign_id uuid PRIMARY KEY,
    total       bigint NOT NULL
);

-- Notifications handed to the sender (KakaoTalk 알림톡 in production). The
-- unique key makes "once per entry" hold across redelivery and restarts.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     uuid NOT NULL,
    participant_id  uuid NOT NULL,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    message         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, participant_id, kind)
);

-- What the notifications projector needs to word its messages.
CREATE TABLE notification_campaigns (
    campaign_id     uuid PRIMARY KEY,
    store_name      text NOT NULL,
    title           text,
    announcement_at timestamptz
);
