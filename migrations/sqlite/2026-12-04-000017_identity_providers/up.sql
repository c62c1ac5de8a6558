-- A person's identity at a trusted OpenID Connect provider (issuer and subject), linked to the
-- account that gives them their role and partnership. One identity per provider per account.
CREATE TABLE user_identities (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    linked_at TIMESTAMP NOT NULL,
    CONSTRAINT user_identities_issuer_subject_key UNIQUE (issuer, subject),
    CONSTRAINT user_identities_user_issuer_key UNIQUE (user_id, issuer)
);

-- What proved a signer's identity when they signed at their provider (canonical JSON of issuer,
-- subject, auth_time, acr, amr); null for a password kept by this service.
ALTER TABLE signatures ADD COLUMN sign_in TEXT;

-- A partner system's public key (a JWK) for private_key_jwt, instead of a shared secret.
ALTER TABLE api_clients ADD COLUMN public_key TEXT;

-- The ids of client assertions already used, until they expire: each is good for one token.
CREATE TABLE client_assertions (
    api_client_id BIGINT NOT NULL REFERENCES api_clients (id),
    jti TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (api_client_id, jti)
);

-- When (Unix seconds) the access token issued with a refresh token was issued: within the grace
-- window the same pair is given again.
ALTER TABLE refresh_tokens ADD COLUMN access_issued_at BIGINT;
