-- The outbox reads the history instead of the history writing to the outbox: each entry keeps the
-- W3C traceparent of the request that made it (not part of its hash: it says how the change
-- arrived, not what changed), and the outbox keeps how far it has read.
ALTER TABLE history ADD COLUMN traceparent TEXT;
CREATE TABLE webhook_feed (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_entry_id BIGINT NOT NULL
);
-- Every entry recorded so far has had its messages queued already.
INSERT INTO webhook_feed (id, last_entry_id) SELECT 1, COALESCE(MAX(id), 0) FROM history;
-- A subscription hears of the entries after the one recording its creation (0: all those not yet
-- read, as for the subscriptions made before this migration).
ALTER TABLE webhook_subscriptions ADD COLUMN after_entry_id BIGINT NOT NULL DEFAULT 0;
