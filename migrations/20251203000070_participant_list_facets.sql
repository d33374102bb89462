-- The owner's filtered participant list at a million entrants: totals from a
-- handful of counter rows, pages from indexes, never a count over the campaign.

-- Entries per facet (channel, store visit, name initial), kept by the
-- participant projector in the same transaction as the rows, so a filtered
-- total (or a search by initial) sums a few counter rows. Channel and store
-- visit are fixed at registration; the initial changes only when personal
-- data is erased, and the erasure recounts the campaign's facets.
CREATE TABLE participant_facet_counts (
    campaign_id   uuid NOT NULL,
    channel       text NOT NULL,
    store_visited boolean NOT NULL,
    initial       text NOT NULL,
    total         bigint NOT NULL,
    PRIMARY KEY (campaign_id, channel, store_visited, initial)
);
INSERT INTO participant_facet_counts (campaign_id, channel, store_visited, initial, total)
SELECT campaign_id, channel, store_visited, left(name_masked, 1), count(*)
FROM participants GROUP BY 1, 2, 3, 4;

-- Winners are few: found (and counted) without walking the whole list, which
-- also gives `isWinner=false` its total (facet total minus winners).
CREATE INDEX participants_winners ON participants (campaign_id, participated_at DESC, participant_id DESC)
    WHERE is_winner;

-- Search by the last four phone digits, by the entry's sequence number (the
-- part after the last dash) and by a name's initial.
CREATE INDEX participants_phone_last4 ON participants (campaign_id, phone_last4);
CREATE INDEX participants_entry_sequence ON participants (campaign_id, split_part(entry_number, '-', 3));
CREATE INDEX participants_initial ON participants (campaign_id, left(name_masked, 1));

-- A page of one channel, newest first, read from its own range: a channel
-- with few entrants would otherwise walk the whole campaign's newest-first
-- index to find 20 of them.
CREATE INDEX participants_channel_newest
    ON participants (campaign_id, channel, participated_at DESC, participant_id DESC);
