ALTER TABLE webhook_subscriptions DROP COLUMN after_entry_id;
DROP TABLE webhook_feed;
ALTER TABLE history DROP COLUMN traceparent;
