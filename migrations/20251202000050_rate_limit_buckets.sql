-- Abuse limits shared by every API instance on this database (api/src/abuse/shared.rs): one
-- token bucket per key (a keyed hash of a client IP or phone number, never the plaintext).
-- Unlogged: losing the buckets in a crash only refills them.
CREATE UNLOGGED TABLE rate_limit_buckets (
    key bytea PRIMARY KEY,
    tokens double precision NOT NULL,
    updated_at timestamptz NOT NULL,
    allowed boolean NOT NULL
);
