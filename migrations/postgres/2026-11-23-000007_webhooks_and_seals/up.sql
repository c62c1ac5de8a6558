-- Pushed events and a history that proves itself: signed checkpoints of the history, the
-- service's attestation on each document signature, webhook subscriptions, their durable outbox
-- and its delivery log, and which overdue deadlines have been announced.
CREATE TABLE history_checkpoints (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES history (id),
    entry_hash TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    CONSTRAINT history_checkpoints_entry UNIQUE (entry_id)
);
CREATE TRIGGER history_checkpoints_no_change BEFORE UPDATE OR DELETE ON history_checkpoints
    FOR EACH ROW EXECUTE FUNCTION history_append_only();

ALTER TABLE signatures ADD COLUMN version_number INTEGER;
ALTER TABLE signatures ADD COLUMN attestation_key_id TEXT;
ALTER TABLE signatures ADD COLUMN attestation TEXT;

CREATE TABLE webhook_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    partnership_id BIGINT REFERENCES partnerships (id),
    active BOOLEAN NOT NULL,
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_subscriptions_partnership ON webhook_subscriptions (partnership_id);

CREATE TABLE webhook_messages (
    id BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id),
    webhook_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    history_entry_id BIGINT REFERENCES history (id),
    payload TEXT NOT NULL,
    body TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    leased_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    CONSTRAINT webhook_messages_webhook_id UNIQUE (webhook_id)
);
CREATE INDEX webhook_messages_pending ON webhook_messages (subscription_id, id) WHERE status = 'pending';
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_subscription ON webhook_messages (subscription_id, id);

CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES webhook_messages (id),
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id),
    attempted_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    response_status INTEGER,
    delivered BOOLEAN NOT NULL,
    error TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_attempts_subscription ON webhook_attempts (subscription_id, id);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id);

CREATE TABLE deadline_notices (
    id BIGSERIAL PRIMARY KEY,
    allocation_id BIGINT NOT NULL REFERENCES allocations (id),
    document_kind TEXT NOT NULL,
    half TEXT NOT NULL,
    announced_at TIMESTAMP NOT NULL,
    CONSTRAINT deadline_notices_key UNIQUE (allocation_id, document_kind, half)
);
