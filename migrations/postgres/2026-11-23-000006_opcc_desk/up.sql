-- The OPCC's desk: a due date for each half's return, the finance role and its payments, claims
-- approved in part, unspent money offset against the next year, year-end indicator actuals, and
-- the identifiers 360Giving publishing needs.
ALTER TABLE fund_years RENAME COLUMN half_year_return_due TO first_half_return_due;
ALTER TABLE fund_years ADD COLUMN second_half_return_due DATE;
UPDATE fund_years SET second_half_return_due = final_report_due;
ALTER TABLE fund_years ALTER COLUMN second_half_return_due SET NOT NULL;

ALTER TABLE half_year_returns ADD COLUMN claim_approval_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    half_year_return_id BIGINT NOT NULL REFERENCES half_year_returns (id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    paid_on DATE NOT NULL,
    remittance_reference TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX payments_half_year_return_id ON payments (half_year_return_id);

ALTER TABLE final_reports ADD COLUMN offset_against BIGINT REFERENCES allocations (id);

CREATE TABLE final_report_indicator_actuals (
    id BIGSERIAL PRIMARY KEY,
    final_report_line_id BIGINT NOT NULL REFERENCES final_report_lines (id),
    plan_line_indicator_id BIGINT NOT NULL REFERENCES plan_line_indicators (id),
    actual TEXT NOT NULL,
    CONSTRAINT final_report_indicator_actuals_key UNIQUE (final_report_line_id, plan_line_indicator_id)
);
CREATE INDEX final_report_indicator_actuals_indicator ON final_report_indicator_actuals (plan_line_indicator_id);

ALTER TABLE partnerships ADD COLUMN org_id TEXT;

CREATE TABLE grant_publishing (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    funder_name TEXT NOT NULL,
    funder_org_id TEXT NOT NULL,
    grant_id_prefix TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'opcc_reviewer', 'opcc_finance', 'csp_manager', 'treasurer'));
ALTER TABLE api_clients DROP CONSTRAINT api_clients_role_check;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_role_check CHECK (role IN ('opcc_reviewer', 'opcc_finance', 'csp_manager', 'treasurer'));
ALTER TABLE history DROP CONSTRAINT history_action_check;
ALTER TABLE history ADD CONSTRAINT history_action_check CHECK (action IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated', 'payment-recorded')) NOT VALID;
ALTER TABLE history DROP CONSTRAINT history_actor_role_check;
ALTER TABLE history ADD CONSTRAINT history_actor_role_check CHECK (actor_role IN ('admin', 'opcc_reviewer', 'opcc_finance', 'csp_manager', 'treasurer')) NOT VALID;
