-- Files (R14): uploaded in chunks, resumable at an offset, then sent in messages.
-- completed_at is 0 until received reaches size.
CREATE TABLE files (
    id           TEXT   NOT NULL PRIMARY KEY,        -- 'f-' and 32 hex digits
    owner_id     TEXT   NOT NULL,
    client_id    TEXT,                               -- the uploader's key: a repeated upload.start finds it
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    received     BIGINT NOT NULL,                    -- bytes stored so far: the next chunk's offset
    created_at   BIGINT NOT NULL,
    completed_at BIGINT NOT NULL
);
CREATE INDEX files_by_owner ON files (owner_id, completed_at);
CREATE UNIQUE INDEX files_by_client_id ON files (owner_id, client_id); -- NULLs are distinct
CREATE INDEX files_by_age ON files (completed_at, created_at);

-- A file's bytes as they arrived, one row per chunk; the chunks of a file are contiguous.
CREATE TABLE file_chunks (
    file_id      TEXT   NOT NULL,
    chunk_offset BIGINT NOT NULL,
    data         BYTEA  NOT NULL,
    PRIMARY KEY (file_id, chunk_offset)
);

-- Who may download a file besides its owner: the recipients of the messages it was sent in.
CREATE TABLE file_shares (
    file_id     TEXT NOT NULL,
    target_kind TEXT NOT NULL,                       -- 'user' | 'group'
    target_id   TEXT NOT NULL,
    PRIMARY KEY (file_id, target_kind, target_id)
);

-- The description of the file a message carries: JSON {id, name, size, contentType}, or NULL.
ALTER TABLE messages ADD COLUMN file_json TEXT NULL;
