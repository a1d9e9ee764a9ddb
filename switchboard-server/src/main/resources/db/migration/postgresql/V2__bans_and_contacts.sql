-- Users banned through the server API; refused at the handshake until until_ms (0 = for good).
CREATE TABLE user_ban (
    user_id    TEXT   NOT NULL PRIMARY KEY,
    reason     TEXT   NOT NULL,
    until_ms   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Presence events look up a user's 1:1 conversation partners in both directions.
CREATE INDEX messages_by_target ON messages (target_id, target_kind, sender_id);
