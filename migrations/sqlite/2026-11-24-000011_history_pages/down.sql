DROP INDEX history_entity;
CREATE INDEX history_entity ON history (entity_kind, entity_id);
DROP INDEX history_partnership;
