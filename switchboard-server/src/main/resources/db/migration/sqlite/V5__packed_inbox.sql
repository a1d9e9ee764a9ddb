-- The embedded store keeps inbox entries as packed runs (PackedInbox). A row per entry, keyed by
-- (user_id, seq), made every commit rewrite the newest B-tree page of every user in its batch: most
-- of the single writer's time, which bounds durable throughput (docs/BENCHMARKS.md). Now an append
-- adds its entries to inbox_log, a table without any index (its pages fill in order), and about once
-- a second the writer packs each user's logged entries into one inbox_run row and empties the log.

-- Entries not yet packed, in commit order. Emptied by each merge (DELETE without WHERE: SQLite frees
-- the pages instead of deleting row by row).
CREATE TABLE inbox_log (
    user_id    TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    message_id INTEGER NOT NULL
);

-- A run: one user's entries first_seq..last_seq (consecutive seqs), the message ids packed 8 bytes
-- each, big-endian, in seq order. A user's runs never overlap; message ids grow with seq.
CREATE TABLE inbox_run (
    id               INTEGER PRIMARY KEY,            -- rowid: rows of up to 4 KiB are appended in order
    user_id          TEXT    NOT NULL,
    last_seq         INTEGER NOT NULL,
    first_seq        INTEGER NOT NULL,
    first_message_id INTEGER NOT NULL,
    last_message_id  INTEGER NOT NULL,
    message_ids      BLOB    NOT NULL
);
-- A user's runs in seq order; small keys, unlike the runs themselves.
CREATE UNIQUE INDEX inbox_run_by_user ON inbox_run (user_id, last_seq);
-- Retention by age finds the runs that hold expired messages.
CREATE INDEX inbox_run_by_first_message ON inbox_run (first_message_id);

-- Counts the writer's commits that changed inbox entries; a reader checks its snapshot against the
-- writer's in-memory copy of the log with it.
CREATE TABLE inbox_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    commit_number INTEGER NOT NULL
);
INSERT INTO inbox_state (id, commit_number) VALUES (1, 0);

-- SQL no longer sees which messages the packed entries refer to: each message counts its entries,
-- and retention deletes it when the last one goes.
ALTER TABLE messages ADD COLUMN inbox_refs INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET inbox_refs = (SELECT COUNT(*) FROM inbox WHERE inbox.message_id = messages.id);

-- The existing entries go to the log; opening the store packs them into runs (PackedInbox.open).
INSERT INTO inbox_log (user_id, seq, message_id) SELECT user_id, seq, message_id FROM inbox ORDER BY user_id, seq;
DROP TABLE inbox;

-- Messages no entry refers to: retention used to find them by a scan; from now on they never arise.
DELETE FROM messages WHERE inbox_refs = 0;
