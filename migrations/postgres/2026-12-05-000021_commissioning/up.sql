-- A partnership's commissioning paper: its priorities from the strategic assessment, how each
-- serves the Police and Crime Plan, and the recommendations its board discusses. It belongs to the
-- allocation of the earliest fund year it covers; `commissioning_paper_years` lists every year.
CREATE TABLE commissioning_papers (
    id BIGSERIAL PRIMARY KEY,
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
    id BIGSERIAL PRIMARY KEY,
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
    id BIGSERIAL PRIMARY KEY,
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

-- Commissioning papers' words in the history, snapshots and evidence.
ALTER TABLE history DROP CONSTRAINT history_action_check;
ALTER TABLE history ADD CONSTRAINT history_action_check CHECK (action IN ('created', 'edited', 'attachment-added', 'attachment-removed', 'submit', 'sign', 'countersign', 'withdraw', 'start-review', 'decisions', 'request-changes', 'approve', 'accept', 'revise', 'amendment-proposed', 'amendment-applied', 'amendment-declined', 'carry-forward-received', 'password-reset', 'password-changed', 'secret-rotated', 'payment-recorded', 'table', 'agree', 'send-back')) NOT VALID;
ALTER TABLE history DROP CONSTRAINT history_from_state_check;
ALTER TABLE history ADD CONSTRAINT history_from_state_check CHECK (from_state IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted', 'for_discussion', 'agreed')) NOT VALID;
ALTER TABLE history DROP CONSTRAINT history_to_state_check;
ALTER TABLE history ADD CONSTRAINT history_to_state_check CHECK (to_state IN ('draft', 'signed', 'submitted', 'under_review', 'changes_requested', 'approved', 'accepted', 'for_discussion', 'agreed')) NOT VALID;
ALTER TABLE document_versions DROP CONSTRAINT document_versions_document_kind_check;
ALTER TABLE document_versions ADD CONSTRAINT document_versions_document_kind_check CHECK (document_kind IN ('plan', 'half_year_return', 'final_report', 'commissioning_paper'));
ALTER TABLE attachments DROP CONSTRAINT attachments_document_kind_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_document_kind_check CHECK (document_kind IN ('plan', 'half_year_return', 'final_report', 'commissioning_paper'));
