DROP TRIGGER history_action_insert_check;
CREATE TRIGGER history_action_insert_check BEFORE INSERT ON history
    WHEN NEW.action IS NOT NULL AND NEW.action NOT IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated', 'payment-recorded')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: action');
END;
DROP TRIGGER history_from_state_insert_check;
CREATE TRIGGER history_from_state_insert_check BEFORE INSERT ON history
    WHEN NEW.from_state IS NOT NULL AND NEW.from_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: from_state');
END;
DROP TRIGGER history_to_state_insert_check;
CREATE TRIGGER history_to_state_insert_check BEFORE INSERT ON history
    WHEN NEW.to_state IS NOT NULL AND NEW.to_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: to_state');
END;
DROP TRIGGER document_versions_document_kind_insert_check;
CREATE TRIGGER document_versions_document_kind_insert_check BEFORE INSERT ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;
DROP TRIGGER document_versions_document_kind_update_check;
CREATE TRIGGER document_versions_document_kind_update_check BEFORE UPDATE OF document_kind ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;
ALTER TABLE attachments RENAME TO attachments_before;
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id),
    document_kind TEXT NOT NULL CHECK (document_kind IN ('plan', 'half_year_return', 'final_report')),
    document_id BIGINT NOT NULL,
    plan_line_id BIGINT REFERENCES plan_lines (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
INSERT INTO attachments SELECT * FROM attachments_before;
DROP TABLE attachments_before;
CREATE INDEX attachments_document ON attachments (document_kind, document_id);
DROP TABLE plan_line_recommendations;
DROP TABLE recommendation_priorities;
DROP TABLE recommendations;
DROP TABLE commissioning_priority_aims;
DROP TABLE commissioning_priorities;
DROP TABLE commissioning_paper_years;
DROP TABLE commissioning_papers;
