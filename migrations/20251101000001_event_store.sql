-- The event store (source of truth), in postgres-es's column layout plus a
-- global commit-order position. postgres-es names its insert columns, so the
-- extra defaulted columns are invisible to it.
CREATE TABLE events (
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence >= 0),
    event_type     text   NOT NULL,
    event_version  text   NOT NULL,
    payload        jsonb  NOT NULL,
    metadata       jsonb  NOT NULL,
    -- Order of insertion, unique, but NOT commit order: a transaction can
    -- take position 10 and commit after another took 11.
    position       bigint GENERATED ALWAYS AS IDENTITY,
    -- The writing transaction. The relay only reads rows whose transaction
    -- is below the oldest still-running one (pg_snapshot_xmin), so no row can
    -- appear later "behind" its cursor. See docs/ARCHITECTURE.md.
    transaction_id xid8   NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_global_order ON events (transaction_id, position);

-- The relay's cursor: the last (transaction_id, position) confirmed by JetStream.
CREATE TABLE relay_cursor (
    id             smallint PRIMARY KEY CHECK (id = 1),
    transaction_id xid8   NOT NULL,
    position       bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO relay_cursor (id, transaction_id, position) VALUES (1, '0', 0);

-- One checkpoint per projector, written in the same transaction as its
-- read-model changes.
CREATE TABLE projector_checkpoints (
    projector      text PRIMARY KEY,
    transaction_id xid8   NOT NULL,
    position       bigint NOT NULL,
    -- JetStream sequence of the message that carried `position`; a restarted
    -- projector resumes its consumer right after it. 0 = unknown.
    stream_sequence bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Per-campaign secrets, never published: the draw's server seed (revealed
-- only at the draw) and the root secret of the personal-data keys (destroyed
-- to crypto-shred a campaign's names and phone numbers).
CREATE TABLE campaign_secrets (
    campaign_id  uuid PRIMARY KEY,
    draw_seed    bytea NOT NULL CHECK (length(draw_seed) = 32),
    data_secret  bytea CHECK (length(data_secret) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    shredded_at  timestamptz
);

-- Hi/lo blocks for per-campaign, per-day entry numbers.
CREATE TABLE entry_number_blocks (
    campaign_id uuid NOT NULL,
    day         date NOT NULL,
    next_value  integer NOT NULL,
    PRIMARY KEY (campaign_id, day)
);

-- Participation log (seed 000): time, channel and device of every attempt.
CREATE TABLE participation_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempted_at timestamptz NOT NULL,
    campaign_id  uuid,
    channel      text,
    user_agent   text,
    outcome      text NOT NULL
);
CREATE INDEX participation_attempts_campaign ON participation_attempts (campaign_id, attempted_at);
