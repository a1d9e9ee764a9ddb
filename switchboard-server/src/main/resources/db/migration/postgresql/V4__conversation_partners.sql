-- Presence events go to a user's 1:1 conversation partners: a pair is now written once, both ways,
-- when its first message is stored, instead of being looked up through the messages (their index
-- messages_by_target read a user's whole 1:1 history, and cost every message an index insert at a
-- random position). Partners are not purged with the messages: a partner stays a contact.
--
-- messages_by_target stays where messages exist: nodes of the previous version, still running during
-- a rolling upgrade, look partners up through it. Drop it once every node runs this version
-- (docs/OPERATIONS.md, "Schema upgrades"). On a new install (no messages yet) it goes at once. The
-- backfill reads a snapshot and blocks no concurrent insert.
CREATE TABLE conversation_partner (
    user_id    TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    PRIMARY KEY (user_id, partner_id)
);

INSERT INTO conversation_partner (user_id, partner_id)
SELECT sender_id, target_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id
UNION
SELECT target_id, sender_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id;

-- A new install has no node of an earlier version that could need the index.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM messages) THEN
        DROP INDEX messages_by_target;
    END IF;
END
$$;
