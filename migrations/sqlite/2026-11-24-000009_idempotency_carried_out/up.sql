-- When a key's request was (last) claimed, and when its work committed: the mark is written in
-- the work's own transaction.
ALTER TABLE idempotency_keys ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE idempotency_keys ADD COLUMN committed_at TIMESTAMP;
