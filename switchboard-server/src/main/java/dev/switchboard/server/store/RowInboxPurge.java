package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * Retention on a row per inbox entry (MariaDB/MySQL, PostgreSQL); {@link InboxPurge} decides what has
 * expired. The embedded store packs its entries and has {@link PackedInboxPurge} instead, so nothing
 * here is ever given SQLite's connection.
 *
 * <p>Entries expire by age through their message's id, deleted through the {@code inbox_by_message}
 * index, and by count per user through the primary key; messages go once no entry refers to them. Each
 * statement deletes at most {@code chunk} rows, and a step runs at most {@code maxChunks} of them.
 */
final class RowInboxPurge {
    private static final String DELETE_INBOX_UP_TO = "DELETE FROM inbox WHERE user_id = ? AND seq <= ?";

    private final int chunk;
    private final int maxChunks;

    RowInboxPurge(int chunk, int maxChunks) {
        this.chunk = chunk;
        this.maxChunks = maxChunks;
    }

    /** Deletes the entries of messages up to {@code expiredUpTo} (a message id). */
    long deleteUpToMessage(WriteContext context, long expiredUpTo) throws SQLException {
        long deleted = 0;
        PreparedStatement delete = context.statement(deleteOldEntries(context.dialect()));
        for (int round = 0; round < maxChunks; round++) {
            delete.setLong(1, expiredUpTo);
            int rows = delete.executeUpdate();
            deleted += rows;
            if (rows < chunk) {
                break;
            }
        }
        return deleted;
    }

    /** Deletes each user's entries up to the given seq. */
    long deleteUpToSeqs(WriteContext context, Map<String, Long> lastExpiredSeqs) throws SQLException {
        long deleted = 0;
        PreparedStatement delete = context.statement(DELETE_INBOX_UP_TO);
        for (Map.Entry<String, Long> user : lastExpiredSeqs.entrySet()) {
            delete.setString(1, user.getKey());
            delete.setLong(2, user.getValue());
            deleted += delete.executeUpdate();
        }
        return deleted;
    }

    /** Deletes the messages no entry refers to any more. */
    void deleteUnreferencedMessages(WriteContext context) throws SQLException {
        PreparedStatement orphans = context.statement(deleteOrphanMessages(context.dialect()));
        for (int round = 0; round < maxChunks; round++) {
            if (orphans.executeUpdate() < chunk) {
                break;
            }
        }
    }

    /**
     * At most {@code chunk} entries of messages up to the parameter. MariaDB/MySQL takes a LIMIT on a
     * DELETE but none in an IN subquery; PostgreSQL the other way round.
     */
    private String deleteOldEntries(SqlDialect dialect) {
        return dialect == SqlDialect.MARIADB
                ? "DELETE FROM inbox WHERE message_id <= ? LIMIT " + chunk
                : "DELETE FROM inbox WHERE (user_id, seq) IN "
                        + "(SELECT user_id, seq FROM inbox WHERE message_id <= ? LIMIT " + chunk + ")";
    }

    /** At most {@code chunk} messages no entry refers to, in the same two forms as {@link #deleteOldEntries}. */
    private String deleteOrphanMessages(SqlDialect dialect) {
        return dialect == SqlDialect.MARIADB
                ? "DELETE FROM messages WHERE NOT EXISTS "
                        + "(SELECT 1 FROM inbox i WHERE i.message_id = messages.id) LIMIT " + chunk
                : "DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m WHERE NOT EXISTS "
                        + "(SELECT 1 FROM inbox i WHERE i.message_id = m.id) LIMIT " + chunk + ")";
    }
}
