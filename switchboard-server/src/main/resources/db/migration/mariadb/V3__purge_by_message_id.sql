-- Retention now finds expired entries through their message id (inbox_by_message); the index on
-- created_at cost every stored message two more index writes.
ALTER TABLE inbox DROP INDEX inbox_by_created;
