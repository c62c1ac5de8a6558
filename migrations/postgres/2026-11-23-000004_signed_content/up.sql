-- What each signature vouched for, kept so a signature that no longer holds can name the
-- fields that changed. Signatures made before it have none: they name no fields.
ALTER TABLE signatures ADD COLUMN content TEXT NOT NULL DEFAULT '';
