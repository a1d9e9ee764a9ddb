package dev.switchboard.server.store;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@link MessageStore} on SQL through plain JDBC: writes go through the group-commit
 * {@link JdbcWriter}, reads run on the database's reader threads. See MessageStore for the contract.
 */
public final class JdbcMessageStore implements MessageStore {
    private static final String SELECT_BY_CLIENT_ID =
            "SELECT id, sender_device, target_kind, target_id, body, created_at FROM messages "
                    + "WHERE sender_id = ? AND client_id = ?";
    private static final String SELECT_SENDER_SEQ = "SELECT seq FROM inbox WHERE message_id = ? AND user_id = ?";
    private static final String SELECT_GROUP_EXISTS = "SELECT 1 FROM chat_group WHERE id = ?";
    private static final String SELECT_GROUP_MEMBERS = "SELECT user_id FROM group_member WHERE group_id = ?";
    private static final String INSERT_MESSAGE =
            "INSERT INTO messages (sender_id, sender_device, target_kind, target_id, client_id, body, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_INBOX =
            "INSERT INTO inbox (user_id, seq, message_id, created_at) VALUES (?, ?, ?, ?)";
    private static final String SELECT_INBOX =
            "SELECT i.seq, m.id, m.sender_id, m.sender_device, m.target_kind, m.target_id, m.client_id, m.body, "
                    + "m.created_at FROM inbox i JOIN messages m ON m.id = i.message_id "
                    + "WHERE i.user_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?";
    private static final String SELECT_LAST_SEQ = "SELECT last_seq FROM user_sequence WHERE user_id = ?";
    private static final String SELECT_CURSOR = "SELECT acked_seq FROM device_cursor WHERE user_id = ? AND device_id = ?";
    private static final String UPSERT_CURSOR =
            "INSERT INTO device_cursor (user_id, device_id, acked_seq, updated_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (user_id, device_id) DO UPDATE SET "
                    + "acked_seq = MAX(acked_seq, excluded.acked_seq), updated_at = excluded.updated_at";

    private final JdbcDatabase database;
    private final InboxPurge purge = new InboxPurge();

    public JdbcMessageStore(JdbcDatabase database) {
        this.database = database;
    }

    @Override
    public CompletableFuture<AppendResult> append(AppendRequest request) {
        return database.writer().submit(context -> appendInTransaction(context, request));
    }

    private AppendResult appendInTransaction(WriteContext context, AppendRequest request) throws SQLException {
        // 1. Idempotency: the same (sender, clientId) answers with the original.
        AppendResult existing = findExisting(context, request);
        if (existing != null) {
            return existing;
        }
        // 2. Recipients, validated before anything is written (see JdbcWriter).
        Set<String> recipientIds = recipients(context, request);
        // 3. The message, then one inbox entry per recipient.
        PreparedStatement insert = context.insertReturningKeys(INSERT_MESSAGE);
        insert.setString(1, request.senderId());
        insert.setString(2, request.senderDevice());
        insert.setString(3, request.targetKind().wireName());
        insert.setString(4, request.targetId());
        insert.setString(5, request.clientId());
        insert.setString(6, request.bodyJson());
        insert.setLong(7, request.createdAt());
        insert.executeUpdate();
        long messageId;
        try (ResultSet keys = insert.getGeneratedKeys()) {
            if (!keys.next()) {
                throw new SQLException("no generated id for inserted message");
            }
            messageId = keys.getLong(1);
        }
        PreparedStatement inbox = context.statement(INSERT_INBOX);
        List<Recipient> recipients = new ArrayList<>(recipientIds.size());
        long senderSeq = 0;
        for (String userId : recipientIds) {
            long seq = context.nextSeq(userId);
            recipients.add(new Recipient(userId, seq));
            if (userId.equals(request.senderId())) {
                senderSeq = seq;
            }
            inbox.setString(1, userId);
            inbox.setLong(2, seq);
            inbox.setLong(3, messageId);
            inbox.setLong(4, request.createdAt());
            inbox.addBatch();
        }
        inbox.executeBatch();
        StoredMessage message = new StoredMessage(messageId, request.senderId(), request.senderDevice(),
                request.targetKind(), request.targetId(), request.clientId(), request.bodyJson(), request.createdAt());
        return new AppendResult(message, senderSeq, List.copyOf(recipients), false);
    }

