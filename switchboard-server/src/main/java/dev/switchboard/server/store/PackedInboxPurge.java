package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Retention on the embedded store's inbox runs ({@link PackedInbox}); {@link InboxPurge} decides what
 * has expired and calls this after packing the log, so every entry is in a run.
 *
 * <p>A run loses its expired head: it is deleted, or rewritten with the entries that are left. A
 * message goes when its last entry goes: by age, every entry of a message up to the cutoff expires,
 * so those messages are deleted by id once no run holds such an entry any more; by count, each
 * deleted entry releases one of its message's {@code inbox_refs}. Work per call is bounded like
 * {@link InboxPurge}'s: a backlog is worked off over several purges.
 */
final class PackedInboxPurge {
    /** Runs read per statement. */
    private static final int RUN_CHUNK = 500;
    private static final String SELECT_RUNS_UP_TO_MESSAGE =
            "SELECT id, first_seq, message_ids FROM inbox_run WHERE first_message_id <= ? LIMIT " + RUN_CHUNK;
    /** A run holding a seq up to L ends before L + MAX_ENTRIES: that bound keeps the lookup a range of the index. */
    private static final String SELECT_RUNS_OF_USER_UP_TO_SEQ = "SELECT id, first_seq, message_ids FROM inbox_run "
            + "WHERE user_id = ? AND last_seq < ? AND first_seq <= ? ORDER BY last_seq";
    private static final String DELETE_RUN = "DELETE FROM inbox_run WHERE id = ?";
    private static final String UPDATE_RUN_HEAD =
            "UPDATE inbox_run SET first_seq = ?, first_message_id = ?, message_ids = ? WHERE id = ?";
    private static final String RELEASE_MESSAGE = "UPDATE messages SET inbox_refs = inbox_refs - 1 WHERE id = ?";
    private static final String DELETE_UNREFERENCED_MESSAGE = "DELETE FROM messages WHERE id = ? AND inbox_refs <= 0";

    private record StoredRun(long rowId, InboxRun run) {
    }

    private final int chunk;
    private final int maxChunks;

    /** {@code chunk} rows per statement and {@code maxChunks} statements per step at most, as {@link InboxPurge}. */
    PackedInboxPurge(int chunk, int maxChunks) {
        this.chunk = chunk;
        this.maxChunks = maxChunks;
    }

    /** Deletes every entry of the messages up to {@code expiredUpTo}, then those messages; returns the entries deleted. */
    long deleteUpToMessage(WriteContext context, long expiredUpTo) throws SQLException {
        long deleted = 0;
        PreparedStatement select = context.statement(SELECT_RUNS_UP_TO_MESSAGE);
        for (int round = 0; round < maxChunks; round++) {
            select.setLong(1, expiredUpTo);
            List<StoredRun> runs = storedRuns(select);
            for (StoredRun stored : runs) {
                int expired = stored.run().countUpToMessage(expiredUpTo);
                dropHead(context, stored, expired); // a run whose head it trims leaves this selection
                deleted += expired;
            }
            if (runs.size() < RUN_CHUNK) {
                deleteMessagesUpTo(context, expiredUpTo); // no entry refers to them any more
                break;
            }
        }
        return deleted;
    }

    /**
     * Deletes each user's entries up to the given seq, about {@code budget} at most (whole runs, so it
     * may go over by less than a run); a purge that stops at the budget leaves the rest to the next one.
     * Returns the entries deleted.
     */
    long deleteUpToSeqs(WriteContext context, Map<String, Long> lastExpiredSeqs, long budget) throws SQLException {
        long deleted = 0;
        for (Map.Entry<String, Long> user : lastExpiredSeqs.entrySet()) {
            if (deleted >= budget) {
                break;
            }
            deleted += deleteUpToSeq(context, user.getKey(), user.getValue(), budget - deleted);
        }
        return deleted;
    }

    /**
     * Deletes {@code userId}'s entries up to {@code lastExpiredSeq}, at most {@code budget} of them
     * (the oldest first; whole runs, so it may go over by less than a run); returns how many.
     */
    private long deleteUpToSeq(WriteContext context, String userId, long lastExpiredSeq, long budget) throws SQLException {
        PreparedStatement select = context.statement(SELECT_RUNS_OF_USER_UP_TO_SEQ);
        select.setString(1, userId);
        select.setLong(2, lastExpiredSeq + InboxRun.MAX_ENTRIES);
        select.setLong(3, lastExpiredSeq);
        long deleted = 0;
        PreparedStatement release = context.statement(RELEASE_MESSAGE);
        PreparedStatement deleteMessage = context.statement(DELETE_UNREFERENCED_MESSAGE);
        for (StoredRun stored : storedRuns(select)) {
            if (deleted >= budget) {
                break;
            }
            int expired = (int) Math.min(stored.run().messageIds().length, lastExpiredSeq - stored.run().firstSeq() + 1);
            for (int i = 0; i < expired; i++) {
                long messageId = stored.run().messageIds()[i];
                release.setLong(1, messageId);
                release.addBatch();
                deleteMessage.setLong(1, messageId);
                deleteMessage.addBatch();
            }
            dropHead(context, stored, expired);
            deleted += expired;
        }
        release.executeBatch();
        deleteMessage.executeBatch();
        return deleted;
    }

    private static List<StoredRun> storedRuns(PreparedStatement select) throws SQLException {
        List<StoredRun> runs = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) {
                runs.add(new StoredRun(row.getLong(1), InboxRun.unpack(row.getLong(2), row.getBytes(3))));
            }
        }
        return runs;
    }

    /** Deletes the first {@code count} entries of a stored run: the whole row, or its head. */
    private static void dropHead(WriteContext context, StoredRun stored, int count) throws SQLException {
        if (count <= 0) {
            return;
        }
        if (count >= stored.run().messageIds().length) {
            PreparedStatement delete = context.statement(DELETE_RUN);
            delete.setLong(1, stored.rowId());
            delete.executeUpdate();
            return;
        }
        InboxRun rest = stored.run().withoutFirst(count);
        PreparedStatement update = context.statement(UPDATE_RUN_HEAD);
        update.setLong(1, rest.firstSeq());
        update.setLong(2, rest.firstMessageId());
        update.setBytes(3, rest.packedMessageIds());
        update.setLong(4, stored.rowId());
        update.executeUpdate();
    }

    private void deleteMessagesUpTo(WriteContext context, long messageId) throws SQLException {
        PreparedStatement delete = context.statement(
                "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE id <= ? LIMIT " + chunk + ")");
        for (int round = 0; round < maxChunks; round++) {
            delete.setLong(1, messageId);
            if (delete.executeUpdate() < chunk) {
                break;
            }
        }
    }
}
