-- When each participant row became visible: commit → read-model lag,
-- measured by `promo bench` and useful when diagnosing a slow projector.
ALTER TABLE participants ADD COLUMN projected_at timestamptz NOT NULL DEFAULT clock_timestamp();
