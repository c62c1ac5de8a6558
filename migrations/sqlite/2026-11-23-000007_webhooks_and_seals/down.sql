DROP TABLE deadline_notices;
DROP TABLE webhook_attempts;
DROP TABLE webhook_messages;
DROP TABLE webhook_subscriptions;
ALTER TABLE signatures DROP COLUMN attestation;
ALTER TABLE signatures DROP COLUMN attestation_key_id;
ALTER TABLE signatures DROP COLUMN version_number;
DROP TABLE history_checkpoints;
