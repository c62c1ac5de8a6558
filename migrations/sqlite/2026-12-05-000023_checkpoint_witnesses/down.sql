ALTER TABLE webhook_feed DROP COLUMN last_checkpoint_id;
