-- Sync: every row a client can list carries the revision of its last change, drawn from one
-- counter whose row stays locked until the writer commits, so revisions follow commit order and a
-- client paging by change never passes over a change committed after it read.
-- External references: the finance system's own id for a payment, a partnership, an allocation.
ALTER TABLE payments ADD COLUMN updated_at TIMESTAMP;
UPDATE payments SET updated_at = recorded_at;
ALTER TABLE payments ALTER COLUMN updated_at SET NOT NULL;
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
-- The counter's row stays locked until commit, so no two transactions draw revisions at once.
CREATE FUNCTION take_sync_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sync_revisions SET last = last + 1 RETURNING last INTO NEW.revision;
    RETURN NEW;
END
$$;
CREATE TRIGGER partnerships_revision BEFORE INSERT OR UPDATE ON partnerships FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER users_revision BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER api_clients_revision BEFORE INSERT OR UPDATE ON api_clients FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER priority_sets_revision BEFORE INSERT OR UPDATE ON priority_sets FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER fund_years_revision BEFORE INSERT OR UPDATE ON fund_years FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER allocations_revision BEFORE INSERT OR UPDATE ON allocations FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER plans_revision BEFORE INSERT OR UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER half_year_returns_revision BEFORE INSERT OR UPDATE ON half_year_returns FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER final_reports_revision BEFORE INSERT OR UPDATE ON final_reports FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER commissioning_papers_revision BEFORE INSERT OR UPDATE ON commissioning_papers FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER payments_revision BEFORE INSERT OR UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
CREATE TRIGGER webhook_subscriptions_revision BEFORE INSERT OR UPDATE ON webhook_subscriptions FOR EACH ROW EXECUTE FUNCTION take_sync_revision();
