-- Crypto-shredding and retention (PIPA): when a campaign's personal data was
-- erased, kept on the campaign read model so the retention task skips it.
ALTER TABLE campaigns ADD COLUMN personal_data_erased_at timestamptz;
-- The retention task's scan: published, not yet erased campaigns by announcement.
CREATE INDEX campaigns_retention ON campaigns (announcement_at)
    WHERE personal_data_erased_at IS NULL AND announcement_at IS NOT NULL;
