-- Presence events go to a user's 1:1 conversation partners: a pair is now written once, both ways,
-- when its first message is stored, instead of being looked up through the messages (their index
-- messages_by_target read a user's whole 1:1 history, and cost every message an index insert at a
-- random position). Partners are not purged with the messages: a partner stays a contact.
--
-- Safe during a rolling upgrade, with nodes of the previous version still writing:
-- - the backfill reads messages as a consistent snapshot (READ COMMITTED) instead of locking every
--   row it reads (REPEATABLE READ would stall their inserts for as long as it runs);
-- - messages_by_target stays where messages exist, because the previous version's presence lookup
--   needs it; drop it once every node runs this version (docs/OPERATIONS.md, "Schema upgrades"). On a
--   new install (no messages yet) it goes at once;
-- - every statement can run again: MariaDB commits DDL at once, so a node killed during the backfill
--   leaves the table behind, and the next start repeats the migration.
CREATE TABLE IF NOT EXISTS conversation_partner (
    user_id    VARCHAR(128) NOT NULL,
    partner_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (user_id, partner_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

SET TRANSACTION ISOLATION LEVEL READ COMMITTED;

INSERT IGNORE INTO conversation_partner (user_id, partner_id)
SELECT sender_id, target_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id
UNION
SELECT target_id, sender_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id;

-- A new install has no node of an earlier version that could need the index.
SET @drop_index = IF(EXISTS (SELECT 1 FROM messages), 'DO 0', 'DROP INDEX messages_by_target ON messages');
PREPARE drop_index FROM @drop_index;
EXECUTE drop_index;
DEALLOCATE PREPARE drop_index;
