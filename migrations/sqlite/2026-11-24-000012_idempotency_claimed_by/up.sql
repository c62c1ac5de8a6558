-- Which instance of the service (its host and listening address, the same after a restart) holds
-- a key's claim: an instance starting again frees the claims its previous run left unfinished.
ALTER TABLE idempotency_keys ADD COLUMN claimed_by TEXT;
