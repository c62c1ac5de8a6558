ALTER TABLE history DROP CONSTRAINT history_actor_role_check;
ALTER TABLE history ADD CONSTRAINT history_actor_role_check CHECK (actor_role IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')) NOT VALID;
ALTER TABLE history DROP CONSTRAINT history_action_check;
ALTER TABLE history ADD CONSTRAINT history_action_check CHECK (action IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated')) NOT VALID;
ALTER TABLE api_clients DROP CONSTRAINT api_clients_role_check;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_role_check CHECK (role IN ('opcc_reviewer', 'csp_manager', 'treasurer'));
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer'));

DROP TABLE grant_publishing;
ALTER TABLE partnerships DROP COLUMN org_id;
DROP TABLE final_report_indicator_actuals;
ALTER TABLE final_reports DROP COLUMN offset_against;
DROP TABLE payments;
ALTER TABLE half_year_returns DROP COLUMN claim_approval_reason;
ALTER TABLE fund_years DROP COLUMN second_half_return_due;
ALTER TABLE fund_years RENAME COLUMN first_half_return_due TO half_year_return_due;
