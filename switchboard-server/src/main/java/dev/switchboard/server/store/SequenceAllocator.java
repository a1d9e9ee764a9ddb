package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hands out per-user inbox sequence numbers on the writer thread.
 *
 * @implNote Committed values are cached (LRU, {@value #CACHE_SIZE} users) so the hot path does no
 * read; a miss reads {@code user_sequence} inside the writer's transaction. Values moved by the
 * current batch live in a separate overlay until the batch commits, so a rolled-back batch leaves
 * the cache exactly as the database is. Correct only with a single writer per database, which
 * {@link JdbcWriter} guarantees for SQLite.
 */
final class SequenceAllocator {
    private static final int CACHE_SIZE = 100_000;
    private static final String SELECT_LAST_SEQ = "SELECT last_seq FROM user_sequence WHERE user_id = ?";

    private final Map<String, Long> committed = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > CACHE_SIZE;
        }
    };
    private final Map<String, Long> pending = new HashMap<>();

    long next(String userId, WriteContext context) throws SQLException {
        Long current = pending.get(userId);
        if (current == null) {
            current = committed.get(userId);
        }
        if (current == null) {
            current = load(userId, context);
        }
        long next = current + 1;
        pending.put(userId, next);
        return next;
    }

    Map<String, Long> pending() {
        return pending;
    }

    void commit() {
        committed.putAll(pending);
        pending.clear();
    }

    void rollback() {
        pending.clear();
    }

    private static long load(String userId, WriteContext context) throws SQLException {
        PreparedStatement select = context.statement(SELECT_LAST_SEQ);
        select.setString(1, userId);
        try (ResultSet result = select.executeQuery()) {
            return result.next() ? result.getLong(1) : 0L;
        }
    }
}
