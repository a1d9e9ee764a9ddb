package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Records who has a 1:1 conversation with whom ({@code conversation_partner}, one row each way), the
 * users that presence events go to besides group co-members. Owned by the writer thread.
 *
 * @implNote A pair is written once, not per message: the table replaced an index on the messages'
 * target, a B-tree insert at a random position for every stored message that cost the single SQLite
 * writer about a quarter of its throughput (docs/BENCHMARKS.md). Pairs known to be stored are cached
 * (LRU, {@value #CACHE_SIZE} pairs), so a message of a known pair costs a hash lookup; a new pair is
 * inserted unless present at commit, with the batch's other new pairs, in sorted order (writers that
 * insert in one order cannot deadlock on them). Rows are never deleted, so a cached pair stays true
 * with any number of writers; a pair enters the cache only once its batch committed.
 */
final class ConversationPartners {
    private static final int CACHE_SIZE = 100_000;
    /** Rows inserted by one statement at most (a power of two; 2 parameters each). */
    private static final int MAX_INSERT_CHUNK = 512;

    private final SqlDialect dialect;
    /** Pairs known to be stored, each as {@link #key}. */
    private final Set<String> stored = Collections.newSetFromMap(new LeastRecentlyUsed<>(CACHE_SIZE));
    /** Pairs first seen in the current batch, each as {@link #key}. */
    private final Set<String> pending = new HashSet<>();
    /** The same pairs as rows, both ways: {user, partner}. */
    private final List<String[]> pendingRows = new ArrayList<>();

    ConversationPartners(SqlDialect dialect) {
        this.dialect = dialect;
    }

    /** Notes that {@code senderId} sent {@code targetId} a 1:1 message in the current batch. */
    void record(String senderId, String targetId) {
        if (senderId.equals(targetId)) {
            return; // a note to oneself makes no partner
        }
        String key = key(senderId, targetId);
        if (stored.contains(key) || !pending.add(key)) {
            return;
        }
        pendingRows.add(new String[] {senderId, targetId});
        pendingRows.add(new String[] {targetId, senderId});
    }

    /** Inserts the batch's new pairs inside its transaction; rows already present are left alone. */
    void beforeCommit(WriteContext context) throws SQLException {
        if (pendingRows.isEmpty()) {
            return;
        }
        pendingRows.sort((left, right) -> {
            int byUser = left[0].compareTo(right[0]);
            return byUser != 0 ? byUser : left[1].compareTo(right[1]);
        });
        StatementChunks.forEach(pendingRows.size(), MAX_INSERT_CHUNK, (from, size) -> {
            PreparedStatement insert = context.statement(dialect.insertPartnersIfAbsent(size));
            int parameter = 1;
            for (String[] row : pendingRows.subList(from, from + size)) {
                insert.setString(parameter++, row[0]);
                insert.setString(parameter++, row[1]);
            }
            insert.executeUpdate();
        });
    }

    /** The batch committed: its pairs are stored. */
    void commit() {
        stored.addAll(pending);
        clearPending();
    }

    /** The batch rolled back: its pairs may not be stored. */
    void rollback() {
        clearPending();
    }

    private void clearPending() {
        pending.clear();
        pendingRows.clear();
    }

    /** One key per unordered pair. */
    private static String key(String first, String second) {
        return first.compareTo(second) < 0 ? first + '\u0000' + second : second + '\u0000' + first;
    }
}
