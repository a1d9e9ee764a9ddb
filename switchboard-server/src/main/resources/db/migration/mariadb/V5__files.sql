-- Files (R14): uploaded in chunks, resumable at an offset, then sent in messages.
-- completed_at is 0 until received reaches size.
CREATE TABLE files (
    id           VARCHAR(34)  NOT NULL PRIMARY KEY,  -- 'f-' and 32 hex digits
    owner_id     VARCHAR(128) NOT NULL,
    client_id    VARCHAR(64)  NULL,                  -- the uploader's key: a repeated upload.start finds it
    name         VARCHAR(255) NOT NULL,
    content_type VARCHAR(127) NOT NULL,
    size         BIGINT       NOT NULL,
    received     BIGINT       NOT NULL,              -- bytes stored so far: the next chunk's offset
    created_at   BIGINT       NOT NULL,
    completed_at BIGINT       NOT NULL,
    KEY files_by_owner (owner_id, completed_at),
    UNIQUE KEY files_by_client_id (owner_id, client_id), -- NULLs are distinct
    KEY files_by_age (completed_at, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

-- A file's bytes as they arrived, one row per chunk (MEDIUMBLOB: a chunk may be 64 KiB, BLOB's limit);
-- the chunks of a file are contiguous.
CREATE TABLE file_chunks (
    file_id      VARCHAR(34) NOT NULL,
    chunk_offset BIGINT      NOT NULL,
    data         MEDIUMBLOB  NOT NULL,
    PRIMARY KEY (file_id, chunk_offset)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

-- Who may download a file besides its owner: the recipients of the messages it was sent in.
CREATE TABLE file_shares (
    file_id     VARCHAR(34)  NOT NULL,
    target_kind VARCHAR(8)   NOT NULL,               -- 'user' | 'group'
    target_id   VARCHAR(128) NOT NULL,
    PRIMARY KEY (file_id, target_kind, target_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

-- The description of the file a message carries: JSON {id, name, size, contentType}, or NULL.
ALTER TABLE messages ADD COLUMN file_json TEXT NULL;
