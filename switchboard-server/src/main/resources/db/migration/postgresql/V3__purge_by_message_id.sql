-- Retention now finds expired entries through their message id (inbox_by_message); the index on
-- created_at cost every stored message two more B-tree writes on the single writer.
DROP INDEX IF EXISTS inbox_by_created;
