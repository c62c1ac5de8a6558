-- Approval workflow, signatures, snapshots, the hash-chained history and idempotent retries.

ALTER TABLE fund_years ADD COLUMN amendment_threshold_pence BIGINT CHECK (amendment_threshold_pence >= 0);
ALTER TABLE fund_years ADD COLUMN amendment_threshold_percent INTEGER
    CHECK (amendment_threshold_percent BETWEEN 0 AND 100);

ALTER TABLE plan_lines ADD COLUMN decision TEXT CHECK (decision IN ('approved', 'declined'));
ALTER TABLE plan_lines ADD COLUMN decision_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN approved_pence BIGINT;
ALTER TABLE plans ADD COLUMN approved_at TIMESTAMP;
ALTER TABLE plans ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';

ALTER TABLE half_year_returns ADD COLUMN claim_approved_pence BIGINT;
ALTER TABLE half_year_returns ADD COLUMN claim_approved_on DATE;
ALTER TABLE half_year_returns ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';

ALTER TABLE final_reports ADD COLUMN unspent_decision TEXT
    CHECK (unspent_decision IN ('returned', 'carried_forward', 'offset'));
ALTER TABLE final_reports ADD COLUMN unspent_decided_pence BIGINT;
ALTER TABLE final_reports ADD COLUMN carried_forward_to BIGINT REFERENCES allocations (id);
ALTER TABLE final_reports ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';

CREATE TABLE signatures (
    id BIGSERIAL PRIMARY KEY,
    document_kind TEXT NOT NULL,
    document_id BIGINT NOT NULL,
    capacity TEXT NOT NULL CHECK (capacity IN ('csp_manager', 'treasurer')),
    signer TEXT NOT NULL,
    printed_name TEXT NOT NULL,
    position TEXT NOT NULL,
    declaration TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    voided_at TIMESTAMP,
    void_reason TEXT
);
CREATE INDEX signatures_document ON signatures (document_kind, document_id);

CREATE TABLE document_versions (
    id BIGSERIAL PRIMARY KEY,
    document_kind TEXT NOT NULL,
    document_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    reason TEXT NOT NULL,
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT document_versions_number_key UNIQUE (document_kind, document_id, number)
);

CREATE TABLE plan_amendments (
    id BIGSERIAL PRIMARY KEY,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'declined', 'applied')),
    reason TEXT NOT NULL,
    proposal TEXT NOT NULL,
    largest_change_pence BIGINT NOT NULL,
    largest_change_percent TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_amendments_plan ON plan_amendments (plan_id);

CREATE TABLE history (
    id BIGSERIAL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    partnership_id BIGINT,
    entity_kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    changed_fields TEXT NOT NULL,
    details TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX history_entity ON history (entity_kind, entity_id);

-- The history is append-only: the database refuses to change or remove an entry.
CREATE FUNCTION history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER history_no_change BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();

CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    principal TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    response_status INTEGER,
    response_headers TEXT,
    response_body BYTEA,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT idempotency_keys_key UNIQUE (principal, idempotency_key)
);
