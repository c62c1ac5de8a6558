-- Every column holding one of the service's closed sets of words refuses any other word.
-- SQLite cannot add a CHECK to an existing table: triggers refuse the same writes.

CREATE TRIGGER plans_status_insert_check BEFORE INSERT ON plans
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER plans_status_update_check BEFORE UPDATE OF status ON plans
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER half_year_returns_status_insert_check BEFORE INSERT ON half_year_returns
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER half_year_returns_status_update_check BEFORE UPDATE OF status ON half_year_returns
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER final_reports_status_insert_check BEFORE INSERT ON final_reports
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER final_reports_status_update_check BEFORE UPDATE OF status ON final_reports
    WHEN NEW.status IS NOT NULL AND NEW.status NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: status');
END;

CREATE TRIGGER signatures_document_kind_insert_check BEFORE INSERT ON signatures
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;

CREATE TRIGGER signatures_document_kind_update_check BEFORE UPDATE OF document_kind ON signatures
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;

CREATE TRIGGER document_versions_document_kind_insert_check BEFORE INSERT ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;

CREATE TRIGGER document_versions_document_kind_update_check BEFORE UPDATE OF document_kind ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;

CREATE TRIGGER history_action_insert_check BEFORE INSERT ON history
    WHEN NEW.action IS NOT NULL AND NEW.action NOT IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: action');
END;

CREATE TRIGGER history_actor_role_insert_check BEFORE INSERT ON history
    WHEN NEW.actor_role IS NOT NULL AND NEW.actor_role NOT IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: actor_role');
END;

CREATE TRIGGER history_from_state_insert_check BEFORE INSERT ON history
    WHEN NEW.from_state IS NOT NULL AND NEW.from_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: from_state');
END;

CREATE TRIGGER history_to_state_insert_check BEFORE INSERT ON history
    WHEN NEW.to_state IS NOT NULL AND NEW.to_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: to_state');
END;
