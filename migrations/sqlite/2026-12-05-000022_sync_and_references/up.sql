-- Sync: every row a client can list carries the revision of its last change, drawn from one
-- counter under SQLite's write lock, so revisions follow commit order and a
-- client paging by change never passes over a change committed after it read.
-- External references: the finance system's own id for a payment, a partnership, an allocation.
ALTER TABLE payments ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE payments SET updated_at = recorded_at;
ALTER TABLE payments ADD COLUMN external_reference TEXT;
ALTER TABLE partnerships ADD COLUMN external_reference TEXT;
ALTER TABLE allocations ADD COLUMN external_reference TEXT;
CREATE TABLE sync_revisions (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO sync_revisions (id, last) VALUES (1, 0);
ALTER TABLE partnerships ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE partnerships SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM partnerships), 0);
CREATE INDEX partnerships_revision ON partnerships (revision);
ALTER TABLE users ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE users SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM users), 0);
CREATE INDEX users_revision ON users (revision);
ALTER TABLE api_clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE api_clients SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM api_clients), 0);
CREATE INDEX api_clients_revision ON api_clients (revision);
ALTER TABLE priority_sets ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE priority_sets SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM priority_sets), 0);
CREATE INDEX priority_sets_revision ON priority_sets (revision);
ALTER TABLE fund_years ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE fund_years SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM fund_years), 0);
CREATE INDEX fund_years_revision ON fund_years (revision);
ALTER TABLE allocations ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE allocations SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM allocations), 0);
CREATE INDEX allocations_revision ON allocations (revision);
ALTER TABLE plans ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE plans SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM plans), 0);
CREATE INDEX plans_revision ON plans (revision);
ALTER TABLE half_year_returns ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE half_year_returns SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM half_year_returns), 0);
CREATE INDEX half_year_returns_revision ON half_year_returns (revision);
ALTER TABLE final_reports ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE final_reports SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM final_reports), 0);
CREATE INDEX final_reports_revision ON final_reports (revision);
ALTER TABLE commissioning_papers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE commissioning_papers SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM commissioning_papers), 0);
CREATE INDEX commissioning_papers_revision ON commissioning_papers (revision);
ALTER TABLE payments ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE payments SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM payments), 0);
CREATE INDEX payments_revision ON payments (revision);
ALTER TABLE webhook_subscriptions ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_subscriptions SET revision = id + (SELECT last FROM sync_revisions);
UPDATE sync_revisions SET last = last + COALESCE((SELECT MAX(id) FROM webhook_subscriptions), 0);
CREATE INDEX webhook_subscriptions_revision ON webhook_subscriptions (revision);
-- Writing the revision does not fire the update trigger again (the WHEN), nor recursively.
CREATE TRIGGER partnerships_revision_insert AFTER INSERT ON partnerships
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE partnerships SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER partnerships_revision_update AFTER UPDATE ON partnerships WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE partnerships SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER users_revision_insert AFTER INSERT ON users
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE users SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER users_revision_update AFTER UPDATE ON users WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE users SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER api_clients_revision_insert AFTER INSERT ON api_clients
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE api_clients SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER api_clients_revision_update AFTER UPDATE ON api_clients WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE api_clients SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER priority_sets_revision_insert AFTER INSERT ON priority_sets
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE priority_sets SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER priority_sets_revision_update AFTER UPDATE ON priority_sets WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE priority_sets SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER fund_years_revision_insert AFTER INSERT ON fund_years
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE fund_years SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER fund_years_revision_update AFTER UPDATE ON fund_years WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE fund_years SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER allocations_revision_insert AFTER INSERT ON allocations
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE allocations SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER allocations_revision_update AFTER UPDATE ON allocations WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE allocations SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER plans_revision_insert AFTER INSERT ON plans
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE plans SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER plans_revision_update AFTER UPDATE ON plans WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE plans SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER half_year_returns_revision_insert AFTER INSERT ON half_year_returns
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE half_year_returns SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER half_year_returns_revision_update AFTER UPDATE ON half_year_returns WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE half_year_returns SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER final_reports_revision_insert AFTER INSERT ON final_reports
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE final_reports SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER final_reports_revision_update AFTER UPDATE ON final_reports WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE final_reports SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER commissioning_papers_revision_insert AFTER INSERT ON commissioning_papers
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE commissioning_papers SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER commissioning_papers_revision_update AFTER UPDATE ON commissioning_papers WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE commissioning_papers SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER payments_revision_insert AFTER INSERT ON payments
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE payments SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER payments_revision_update AFTER UPDATE ON payments WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE payments SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER webhook_subscriptions_revision_insert AFTER INSERT ON webhook_subscriptions
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE webhook_subscriptions SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
CREATE TRIGGER webhook_subscriptions_revision_update AFTER UPDATE ON webhook_subscriptions WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE sync_revisions SET last = last + 1;
    UPDATE webhook_subscriptions SET revision = (SELECT last FROM sync_revisions) WHERE id = NEW.id;
END;
