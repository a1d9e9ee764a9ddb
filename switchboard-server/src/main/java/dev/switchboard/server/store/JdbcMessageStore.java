package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link MessageStore} on SQL through plain JDBC: writes go through the group-commit
 * {@link JdbcWriter}, reads run on the database's reader threads. See MessageStore for the contract.
 */
public final class JdbcMessageStore implements MessageStore {
    private static final String SELECT_INBOX =
            "SELECT i.seq, m.id, m.sender_id, m.sender_device, m.target_kind, m.target_id, m.client_id, m.body, "
                    + "m.created_at, m.file_json FROM inbox i JOIN messages m ON m.id = i.message_id "
                    + "WHERE i.user_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?";
    private static final String SELECT_MESSAGE = "SELECT sender_id, sender_device, target_kind, target_id, client_id, "
            + "body, created_at, file_json FROM messages WHERE id = ?";
    private static final String SELECT_CONTACTS = "SELECT contact FROM ("
            + "SELECT m2.user_id AS contact FROM group_member m1 JOIN group_member m2 ON m2.group_id = m1.group_id "
            + "WHERE m1.user_id = ? AND m2.user_id <> ? "
            + "UNION SELECT partner_id AS contact FROM conversation_partner WHERE user_id = ?"
            + ") contacts LIMIT ?";
    private static final String SELECT_LAST_SEQ = "SELECT last_seq FROM user_sequence WHERE user_id = ?";
    private static final String SELECT_DEVICE_STATE = "SELECT (SELECT acked_seq FROM device_cursor WHERE user_id = ? AND device_id = ?),"
            + " (SELECT last_seq FROM user_sequence WHERE user_id = ?)";

    private final JdbcDatabase database;
    private final InboxPurge purge = new InboxPurge();
    private final LongAdder deviceStatesFromMemory = new LongAdder();
    private final LongAdder deviceStatesRead = new LongAdder();

    public JdbcMessageStore(JdbcDatabase database) {
        this.database = database;
    }

    @Override
    public CompletableFuture<AppendResult> append(AppendRequest request) {
        return database.writer().submit(new AppendTask(request));
    }

    @Override
    public CompletableFuture<InboxPage> readInbox(String userId, long afterSeq, int limit) {
        PackedInbox packed = database.packedInbox();
        if (packed != null) {
            return database.read(context -> readPacked(packed, context, userId, afterSeq, limit));
        }
        return database.read(context -> {
            List<InboxEntry> entries = new ArrayList<>(Math.min(limit, 256));
            PreparedStatement select = context.statement(SELECT_INBOX);
            select.setString(1, userId);
            select.setLong(2, afterSeq);
            select.setInt(3, limit);
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    StoredMessage message = new StoredMessage(row.getLong(2), row.getString(3), row.getString(4),
                            TargetKind.fromWireName(row.getString(5)), row.getString(6), row.getString(7),
                            row.getString(8), row.getLong(9), row.getString(10));
                    entries.add(new InboxEntry(row.getLong(1), message));
                }
            }
            return new InboxPage(entries, lastSeq(context, userId));
        });
    }

    /**
     * The embedded store's page: the entries from the packed inbox, then each one's message by its id,
     * in the same snapshot. An entry whose message retention has just deleted counts as expired.
     */
    private static InboxPage readPacked(PackedInbox packed, ReadContext context, String userId, long afterSeq, int limit)
            throws SQLException {
        List<EntryRef> refs = packed.read(context, userId, afterSeq, limit); // first: it starts the snapshot
        List<InboxEntry> entries = new ArrayList<>(refs.size());
        PreparedStatement select = context.statement(SELECT_MESSAGE);
        for (EntryRef ref : refs) {
            select.setLong(1, ref.messageId());
            try (ResultSet row = select.executeQuery()) {
                if (row.next()) {
                    entries.add(new InboxEntry(ref.seq(), new StoredMessage(ref.messageId(), row.getString(1),
                            row.getString(2), TargetKind.fromWireName(row.getString(3)), row.getString(4),
                            row.getString(5), row.getString(6), row.getLong(7), row.getString(8))));
                }
            }
        }
        return new InboxPage(entries, lastSeq(context, userId));
    }

    /**
     * {@inheritDoc}
     *
     * @implNote On every handshake's path. The embedded store answers a device it has seen from memory,
     * at once ({@link DeviceStateCache}); otherwise one statement reads both values on a reader thread.
     */
    @Override
    public CompletableFuture<DeviceState> deviceState(String userId, String deviceId) {
        DeviceStateCache cache = database.deviceStates();
        if (cache != null) {
            DeviceState cached = cache.get(userId, deviceId);
            if (cached != null) {
                deviceStatesFromMemory.increment();
                return CompletableFuture.completedFuture(cached);
            }
        }
        deviceStatesRead.increment();
        return database.read(context -> cache == null ? selectDeviceState(context, userId, deviceId)
                : cache.readThrough(userId, deviceId, () -> selectDeviceState(context, userId, deviceId)));
    }

    /** Device states {@link #deviceState} answered from memory since the store opened (the metrics). */
    public long deviceStatesFromMemory() {
        return deviceStatesFromMemory.sum();
    }

    /** Device states {@link #deviceState} read from the database since the store opened (the metrics). */
    public long deviceStatesRead() {
        return deviceStatesRead.sum();
    }

    private static DeviceState selectDeviceState(ReadContext context, String userId, String deviceId) throws SQLException {
        PreparedStatement select = context.statement(SELECT_DEVICE_STATE);
        select.setString(1, userId);
        select.setString(2, deviceId);
        select.setString(3, userId);
        try (ResultSet row = select.executeQuery()) {
            row.next();
            return new DeviceState(row.getLong(1), row.getLong(2)); // SQL NULL (no row) reads as 0
        }
    }

    private static long lastSeq(ReadContext context, String userId) throws SQLException {
        PreparedStatement select = context.statement(SELECT_LAST_SEQ);
        select.setString(1, userId);
        try (ResultSet row = select.executeQuery()) {
            return row.next() ? row.getLong(1) : 0L;
        }
    }

    @Override
    public CompletableFuture<Void> advanceCursor(String userId, String deviceId, long seq) {
        // Batched: the cursors of a batch are written by one statement batch, not a round trip each.
        // The upsert keeps the maximum, so the order of the batch's cursor writes does not matter.
        return database.writer().submit(context -> {
            PreparedStatement upsert = context.batched(context.dialect().upsertCursor());
            upsert.setString(1, userId);
            upsert.setString(2, deviceId);
            upsert.setLong(3, seq);
            upsert.setLong(4, System.currentTimeMillis());
            upsert.addBatch();
            context.cursorWritten(userId, deviceId, seq);
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> purgeExpired(long olderThanMillis, long keepPerUser) {
        return database.writer().submit(context -> purge.run(context, olderThanMillis, keepPerUser));
    }

    @Override
    public CompletableFuture<List<String>> contactsOf(String userId, int limit) {
        return database.read(context -> {
            List<String> contacts = new ArrayList<>();
            PreparedStatement select = context.statement(SELECT_CONTACTS);
            for (int parameter = 1; parameter <= 3; parameter++) {
                select.setString(parameter, userId);
            }
            select.setInt(4, limit);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    contacts.add(rows.getString(1));
                }
            }
            return contacts;
        });
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
