-- Verifiable winner draws (draw/v1): draw evidence, the draw log read model,
-- and what the notifications projector needs to notify winners.

-- The draw reads its frozen entrant list from the event store (the source of
-- truth, never a read model that may lag): every ParticipantRegistered of the
-- campaign. This index makes that one read per draw a range scan instead of a
-- scan of every participation of every campaign.
CREATE INDEX events_registrations_by_campaign
    ON events ((payload -> 'ParticipantRegistered' ->> 'campaignId'))
    WHERE aggregate_type = 'Participation';

-- The canonical entrant list text of a draw, written by the API before the
-- Draw aggregate is asked to record the draw. Content-addressed: the key
-- includes SHA-256 of the text, so the row a WinnersDrawn event points at
-- (by its listHash) is always exactly the list that was hashed, whatever
-- concurrent or failed attempts stored next to it. Pseudonymous ids and
-- weights only: published by GET /events/{id}/draw/entrants for `verify`.
CREATE TABLE draw_entrant_lists (
    campaign_id uuid NOT NULL,
    list_hash   text NOT NULL CHECK (list_hash ~ '^[0-9a-f]{64}$'),
    list_text   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, list_hash)
);

-- Draw log (seed 004 draw_logs, plus everything needed to verify the draw).
-- Built only by the `draws` projector from WinnersDrawn.
CREATE TABLE draw_logs (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    draw_id                 uuid NOT NULL UNIQUE,
    campaign_id             uuid NOT NULL UNIQUE,
    total_participants      bigint NOT NULL,
    winner_count            integer NOT NULL CHECK (winner_count > 0),
    apply_store_visit_bonus boolean NOT NULL,
    algorithm               text NOT NULL CHECK (algorithm IN ('RANDOM', 'WEIGHTED')),
    drawn_at                timestamptz NOT NULL,
    drawn_by                text NOT NULL,
    protocol_version        text NOT NULL,
    commitment              text NOT NULL,
    server_seed             text NOT NULL,
    list_hash               text NOT NULL,
    seed                    text NOT NULL,
    params                  text NOT NULL,
    -- The whole recorded draw (the WinnersDrawn payload): ranked winners and
    -- alternates with participant ids and entry numbers, no personal data.
    record                  jsonb NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (total_participants >= winner_count)
);
CREATE INDEX draw_logs_drawn_at ON draw_logs (drawn_at);

-- What the notifications projector keeps from each registration so it can
-- notify a winner later from its own tables: the masked recipient and the
-- entry number.
CREATE TABLE notification_participants (
    campaign_id      uuid NOT NULL,
    participant_id   uuid NOT NULL,
    recipient_masked text NOT NULL,
    entry_number     text NOT NULL,
    PRIMARY KEY (campaign_id, participant_id)
);
