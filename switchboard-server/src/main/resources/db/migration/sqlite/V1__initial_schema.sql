-- Messages are stored once; inbox rows point at them, one per recipient (sender included).
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused after a purge
    sender_id     TEXT    NOT NULL,
    sender_device TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL,                  -- 'user' | 'group'
    target_id     TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    body          TEXT    NOT NULL,                  -- serialized JSON value
    created_at    INTEGER NOT NULL,                  -- ms since the epoch
    UNIQUE (sender_id, client_id)                    -- idempotent resend
);

CREATE TABLE inbox (
    user_id    TEXT    NOT NULL,
    seq        INTEGER NOT NULL,                     -- per user, gap-free at allocation
    message_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE INDEX inbox_by_message ON inbox (message_id);
CREATE INDEX inbox_by_created ON inbox (created_at);

-- Highest seq ever allocated per user; survives purges so a seq is never handed out twice.
CREATE TABLE user_sequence (
    user_id  TEXT    NOT NULL PRIMARY KEY,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE device_cursor (
    user_id    TEXT    NOT NULL,
    device_id  TEXT    NOT NULL,
    acked_seq  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;

CREATE TABLE chat_group (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE group_member (
    group_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_member_by_user ON group_member (user_id, group_id);
