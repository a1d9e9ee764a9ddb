package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Retention: deletes expired inbox entries and the messages nothing refers to any more.
 *
 * @implNote Runs as one writer task, so it delays sends by its own duration; each statement is
 * capped at {@value #CHUNK} rows and one run deletes at most {@value #MAX_CHUNKS} chunks — a large
 * backlog is worked off over several runs instead of stalling the writer. {@code user_sequence} is
 * never touched: seqs stay unique after a purge, and the gap is reported to clients as truncated.
 */
final class InboxPurge {
    private static final int CHUNK = 2000;
    private static final int MAX_CHUNKS = 25;
    private static final String SELECT_LONG_INBOXES = "SELECT user_id, last_seq FROM user_sequence WHERE last_seq > ?";
    private static final String DELETE_INBOX_UP_TO = "DELETE FROM inbox WHERE user_id = ? AND seq <= ?";

    long run(WriteContext context, long olderThanMillis, long keepPerUser) throws SQLException {
        long deleted = 0;
        if (olderThanMillis > 0) {
            PreparedStatement delete = context.statement(context.dialect().deleteOldInbox(CHUNK));
            for (int chunk = 0; chunk < MAX_CHUNKS; chunk++) {
                delete.setLong(1, olderThanMillis);
                int rows = delete.executeUpdate();
                deleted += rows;
                if (rows < CHUNK) {
                    break;
                }
            }
        }
        if (keepPerUser > 0) {
            deleted += trimLongInboxes(context, keepPerUser);
        }
        PreparedStatement orphans = context.statement(context.dialect().deleteOrphanMessages(CHUNK));
        for (int chunk = 0; chunk < MAX_CHUNKS; chunk++) {
            if (orphans.executeUpdate() < CHUNK) {
                break;
            }
        }
        return deleted;
    }

    private static long trimLongInboxes(WriteContext context, long keepPerUser) throws SQLException {
        List<String> users = new ArrayList<>();
        List<Long> limits = new ArrayList<>();
        PreparedStatement select = context.statement(SELECT_LONG_INBOXES);
        select.setLong(1, keepPerUser);
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                users.add(rows.getString(1));
                limits.add(rows.getLong(2) - keepPerUser);
            }
        }
        long deleted = 0;
        PreparedStatement delete = context.statement(DELETE_INBOX_UP_TO);
        for (int i = 0; i < users.size(); i++) {
            delete.setString(1, users.get(i));
            delete.setLong(2, limits.get(i));
            deleted += delete.executeUpdate();
        }
        return deleted;
    }
}
