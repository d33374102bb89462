-- The owner's campaign list (GET /api/v1/events), newest first.
CREATE INDEX campaigns_by_owner ON campaigns (owner_id, created_at DESC, campaign_id DESC);
