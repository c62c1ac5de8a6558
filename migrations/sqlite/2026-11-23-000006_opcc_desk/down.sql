DROP TRIGGER history_action_insert_check;
CREATE TRIGGER history_action_insert_check BEFORE INSERT ON history
    WHEN NEW.action IS NOT NULL AND NEW.action NOT IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: action');
END;

DROP TRIGGER history_actor_role_insert_check;
CREATE TRIGGER history_actor_role_insert_check BEFORE INSERT ON history
    WHEN NEW.actor_role IS NOT NULL AND NEW.actor_role NOT IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: actor_role');
END;

-- SQLite cannot alter a CHECK: rebuild the two tables under their own names, so the tables that
-- refer to them are untouched; references are checked at commit (defer_foreign_keys), when every
-- row is back.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_before AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')),
    partnership_id BIGINT REFERENCES partnerships (id),
    active BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    -- partnership roles belong to exactly one partnership; OPCC roles to none
    CHECK ((role IN ('csp_manager', 'treasurer')) = (partnership_id IS NOT NULL))
);
CREATE INDEX users_partnership_id ON users (partnership_id);
INSERT INTO users SELECT * FROM users_before;
DROP TABLE users_before;
CREATE TABLE api_clients_before AS SELECT * FROM api_clients;
DROP TABLE api_clients;
CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('opcc_reviewer', 'csp_manager', 'treasurer')),
    partnership_id BIGINT REFERENCES partnerships (id),
    secret_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT api_clients_client_id_key UNIQUE (client_id),
    CHECK ((role IN ('csp_manager', 'treasurer')) = (partnership_id IS NOT NULL))
);
CREATE INDEX api_clients_partnership_id ON api_clients (partnership_id);
INSERT INTO api_clients SELECT * FROM api_clients_before;
DROP TABLE api_clients_before;

DROP TABLE grant_publishing;
ALTER TABLE partnerships DROP COLUMN org_id;
DROP TABLE final_report_indicator_actuals;
ALTER TABLE final_reports DROP COLUMN offset_against;
DROP TABLE payments;
ALTER TABLE half_year_returns DROP COLUMN claim_approval_reason;
ALTER TABLE fund_years DROP COLUMN second_half_return_due;
ALTER TABLE fund_years RENAME COLUMN first_half_return_due TO half_year_return_due;
