ALTER TABLE refresh_tokens DROP COLUMN access_issued_at;
DROP TABLE client_assertions;
ALTER TABLE api_clients DROP COLUMN public_key;
ALTER TABLE signatures DROP COLUMN sign_in;
DROP TABLE user_identities;
