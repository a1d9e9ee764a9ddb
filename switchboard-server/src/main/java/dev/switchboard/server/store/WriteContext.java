package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;

/**
 * What a {@link JdbcWriter.Task} gets: the writer's connection (inside an open transaction), a cache
 * of prepared statements, and the sequence allocator. Confined to the writer thread.
 */
final class WriteContext {
    private final Connection connection;
    private final SqlDialect dialect;
    private final SequenceAllocator sequences;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final Set<String> messagesWritten = new HashSet<>();
    private final Set<String> groupsChanged = new HashSet<>();

    WriteContext(Connection connection, SqlDialect dialect, SequenceAllocator sequences) {
        this.connection = connection;
        this.dialect = dialect;
        this.sequences = sequences;
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

    /** Allocates the next seq of {@code userId}'s inbox within the current transaction. */
    long nextSeq(String userId) throws SQLException {
        return sequences.next(userId, this);
    }

    /** Writes every sequence moved in this transaction: one row per user per batch, not per message. */
    void beforeCommit() throws SQLException {
        Map<String, Long> moved = sequences.pending();
        if (moved.isEmpty()) {
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

    void afterCommit() {
        sequences.commit();
    }

    /** Called before each attempt at a batch: forgets what an earlier (rolled back) attempt wrote. */
    void beginAttempt() {
        messagesWritten.clear();
        groupsChanged.clear();
    }

    /** Records that this attempt stored a message for (sender, client id). */
    void messageWritten(String senderId, String clientId) {
        messagesWritten.add(senderId + '\u0000' + clientId);
    }

    /** Whether an earlier task of this attempt stored a message for (sender, client id). */
    boolean wasMessageWritten(String senderId, String clientId) {
        return messagesWritten.contains(senderId + '\u0000' + clientId);
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

    /** Locks every reserved sequence, in one global order, so concurrent writers never deadlock on them. */
    void lockReservedSequences() throws SQLException {
        sequences.lockReserved(this);
    }

    /**
     * Undoes a failed attempt: the transaction, the sequence overlay, and any JDBC batch a statement
     * still holds (a retry must not re-send rows of the failed attempt).
     */
    void afterRollback() {
        sequences.rollback();
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
