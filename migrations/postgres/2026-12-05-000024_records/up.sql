-- Records: a version's PDF/A record, kept once it is first rendered and served from then on, so
-- the record's own SHA-256 stated in the version's view stays true whatever changes later
-- (templates, fonts, the service's key).
CREATE TABLE document_records (
    document_kind TEXT NOT NULL,
    document_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    record_sha256 TEXT NOT NULL,
    pdf BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_kind, document_id, number)
);

-- Checking a record by a SHA-256 printed on it or computed from its file, without an account.
CREATE INDEX document_versions_by_content ON document_versions (content_sha256);
CREATE INDEX document_records_by_record ON document_records (record_sha256);
