-- Campaign secrets are wrapped by a master key kept outside the database
-- (eventstore/src/secrets/master_key.rs): the columns hold nonce ‖ AES-256-GCM
-- ciphertext (60 bytes), and key_id names the master key that wrapped them.
-- Rows from before (key_id NULL, 32 plaintext bytes) are wrapped by the service
-- at start and on first read.
ALTER TABLE campaign_secrets DROP CONSTRAINT IF EXISTS campaign_secrets_draw_seed_check;
ALTER TABLE campaign_secrets DROP CONSTRAINT IF EXISTS campaign_secrets_data_secret_check;
ALTER TABLE campaign_secrets ADD COLUMN key_id text;
