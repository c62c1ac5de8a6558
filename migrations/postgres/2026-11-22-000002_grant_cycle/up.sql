-- The grant cycle's reference data and documents. Money is integer pence; measures are decimal text.

CREATE TABLE priority_sets (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT priority_sets_name_key UNIQUE (name),
    CHECK (starts_on <= ends_on)
);

CREATE TABLE priorities (
    id BIGSERIAL PRIMARY KEY,
    priority_set_id BIGINT NOT NULL REFERENCES priority_sets (id),
    number INTEGER NOT NULL CHECK (number > 0),
    title TEXT NOT NULL,
    CONSTRAINT priorities_set_number_key UNIQUE (priority_set_id, number)
);

CREATE TABLE fund_years (
    id BIGSERIAL PRIMARY KEY,
    label TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    plan_due DATE NOT NULL,
    half_year_return_due DATE NOT NULL,
    final_report_due DATE NOT NULL,
    priority_set_id BIGINT NOT NULL REFERENCES priority_sets (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT fund_years_label_key UNIQUE (label)
);

CREATE TABLE allocations (
    id BIGSERIAL PRIMARY KEY,
    fund_year_id BIGINT NOT NULL REFERENCES fund_years (id),
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id),
    grant_pence BIGINT NOT NULL CHECK (grant_pence >= 0),
    carry_forward_pence BIGINT NOT NULL CHECK (carry_forward_pence >= 0),
    carry_forward_purpose TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT allocations_year_partnership_key UNIQUE (fund_year_id, partnership_id)
);
CREATE INDEX allocations_partnership_id ON allocations (partnership_id);

CREATE TABLE plans (
    id BIGSERIAL PRIMARY KEY,
    allocation_id BIGINT NOT NULL REFERENCES allocations (id),
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT plans_allocation_id_key UNIQUE (allocation_id)
);

CREATE TABLE plan_lines (
    id BIGSERIAL PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    number INTEGER NOT NULL CHECK (number > 0),
    title TEXT NOT NULL,
    outline TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    provider TEXT,
    total_contract_value_pence BIGINT CHECK (total_contract_value_pence >= 0),
    outcome_measures TEXT NOT NULL,
    CONSTRAINT plan_lines_plan_number_key UNIQUE (plan_id, number)
);

CREATE TABLE plan_line_sub_allocations (
    id BIGSERIAL PRIMARY KEY,
    plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0)
);
CREATE INDEX plan_line_sub_allocations_line ON plan_line_sub_allocations (plan_line_id);

CREATE TABLE plan_line_priorities (
    plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    priority_id BIGINT NOT NULL REFERENCES priorities (id),
    PRIMARY KEY (plan_line_id, priority_id)
);

CREATE TABLE plan_line_indicators (
    id BIGSERIAL PRIMARY KEY,
    plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    number INTEGER NOT NULL CHECK (number > 0),
    name TEXT NOT NULL,
    comparison TEXT CHECK (comparison IN ('less_than', 'at_most', 'equal_to', 'at_least', 'more_than')),
    target TEXT,
    unit TEXT NOT NULL,
    CONSTRAINT plan_line_indicators_line_number_key UNIQUE (plan_line_id, number),
    CHECK ((comparison IS NULL) = (target IS NULL))
);

CREATE TABLE half_year_returns (
    id BIGSERIAL PRIMARY KEY,
    allocation_id BIGINT NOT NULL REFERENCES allocations (id),
    half TEXT NOT NULL CHECK (half IN ('first', 'second')),
    half_year_end DATE NOT NULL,
    amount_claimed_pence BIGINT NOT NULL CHECK (amount_claimed_pence >= 0),
    invoice_reference TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT half_year_returns_allocation_half_key UNIQUE (allocation_id, half)
);

CREATE TABLE half_year_projects (
    id BIGSERIAL PRIMARY KEY,
    half_year_return_id BIGINT NOT NULL REFERENCES half_year_returns (id),
    position INTEGER NOT NULL,
    plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    provider TEXT NOT NULL,
    provider_status TEXT NOT NULL CHECK (provider_status IN ('statutory', 'voluntary', 'independent')),
    commissioning_body TEXT NOT NULL,
    total_service_funding_pence BIGINT CHECK (total_service_funding_pence >= 0),
    intended_outcomes TEXT NOT NULL,
    how_measured TEXT NOT NULL,
    extent_achieved TEXT NOT NULL,
    actions TEXT NOT NULL,
    rag TEXT NOT NULL CHECK (rag IN ('achieved', 'on_track', 'behind')),
    CONSTRAINT half_year_projects_return_line_key UNIQUE (half_year_return_id, plan_line_id)
);

CREATE TABLE half_year_expenditure_items (
    id BIGSERIAL PRIMARY KEY,
    half_year_project_id BIGINT NOT NULL REFERENCES half_year_projects (id),
    position INTEGER NOT NULL,
    description TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0)
);
CREATE INDEX half_year_expenditure_items_project ON half_year_expenditure_items (half_year_project_id);

CREATE TABLE half_year_indicator_actuals (
    id BIGSERIAL PRIMARY KEY,
    half_year_project_id BIGINT NOT NULL REFERENCES half_year_projects (id),
    plan_line_indicator_id BIGINT NOT NULL REFERENCES plan_line_indicators (id),
    actual TEXT NOT NULL,
    CONSTRAINT half_year_indicator_actuals_key UNIQUE (half_year_project_id, plan_line_indicator_id)
);

CREATE TABLE final_reports (
    id BIGSERIAL PRIMARY KEY,
    allocation_id BIGINT NOT NULL REFERENCES allocations (id),
    unspent_treatment TEXT CHECK (unspent_treatment IN ('return_to_opcc', 'carry_forward', 'offset_next_year')),
    treatment_notes TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT final_reports_allocation_id_key UNIQUE (allocation_id)
);

CREATE TABLE final_report_lines (
    id BIGSERIAL PRIMARY KEY,
    final_report_id BIGINT NOT NULL REFERENCES final_reports (id),
    position INTEGER NOT NULL,
    plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    actual_spend_pence BIGINT NOT NULL CHECK (actual_spend_pence >= 0),
    variance_explanation TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    case_study TEXT NOT NULL,
    case_study_anonymised BOOLEAN NOT NULL,
    CONSTRAINT final_report_lines_report_line_key UNIQUE (final_report_id, plan_line_id)
);

CREATE TABLE virements (
    id BIGSERIAL PRIMARY KEY,
    final_report_id BIGINT NOT NULL REFERENCES final_reports (id),
    position INTEGER NOT NULL,
    from_plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    to_plan_line_id BIGINT NOT NULL REFERENCES plan_lines (id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    reason TEXT NOT NULL,
    CHECK (from_plan_line_id <> to_plan_line_id)
);
CREATE INDEX virements_report ON virements (final_report_id);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
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
CREATE INDEX attachments_document ON attachments (document_kind, document_id);
