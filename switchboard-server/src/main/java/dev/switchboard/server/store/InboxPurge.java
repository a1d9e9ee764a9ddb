package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Retention: decides which inbox entries have expired, by age and by count per user, and has them
 * deleted with the messages nothing refers to any more: by {@link RowInboxPurge} where each entry is a
 * row (MariaDB, PostgreSQL), by {@link PackedInboxPurge} where the embedded store packs them into runs.
 *
 * @implNote Runs as one writer task, so it delays sends by its own duration; each statement is
 * capped at {@value #CHUNK} rows and one run deletes at most {@value #MAX_CHUNKS} chunks — a large
 * backlog is worked off over several runs instead of stalling the writer. {@code user_sequence} is
 * never touched: seqs stay unique after a purge, and the gap is reported to clients as truncated.
 * Entries expire by age through their message's id: message ids grow with creation time, so the
 * newest expired message is found by bisection over the id ({@link #lastMessageIdBefore}) and the
 * entries of it and older messages are deleted through an index on the message id. An index on
 * the entries' creation time would cost every stored message two more B-tree writes on the writer,
 * whose thread bounds durable throughput; the purge runs every few minutes.
 */
final class InboxPurge {
    private static final int CHUNK = 2000;
    private static final int MAX_CHUNKS = 25;
    private static final String SELECT_LONG_INBOXES = "SELECT user_id, last_seq FROM user_sequence WHERE last_seq > ?";
    private static final String SELECT_ID_RANGE = "SELECT MIN(id), MAX(id) FROM messages";
    private static final String SELECT_FIRST_FROM = "SELECT id, created_at FROM messages WHERE id >= ? ORDER BY id LIMIT 1";

    private final RowInboxPurge rows = new RowInboxPurge(CHUNK, MAX_CHUNKS);
    private final PackedInboxPurge packedRuns = new PackedInboxPurge(CHUNK, MAX_CHUNKS);

    long run(WriteContext context, long olderThanMillis, long keepPerUser) throws SQLException {
        context.flushQueued(); // reads inbox and messages: the rows queued by earlier tasks of the batch first
        PackedInbox packed = context.packedInbox();
        if (packed != null) {
            packed.packAll(context); // the embedded store's retention works on runs only
        }
        long deleted = 0;
        long expiredUpTo = olderThanMillis > 0 ? lastMessageIdBefore(context, olderThanMillis) : 0;
        if (expiredUpTo > 0) {
            deleted += packed != null
                    ? packedRuns.deleteUpToMessage(context, expiredUpTo)
                    : rows.deleteUpToMessage(context, expiredUpTo);
        }
        if (keepPerUser > 0) {
            Map<String, Long> lastExpiredSeqs = lastExpiredSeqs(context, keepPerUser);
            deleted += packed != null
                    ? packedRuns.deleteUpToSeqs(context, lastExpiredSeqs, (long) CHUNK * MAX_CHUNKS)
                    : rows.deleteUpToSeqs(context, lastExpiredSeqs);
        }
        if (packed == null) {
            rows.deleteUnreferencedMessages(context); // packed runs count their messages' entries instead
        }
        return deleted;
    }

    /**
     * The id of the newest message created before {@code olderThanMillis}, or 0 if none is: a bisection
     * over the id, about 40 primary-key lookups. It relies on creation time growing with the id, which
     * holds up to the clock differences between the nodes (or the event loops) that stamped the messages:
     * milliseconds against a retention of hours.
     */
    private static long lastMessageIdBefore(WriteContext context, long olderThanMillis) throws SQLException {
        long low;
        long high;
        try (ResultSet range = context.statement(SELECT_ID_RANGE).executeQuery()) {
            if (!range.next() || range.getObject(1) == null) {
                return 0; // no messages
            }
            low = range.getLong(1);
            high = range.getLong(2);
        }
        long[] first = firstFrom(context, low);
        if (first == null || first[1] >= olderThanMillis) {
            return 0; // even the oldest message is recent
        }
        low = first[0]; // invariant: low is a message created before the cutoff; the answer is in [low, high]
        while (low < high) {
            long middle = low + (high - low + 1) / 2;
            long[] row = firstFrom(context, middle);
            if (row != null && row[1] < olderThanMillis) {
                low = row[0];
            } else {
                high = middle - 1;
            }
        }
        return low;
    }

    /** {id, created_at} of the first message whose id is at least {@code id}, or null. */
    private static long[] firstFrom(WriteContext context, long id) throws SQLException {
        PreparedStatement select = context.statement(SELECT_FIRST_FROM);
        select.setLong(1, id);
        try (ResultSet row = select.executeQuery()) {
            return row.next() ? new long[] {row.getLong(1), row.getLong(2)} : null;
        }
    }

    /** Per user whose inbox is longer than {@code keepPerUser}, the last seq beyond the limit. */
    private static Map<String, Long> lastExpiredSeqs(WriteContext context, long keepPerUser) throws SQLException {
        Map<String, Long> lastExpired = new LinkedHashMap<>();
        PreparedStatement select = context.statement(SELECT_LONG_INBOXES);
        select.setLong(1, keepPerUser);
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                lastExpired.put(rows.getString(1), rows.getLong(2) - keepPerUser);
            }
        }
        return lastExpired;
    }
}
