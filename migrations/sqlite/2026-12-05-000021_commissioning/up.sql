-- A partnership's commissioning paper: its priorities from the strategic assessment, how each
-- serves the Police and Crime Plan, and the recommendations its board discusses. It belongs to the
-- allocation of the earliest fund year it covers; `commissioning_paper_years` lists every year.
CREATE TABLE commissioning_papers (
    id INTEGER PRIMARY KEY,
    allocation_id BIGINT NOT NULL REFERENCES allocations (id),
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    board TEXT NOT NULL,
    meeting_on DATE,
    decided_on DATE,
    review_comment TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'for_discussion', 'changes_requested', 'agreed')),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX commissioning_papers_allocation_id ON commissioning_papers (allocation_id);

CREATE TABLE commissioning_paper_years (
    paper_id BIGINT NOT NULL REFERENCES commissioning_papers (id),
    fund_year_id BIGINT NOT NULL REFERENCES fund_years (id),
    PRIMARY KEY (paper_id, fund_year_id)
);
CREATE INDEX commissioning_paper_years_fund_year_id ON commissioning_paper_years (fund_year_id);

CREATE TABLE commissioning_priorities (
    id INTEGER PRIMARY KEY,
    paper_id BIGINT NOT NULL REFERENCES commissioning_papers (id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('strategic_assessment', 'emerging', 'cross_cutting')),
    UNIQUE (paper_id, number)
);

-- The Police and Crime Plan priorities, by number, that a partnership's priority serves.
CREATE TABLE commissioning_priority_aims (
    commissioning_priority_id BIGINT NOT NULL REFERENCES commissioning_priorities (id),
    plan_priority INTEGER NOT NULL,
    PRIMARY KEY (commissioning_priority_id, plan_priority)
);

-- An amount is either known (pence given) or one of the explicit states; never a made-up zero.
CREATE TABLE recommendations (
    id INTEGER PRIMARY KEY,
    paper_id BIGINT NOT NULL REFERENCES commissioning_papers (id),
    number INTEGER NOT NULL,
    area_need TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    opcc_contribution_state TEXT NOT NULL CHECK (opcc_contribution_state IN ('known', 'to_be_confirmed', 'awaiting_confirmation', 'none')),
    opcc_contribution_pence BIGINT,
    total_budget_state TEXT NOT NULL CHECK (total_budget_state IN ('known', 'to_be_confirmed', 'awaiting_confirmation', 'none')),
    total_budget_pence BIGINT,
    CHECK ((opcc_contribution_state = 'known') = (opcc_contribution_pence IS NOT NULL)),
    CHECK ((total_budget_state = 'known') = (total_budget_pence IS NOT NULL)),
    UNIQUE (paper_id, number)
);

-- The partnership's own priorities, by number, that a recommendation serves.
CREATE TABLE recommendation_priorities (
    recommendation_id BIGINT NOT NULL REFERENCES recommendations (id),
    priority_number INTEGER NOT NULL,
    PRIMARY KEY (recommendation_id, priority_number)
);

-- The recommendation a plan line carries out, if any: at most one per line.
CREATE TABLE plan_line_recommendations (
    plan_line_id BIGINT PRIMARY KEY REFERENCES plan_lines (id),
    recommendation_id BIGINT NOT NULL REFERENCES recommendations (id)
);
CREATE INDEX plan_line_recommendations_recommendation_id ON plan_line_recommendations (recommendation_id);

-- Commissioning papers' words in the history, snapshots and evidence. SQLite cannot change a
-- column's CHECK: the attachments table is rebuilt.
DROP TRIGGER history_action_insert_check;
CREATE TRIGGER history_action_insert_check BEFORE INSERT ON history
    WHEN NEW.action IS NOT NULL AND NEW.action NOT IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated', 'payment-recorded', 'table', 'agree', 'send-back')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: action');
END;
DROP TRIGGER history_from_state_insert_check;
CREATE TRIGGER history_from_state_insert_check BEFORE INSERT ON history
    WHEN NEW.from_state IS NOT NULL AND NEW.from_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted', 'for_discussion', 'agreed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: from_state');
END;
DROP TRIGGER history_to_state_insert_check;
CREATE TRIGGER history_to_state_insert_check BEFORE INSERT ON history
    WHEN NEW.to_state IS NOT NULL AND NEW.to_state NOT IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted', 'for_discussion', 'agreed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: to_state');
END;
DROP TRIGGER document_versions_document_kind_insert_check;
CREATE TRIGGER document_versions_document_kind_insert_check BEFORE INSERT ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report', 'commissioning_paper')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;
DROP TRIGGER document_versions_document_kind_update_check;
CREATE TRIGGER document_versions_document_kind_update_check BEFORE UPDATE OF document_kind ON document_versions
    WHEN NEW.document_kind IS NOT NULL AND NEW.document_kind NOT IN ('plan', 'half_year_return', 'final_report', 'commissioning_paper')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: document_kind');
END;
ALTER TABLE attachments RENAME TO attachments_before;
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id),
    document_kind TEXT NOT NULL CHECK (document_kind IN ('plan', 'half_year_return', 'final_report', 'commissioning_paper')),
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
