-- Keyset pages of the history (`id > cursor ORDER BY id`) narrowed to one partnership or one
-- document read their rows in order from these, however long the history grows.
CREATE INDEX history_partnership ON history (partnership_id, id);
DROP INDEX history_entity;
CREATE INDEX history_entity ON history (entity_kind, entity_id, id);
