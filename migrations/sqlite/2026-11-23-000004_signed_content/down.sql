ALTER TABLE signatures DROP COLUMN content;
