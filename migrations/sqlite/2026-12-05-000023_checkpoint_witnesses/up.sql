-- Witnesses: subscriptions to `history.checkpoint_signed` receive each checkpoint the service signs.
-- The outbox reads the checkpoints as it reads the history, from a position of its own; those
-- signed before now are not announced.
ALTER TABLE webhook_feed ADD COLUMN last_checkpoint_id BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_feed SET last_checkpoint_id = (SELECT COALESCE(MAX(id), 0) FROM history_checkpoints);
