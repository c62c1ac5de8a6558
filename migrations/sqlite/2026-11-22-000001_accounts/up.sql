-- Partnerships, the people and systems acting for them, and their sessions.
CREATE TABLE partnerships (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    area TEXT NOT NULL,
    lead_authority TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT partnerships_name_key UNIQUE (name)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'opcc_reviewer', 'csp_manager', 'treasurer')),
    partnership_id BIGINT REFERENCES partnerships (id),
    active BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    -- partnership roles belong to exactly one partnership; OPCC roles to none
    CHECK ((role IN ('csp_manager', 'treasurer')) = (partnership_id IS NOT NULL))
);
CREATE INDEX users_partnership_id ON users (partnership_id);

CREATE TABLE api_clients (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('opcc_reviewer', 'csp_manager', 'treasurer')),
    partnership_id BIGINT REFERENCES partnerships (id),
    secret_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT api_clients_client_id_key UNIQUE (client_id),
    CHECK ((role IN ('csp_manager', 'treasurer')) = (partnership_id IS NOT NULL))
);
CREATE INDEX api_clients_partnership_id ON api_clients (partnership_id);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL,
    family TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    api_client_id BIGINT REFERENCES api_clients (id),
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CHECK ((user_id IS NULL) <> (api_client_id IS NULL))
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_api_client_id ON refresh_tokens (api_client_id);
