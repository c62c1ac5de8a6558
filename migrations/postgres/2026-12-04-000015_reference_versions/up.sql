-- Every resource that can change has a version, its ETag: a change names the version it was made
-- against (If-Match), so that of two admins editing a grant at once the second is told.
ALTER TABLE partnerships ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE api_clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE priority_sets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE fund_years ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE allocations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE grant_publishing ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE webhook_subscriptions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
