package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code inbox_run} rows ({@link InboxRun}) from logged entries: for the writer's merges and
 * for the packing of the whole log when the store opens ({@link PackedInbox}).
 */
final class InboxRunWrites {
    /** Log rows packed per transaction when the store opens. */
    static final int RECOVERY_CHUNK = 65_536;
    static final String INSERT_RUN = "INSERT INTO inbox_run "
            + "(user_id, last_seq, first_seq, first_message_id, last_message_id, message_ids) VALUES (?, ?, ?, ?, ?, ?)";
    private static final String SELECT_LOG_CHUNK = PackedInbox.SELECT_LOG + " LIMIT " + RECOVERY_CHUNK;
    private static final String DELETE_LOG_THROUGH = "DELETE FROM inbox_log WHERE rowid <= ?";

    private InboxRunWrites() {
    }

    /** Packs the oldest {@value #RECOVERY_CHUNK} log rows into runs and deletes them; returns how many. */
    static int packLogChunk(Connection connection) throws SQLException {
        Map<String, List<EntryRef>> byUser = new LinkedHashMap<>();
        long lastRowId = 0;
        int rows = 0;
        try (Statement select = connection.createStatement(); ResultSet row = select.executeQuery(SELECT_LOG_CHUNK)) {
            while (row.next()) {
                lastRowId = row.getLong(1);
                byUser.computeIfAbsent(row.getString(2), user -> new ArrayList<>())
                        .add(new EntryRef(row.getLong(3), row.getLong(4)));
                rows++;
            }
        }
        if (rows == 0) {
            return 0;
        }
        for (Map.Entry<String, List<EntryRef>> user : byUser.entrySet()) {
            requireRisingSeqs(user.getKey(), user.getValue()); // the store then does not open: see the method
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_RUN);
             PreparedStatement delete = connection.prepareStatement(DELETE_LOG_THROUGH)) {
            for (Map.Entry<String, List<EntryRef>> user : byUser.entrySet()) {
                addRuns(insert, user.getKey(), user.getValue());
            }
            insert.executeBatch();
            delete.setLong(1, lastRowId);
            delete.executeUpdate();
        }
        return rows;
    }

    /**
     * Adds to {@code insert}'s batch the runs of one user's entries (in seq order): a new run at every
     * gap in the seqs and every {@value InboxRun#MAX_ENTRIES} entries.
     */
    static void addRuns(PreparedStatement insert, String userId, List<EntryRef> entries) throws SQLException {
        int from = 0;
        while (from < entries.size()) {
            int to = from + 1;
            while (to < entries.size() && to - from < InboxRun.MAX_ENTRIES
                    && entries.get(to).seq() == entries.get(to - 1).seq() + 1) {
                to++;
            }
            long[] messageIds = new long[to - from];
            for (int i = from; i < to; i++) {
                messageIds[i - from] = entries.get(i).messageId();
            }
            bindRun(insert, userId, new InboxRun(entries.get(from).seq(), messageIds));
            insert.addBatch();
            from = to;
        }
    }

    /** Sets the six parameters of {@link #INSERT_RUN}. */
    static void bindRun(PreparedStatement insert, String userId, InboxRun run) throws SQLException {
        insert.setString(1, userId);
        insert.setLong(2, run.lastSeq());
        insert.setLong(3, run.firstSeq());
        insert.setLong(4, run.firstMessageId());
        insert.setLong(5, run.lastMessageId());
        insert.setBytes(6, run.packedMessageIds());
    }

    /**
     * A seq logged twice would make overlapping runs, and the reader could not tell which entry is
     * right: refuses to pack them. The writer's cache of sequences is dropped after every failed
     * commit that may have taken effect, so this should never fire; if it does, every merge, and so
     * every write, fails and the node turns not ready, rather than storing a corrupt inbox.
     */
    static void requireRisingSeqs(String userId, List<EntryRef> entries) throws SQLException {
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).seq() <= entries.get(i - 1).seq()) {
                throw new SQLException("inbox of " + userId + " has seq " + entries.get(i).seq() + " after "
                        + entries.get(i - 1).seq());
            }
        }
    }
}
