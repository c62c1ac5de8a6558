-- A fingerprint of each secret the instances of this database sign with (never the secret): an
-- instance that generated its own secrets refuses to start beside one that signs with others.
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
