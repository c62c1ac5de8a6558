ALTER TABLE partnerships DROP COLUMN version;
ALTER TABLE users DROP COLUMN version;
ALTER TABLE api_clients DROP COLUMN version;
ALTER TABLE priority_sets DROP COLUMN version;
ALTER TABLE fund_years DROP COLUMN version;
ALTER TABLE allocations DROP COLUMN version;
ALTER TABLE grant_publishing DROP COLUMN version;
ALTER TABLE webhook_subscriptions DROP COLUMN version;
