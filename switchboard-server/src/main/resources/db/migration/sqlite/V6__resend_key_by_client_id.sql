-- The resend key (a message's client id and sender) is now indexed client id first. Keyed by sender
-- first, every stored message wrote the index page of its sender's keys: a random page per message
-- once the SDKs' random client ids spread a sender's keys over many pages, and a page per sender per
-- checkpoint round at best. Those pages were most of what each background checkpoint copied back into
-- the database file and synced beside the commits (bench/analysis.md). The SDKs now make time-ordered
-- client ids (UUID version 7), so new keys land near the index's end, on a few pages per round.
-- Uniqueness is the same: the same pair of columns.
--
-- The UNIQUE clause of the table could not be changed in place, so the table is rebuilt. The key is a
-- unique index of its own from now on, which a later change can drop or recreate without a rebuild.

CREATE TABLE messages_v6 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused after a purge
    sender_id     TEXT    NOT NULL,
    sender_device TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL,                  -- 'user' | 'group'
    target_id     TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    body          TEXT    NOT NULL,                  -- serialized JSON value
    created_at    INTEGER NOT NULL,                  -- ms since the epoch
    inbox_refs    INTEGER NOT NULL DEFAULT 0         -- the message's inbox entries (PackedInbox)
);

INSERT INTO messages_v6 (id, sender_id, sender_device, target_kind, target_id, client_id, body, created_at, inbox_refs)
SELECT id, sender_id, sender_device, target_kind, target_id, client_id, body, created_at, inbox_refs
FROM messages ORDER BY id;

-- The highest id ever handed out, not the highest one kept: the newest messages may have been purged.
DELETE FROM sqlite_sequence WHERE name = 'messages_v6';
INSERT INTO sqlite_sequence (name, seq) SELECT 'messages_v6', seq FROM sqlite_sequence WHERE name = 'messages';

DROP TABLE messages;
ALTER TABLE messages_v6 RENAME TO messages;

-- Built after the copy: one sort instead of a B-tree insert at a random place per row.
CREATE UNIQUE INDEX messages_by_client_id ON messages (client_id, sender_id);
