-- Presence events go to a user's 1:1 conversation partners. They were found through an index on
-- messages (target_id, target_kind, sender_id): a B-tree insert at a random position for every
-- stored message, which cost the single writer about a quarter of its throughput, and a lookup that
-- read a user's whole 1:1 history. A pair is now written once, both ways, when its first message is
-- stored. Partners are not purged with the messages: a partner stays a contact. (The embedded store
-- has one process, so unlike MariaDB and PostgreSQL no node of the previous version still needs the
-- index.)
CREATE TABLE conversation_partner (
    user_id    TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    PRIMARY KEY (user_id, partner_id)
) WITHOUT ROWID;

INSERT INTO conversation_partner (user_id, partner_id)
SELECT sender_id, target_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id
UNION
SELECT target_id, sender_id FROM messages WHERE target_kind = 'user' AND sender_id <> target_id;

DROP INDEX messages_by_target;
