-- Every column holding one of the service's closed sets of words refuses any other word.
-- History entries are immutable and hash-chained, so its checks bind new entries only.

ALTER TABLE plans ADD CONSTRAINT plans_status_check CHECK (status IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted'));
ALTER TABLE half_year_returns ADD CONSTRAINT half_year_returns_status_check CHECK (status IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted'));
ALTER TABLE final_reports ADD CONSTRAINT final_reports_status_check CHECK (status IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted'));
ALTER TABLE signatures ADD CONSTRAINT signatures_document_kind_check CHECK (document_kind IN ('plan', 'half_year_return', 'final_report'));
ALTER TABLE document_versions ADD CONSTRAINT document_versions_document_kind_check CHECK (document_kind IN ('plan', 'half_year_return', 'final_report'));
ALTER TABLE history ADD CONSTRAINT history_action_check CHECK (action IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated')) NOT VALID;
ALTER TABLE history ADD CONSTRAINT history_actor_role_check CHECK (actor_role IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')) NOT VALID;
ALTER TABLE history ADD CONSTRAINT history_from_state_check CHECK (from_state IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')) NOT VALID;
ALTER TABLE history ADD CONSTRAINT history_to_state_check CHECK (to_state IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')) NOT VALID;
