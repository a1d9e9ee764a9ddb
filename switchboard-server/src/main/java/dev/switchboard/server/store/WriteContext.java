package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link JdbcWriter.Task} gets: the writer's connection (inside an open transaction), a cache
 * of prepared statements, the sequence allocator, and the batch's queued writes. Confined to the
 * writer thread.
 *
 * <p>Queued writes: rows a task adds to a {@link #batched} statement or to {@link #queuedMessages}
 * reach the database when the writer calls {@link #flushQueued}, after the batch's last task has
 * run and before commit. A task that reads rows an earlier task of the same batch may have queued
 * (messages, inbox entries, device cursors) calls {@link #flushQueued} first.
 */
final class WriteContext {
    private final Connection connection;
    private final SqlDialect dialect;
    private final SequenceAllocator sequences;
    private final ConversationPartners partners;
    /** The embedded store's inbox; null for MariaDB and PostgreSQL, whose entries are rows of {@code inbox}. */
    private final PackedInbox packedInbox;
    /** Told about each commit's seqs and cursors (SQLite), else null. */
    private final DeviceStateCache deviceStates;
    /** The cursors this attempt wrote, the largest per device; kept only for {@link #deviceStates}. */
    private final Map<DeviceStateCache.CursorKey, Long> cursorsWritten = new HashMap<>();
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final Set<String> messagesWritten = new HashSet<>();
    private final Set<String> groupsChanged = new HashSet<>();
    private final SentMessageLookup sentMessages = new SentMessageLookup();
    private final QueuedMessages queuedMessages = new QueuedMessages();
    /** Statements with rows added by {@link #batched} since the last flush, in order of first use. */
    private final Map<String, PreparedStatement> batchedStatements = new LinkedHashMap<>();

    private final boolean insertsReturning;
    /** Sequence rows written by one statement at most (a power of two). */
    private static final int MAX_SEQUENCE_CHUNK = 1024;

    WriteContext(Connection connection, SqlDialect dialect, SequenceAllocator sequences, ConversationPartners partners,
                 PackedInbox packedInbox, DeviceStateCache deviceStates) throws SQLException {
        this.connection = connection;
        this.dialect = dialect;
        this.sequences = sequences;
        this.partners = partners;
        this.packedInbox = packedInbox;
        this.deviceStates = deviceStates;
        this.insertsReturning = dialect.insertsReturning(connection.getMetaData());
    }

    /** True when {@code INSERT … RETURNING} works on this database (see {@link SqlDialect#insertsReturning}). */
    boolean insertsReturning() {
        return insertsReturning;
    }

    Connection connection() {
        return connection;
    }

    SqlDialect dialect() {
        return dialect;
    }

    /** A prepared statement for {@code sql}, reused for the life of the connection. */
    PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return statement;
    }

    /** Like {@link #statement} but returning generated keys. */
    PreparedStatement insertReturningKeys(String sql) throws SQLException {
        String key = "keys:" + sql;
        PreparedStatement statement = statements.get(key);
        if (statement == null) {
            statement = connection.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS);
            statements.put(key, statement);
        }
        return statement;
    }

    /**
     * A prepared statement to which a task adds rows ({@code addBatch}) instead of executing it: the
     * rows are executed with one batch per statement by {@link #flushQueued}, so they must not depend
     * on the order of other writes of the batch (an upsert to a maximum, say).
     */
    PreparedStatement batched(String sql) throws SQLException {
        PreparedStatement statement = batchedStatements.get(sql);
        if (statement == null) {
            statement = statement(sql);
            batchedStatements.put(sql, statement);
        }
        return statement;
    }

    /** The embedded store's inbox (SQLite), or null where entries are rows of {@code inbox}. */
    PackedInbox packedInbox() {
        return packedInbox;
    }

    /** The lookup of messages stored before, which appends request in their prepare phase (see {@link #afterPrepare}). */
    SentMessageLookup sentMessages() {
        return sentMessages;
    }

    /** The messages this batch's appends queued (with {@link SqlDialect#queuesWrites()}). */
    QueuedMessages queuedMessages() {
        return queuedMessages;
    }

    /**
     * Between the prepare and the run phase: locks every reserved sequence, in one global order so
     * concurrent writers never deadlock on them, and runs the requested lookups of sent messages.
     */
    void afterPrepare() throws SQLException {
        sequences.lockReserved(this);
        sentMessages.run(this);
    }

    /** Writes every row queued so far: the queued messages with their inbox entries, then each {@link #batched} statement. */
    void flushQueued() throws SQLException {
        queuedMessages.flush(this);
        for (PreparedStatement statement : batchedStatements.values()) {
            statement.executeBatch();
        }
        batchedStatements.clear();
    }

    /** Allocates the next seq of {@code userId}'s inbox within the current transaction. */
    long nextSeq(String userId) throws SQLException {
        return sequences.next(userId, this);
    }

    /** Notes a 1:1 message from {@code senderId} to {@code targetId}: they are conversation partners. */
    void recordPartners(String senderId, String targetId) {
        partners.record(senderId, targetId);
    }

    /**
     * Writes what the batch's tasks noted for commit: the conversation partners new in this batch,
     * and every sequence moved in this transaction, one row per user per batch, not per message.
     * Across the network by multi-row statements of up to {@value #MAX_SEQUENCE_CHUNK} users
     * ({@link StatementChunks}), in process by a JDBC batch.
     */
    void beforeCommit() throws SQLException {
        partners.beforeCommit(this);
        if (packedInbox != null) {
            packedInbox.beforeCommit(this);
        }
        Map<String, Long> moved = sequences.pending();
        if (moved.isEmpty()) {
            return;
        }
        if (dialect.queuesWrites()) {
            List<Map.Entry<String, Long>> rows = new ArrayList<>(moved.entrySet());
            StatementChunks.forEach(rows.size(), MAX_SEQUENCE_CHUNK, (from, size) -> {
                PreparedStatement upsert = statement(dialect.upsertSequences(size));
                int parameter = 1;
                for (Map.Entry<String, Long> row : rows.subList(from, from + size)) {
                    upsert.setString(parameter++, row.getKey());
                    upsert.setLong(parameter++, row.getValue());
                }
                upsert.executeUpdate();
            });
            return;
        }
        PreparedStatement upsert = statement(dialect.upsertSequence());
        for (Map.Entry<String, Long> entry : moved.entrySet()) {
            upsert.setString(1, entry.getKey());
            upsert.setLong(2, entry.getValue());
            upsert.addBatch();
        }
        upsert.executeBatch();
    }

    /**
     * After the commit, before any write's future completes: the device states in memory learn the
     * seqs and cursors it wrote, so a handshake that follows an acknowledged write sees it.
     */
    void afterCommit() {
        if (deviceStates != null) {
            try {
                deviceStates.committed(sequences.pending(), cursorsWritten);
            } catch (RuntimeException e) {
                deviceStates.clear(); // the commit stands: a failure here must not undo what follows
            }
            cursorsWritten.clear();
        }
        sequences.commit();
        partners.commit();
        if (packedInbox != null) {
            packedInbox.afterCommit();
        }
    }

    /**
     * Called before each attempt at a batch: forgets what an earlier (rolled back) attempt wrote. The
     * embedded store's inbox may pack its log here, in the attempt's transaction.
     */
    void beginAttempt() throws SQLException {
        cursorsWritten.clear();
        messagesWritten.clear();
        groupsChanged.clear();
        sentMessages.clear();
        queuedMessages.clear();
        batchedStatements.clear();
        if (packedInbox != null) {
            packedInbox.beginAttempt(this);
        }
    }

    /** Records that this attempt wrote a device's cursor (the stored cursor is the larger of it and the old one). */
    void cursorWritten(String userId, String deviceId, long seq) {
        if (deviceStates != null) {
            cursorsWritten.merge(new DeviceStateCache.CursorKey(userId, deviceId), seq, Math::max);
        }
    }

    /** Records that this attempt stored a message for (sender, client id). */
    void messageWritten(String senderId, String clientId) {
        messagesWritten.add(AppendRequest.sentKey(senderId, clientId));
    }

    /** Whether an earlier task of this attempt stored a message for (sender, client id). */
    boolean wasMessageWritten(String senderId, String clientId) {
        return messagesWritten.contains(AppendRequest.sentKey(senderId, clientId));
    }

    /** Records that this attempt changed a group's membership. */
    void groupChanged(String groupId) {
        groupsChanged.add(groupId);
    }

    /** Whether an earlier task of this attempt changed the group's membership. */
    boolean wasGroupChanged(String groupId) {
        return groupsChanged.contains(groupId);
    }

    /** Asks for {@code userIds}' sequences to be locked before any task of this batch writes. */
    void reserveSequences(Collection<String> userIds) {
        sequences.reserve(userIds);
    }

    /**
     * Undoes a failed attempt: the transaction, the sequence overlay, and any JDBC batch a statement
     * still holds (a retry must not re-send rows of the failed attempt).
     */
    void afterRollback() {
        if (deviceStates != null) {
            deviceStates.clear(); // the commit may have failed after taking effect
        }
        cursorsWritten.clear();
        sequences.rollback();
        partners.rollback();
        if (packedInbox != null && packedInbox.afterRollback()) {
            // The entries had no unique key to catch a seq reused after a commit of unknown outcome.
            sequences.forgetCached();
        }
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.clearBatch();
            } catch (SQLException ignored) {
                // a statement that cannot clear its batch belongs to a broken connection, replaced anyway
            }
        }
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is replaced after a failed batch anyway
        }
    }

    /** True while the connection still answers (a failed batch may have broken it). */
    boolean isUsable() {
        try {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    void closeQuietly() {
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // closing a statement of a connection we are discarding
            }
        }
        statements.clear();
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already broken
        }
    }
}
