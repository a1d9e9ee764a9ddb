package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hands out per-user inbox sequence numbers on the writer thread, inside the writer's transaction.
 *
 * @implNote Values moved by the current batch live in an overlay until the batch commits, so a
 * rolled-back batch leaves everything exactly as the database is. With a single writer per database
 * (SQLite) committed values are also cached (LRU, {@value #CACHE_SIZE} users) and the hot path does no
 * read at all. With several writers (a cluster on MariaDB or PostgreSQL) nothing may be cached: the
 * first use of a user in a batch creates the row if needed and reads it with {@code FOR UPDATE}, so
 * the row stays locked until this batch commits and a concurrent node waits instead of handing out
 * the same seq. One lock per user per batch, not per message. Tasks {@link #reserve} their users in
 * a first pass and the batch locks them all in sorted order before the first write, a chunk of users
 * per statement: writers that lock in one global order cannot deadlock on sequence rows.
 */
final class SequenceAllocator {
    private static final int CACHE_SIZE = 100_000;
    /** Users locked by one statement at most (a power of two). */
    private static final int MAX_LOCK_CHUNK = 512;

    private final SqlDialect dialect;
    private final Map<String, Long> committed = new LeastRecentlyUsed<>(CACHE_SIZE);
    private final Map<String, Long> pending = new HashMap<>();
    private final TreeSet<String> reserved = new TreeSet<>();

    SequenceAllocator(SqlDialect dialect) {
        this.dialect = dialect;
    }

    long next(String userId, WriteContext context) throws SQLException {
        Long current = pending.get(userId);
        if (current == null && dialect.isSingleWriter()) {
            current = committed.get(userId);
        }
        if (current == null) {
            current = load(userId, context);
        }
        long next = current + 1;
        pending.put(userId, next);
        return next;
    }

    /** Remembers users whose rows {@link #lockReserved} will lock; sorted, so every writer locks in the same order. */
    void reserve(Collection<String> userIds) {
        if (!dialect.isSingleWriter()) {
            reserved.addAll(userIds);
        }
    }

    /**
     * Locks every reserved user's row in sorted order and loads its value into the overlay. Two
     * batches that lock overlapping users in the same order cannot deadlock on them.
     */
    void lockReserved(WriteContext context) throws SQLException {
        List<String> users = new ArrayList<>(reserved.size());
        for (String userId : reserved) {
            if (!pending.containsKey(userId)) {
                users.add(userId);
            }
        }
        reserved.clear();
        StatementChunks.forEach(users.size(), MAX_LOCK_CHUNK,
                (from, size) -> lockChunk(users.subList(from, from + size), context));
    }

    /**
     * Creates and locks the rows of {@code users} (sorted) with two statements, whatever their number.
     *
     * @implNote Against a networked database every statement is a round trip: one insert and one
     * select per user made the lock phase of a 512-message batch hundreds of round trips, and bounded
     * cluster throughput (docs/BENCHMARKS.md). See {@link StatementChunks}.
     */
    private void lockChunk(List<String> users, WriteContext context) throws SQLException {
        PreparedStatement insert = context.statement(dialect.insertSequencesIfAbsent(users.size()));
        PreparedStatement select = context.statement(dialect.selectSequencesForUpdate(users.size()));
        for (int i = 0; i < users.size(); i++) {
            insert.setString(i + 1, users.get(i));
            select.setString(i + 1, users.get(i));
        }
        insert.executeUpdate();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                pending.put(rows.getString(1), rows.getLong(2));
            }
        }
        for (String userId : users) {
            if (!pending.containsKey(userId)) {
                throw new SQLException("sequence row of " + userId + " missing after insert");
            }
        }
    }

    Map<String, Long> pending() {
        return pending;
    }

    void commit() {
        if (dialect.isSingleWriter()) {
            committed.putAll(pending);
        }
        pending.clear();
    }

    /**
     * Drops every cached value after a failure: a commit that failed ambiguously may or may not have
     * advanced them, so they are read from the database again.
     */
    void forgetCached() {
        committed.clear();
        pending.clear();
    }

    void rollback() {
        pending.clear();
        reserved.clear();
    }

    private long load(String userId, WriteContext context) throws SQLException {
        if (!dialect.isSingleWriter()) {
            PreparedStatement insert = context.statement(dialect.insertSequenceIfAbsent());
            insert.setString(1, userId);
            insert.executeUpdate();
        }
        PreparedStatement select = context.statement(dialect.selectSequenceForUpdate());
        select.setString(1, userId);
        try (ResultSet result = select.executeQuery()) {
            return result.next() ? result.getLong(1) : 0L;
        }
    }
}
