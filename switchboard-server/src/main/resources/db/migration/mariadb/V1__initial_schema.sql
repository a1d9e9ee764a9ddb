-- Same schema as db/migration/sqlite. Ids are case-sensitive and trailing spaces count: binary
-- NO PAD collation throughout (MariaDB; MySQL 8 would use utf8mb4_0900_bin).
CREATE TABLE messages (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sender_id     VARCHAR(128) NOT NULL,
    sender_device VARCHAR(64)  NOT NULL,
    target_kind   VARCHAR(8)   NOT NULL,
    target_id     VARCHAR(128) NOT NULL,
    client_id     VARCHAR(64)  NOT NULL,
    body          MEDIUMTEXT   NOT NULL,
    created_at    BIGINT       NOT NULL,
    UNIQUE KEY messages_by_client_id (sender_id, client_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE inbox (
    user_id    VARCHAR(128) NOT NULL,
    seq        BIGINT       NOT NULL,
    message_id BIGINT       NOT NULL,
    created_at BIGINT       NOT NULL,
    PRIMARY KEY (user_id, seq),
    KEY inbox_by_message (message_id),
    KEY inbox_by_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE user_sequence (
    user_id  VARCHAR(128) NOT NULL PRIMARY KEY,
    last_seq BIGINT       NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE device_cursor (
    user_id    VARCHAR(128) NOT NULL,
    device_id  VARCHAR(64)  NOT NULL,
    acked_seq  BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL,
    PRIMARY KEY (user_id, device_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE chat_group (
    id         VARCHAR(128) NOT NULL PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    created_by VARCHAR(128) NOT NULL,
    created_at BIGINT       NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;

CREATE TABLE group_member (
    group_id  VARCHAR(128) NOT NULL,
    user_id   VARCHAR(128) NOT NULL,
    joined_at BIGINT       NOT NULL,
    PRIMARY KEY (group_id, user_id),
    KEY group_member_by_user (user_id, group_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_nopad_bin;
