-- Evidence files kept in the database when CSPFUND_ATTACHMENT_STORAGE=database, so every
-- instance of the service reads what any instance stored. Named by their SHA-256, stored once.
CREATE TABLE evidence_files (
    sha256 TEXT PRIMARY KEY,
    content BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    stored_at TIMESTAMP NOT NULL
);