    private static AppendResult findExisting(WriteContext context, AppendRequest request) throws SQLException {
        PreparedStatement select = context.statement(SELECT_BY_CLIENT_ID);
        select.setString(1, request.senderId());
        select.setString(2, request.clientId());
        StoredMessage message;
        try (ResultSet row = select.executeQuery()) {
            if (!row.next()) {
                return null;
            }
            message = new StoredMessage(row.getLong(1), request.senderId(), row.getString(2),
                    TargetKind.fromWireName(row.getString(3)), row.getString(4), request.clientId(),
                    row.getString(5), row.getLong(6));
        }
        PreparedStatement seqSelect = context.statement(SELECT_SENDER_SEQ);
        seqSelect.setLong(1, message.id());
        seqSelect.setString(2, request.senderId());
        try (ResultSet row = seqSelect.executeQuery()) {
            long senderSeq = row.next() ? row.getLong(1) : 0L;
            return new AppendResult(message, senderSeq, List.of(), true);
        }
    }

    /** The target user or the group's members, plus the sender, in a stable order, without repeats. */
    private static Set<String> recipients(WriteContext context, AppendRequest request) throws SQLException {
        Set<String> recipients = new LinkedHashSet<>();
        if (request.targetKind() == TargetKind.USER) {
            recipients.add(request.targetId());
            recipients.add(request.senderId());
            return recipients;
        }
        PreparedStatement exists = context.statement(SELECT_GROUP_EXISTS);
        exists.setString(1, request.targetId());
        try (ResultSet row = exists.executeQuery()) {
            if (!row.next()) {
                throw new RequestRejectedException(ErrorCode.GROUP_NOT_FOUND, "no group " + request.targetId());
            }
        }
        PreparedStatement members = context.statement(SELECT_GROUP_MEMBERS);
        members.setString(1, request.targetId());
        try (ResultSet rows = members.executeQuery()) {
            while (rows.next()) {
                recipients.add(rows.getString(1));
            }
        }
        if (!recipients.contains(request.senderId())) {
            throw new RequestRejectedException(ErrorCode.NOT_GROUP_MEMBER,
                    "not a member of group " + request.targetId());
        }
        return recipients;
    }

    @Override
    public CompletableFuture<InboxPage> readInbox(String userId, long afterSeq, int limit) {
        return database.read(connection -> {
            List<InboxEntry> entries = new ArrayList<>(Math.min(limit, 256));
            try (PreparedStatement select = connection.prepareStatement(SELECT_INBOX)) {
                select.setString(1, userId);
                select.setLong(2, afterSeq);
                select.setInt(3, limit);
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        StoredMessage message = new StoredMessage(row.getLong(2), row.getString(3), row.getString(4),
                                TargetKind.fromWireName(row.getString(5)), row.getString(6), row.getString(7),
                                row.getString(8), row.getLong(9));
                        entries.add(new InboxEntry(row.getLong(1), message));
                    }
                }
            }
            return new InboxPage(entries, lastSeq(connection, userId));
        });
    }

    @Override
    public CompletableFuture<DeviceState> deviceState(String userId, String deviceId) {
        return database.read(connection -> {
            long cursor = 0;
            try (PreparedStatement select = connection.prepareStatement(SELECT_CURSOR)) {
                select.setString(1, userId);
                select.setString(2, deviceId);
                try (ResultSet row = select.executeQuery()) {
                    if (row.next()) {
                        cursor = row.getLong(1);
                    }
                }
            }
            return new DeviceState(cursor, lastSeq(connection, userId));
        });
    }

    private static long lastSeq(Connection connection, String userId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SELECT_LAST_SEQ)) {
            select.setString(1, userId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getLong(1) : 0L;
            }
        }
    }

    @Override
    public CompletableFuture<Void> advanceCursor(String userId, String deviceId, long seq) {
        return database.writer().submit(context -> {
            PreparedStatement upsert = context.statement(UPSERT_CURSOR);
            upsert.setString(1, userId);
            upsert.setString(2, deviceId);
            upsert.setLong(3, seq);
            upsert.setLong(4, System.currentTimeMillis());
            upsert.executeUpdate();
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> purgeExpired(long olderThanMillis, long keepPerUser) {
        return database.writer().submit(context -> purge.run(context, olderThanMillis, keepPerUser));
    }

    @Override
    public boolean isHealthy() {
        return database.isHealthy();
    }

    @Override
    public void close() {
        database.close();
    }
}
