package dev.switchboard.server.store;

import java.sql.DatabaseMetaData;
import java.sql.SQLException;

/**
 * The few statements that differ between the SQL databases Switchboard runs on, and how each one
 * behaves with more than one writer.
 *
 * <p>SQLite is the embedded single-node store: one process, one writer thread, so per-user sequence
 * numbers can be cached in memory. MariaDB/MySQL and PostgreSQL serve a cluster: several nodes write
 * at once, so a sequence row is locked ({@code SELECT … FOR UPDATE}) by the transaction that
 * advances it, and lock conflicts (deadlocks, serialization failures, a unique key taken by another
 * node a moment earlier) are transient: the writer rolls back and runs the batch again.
 */
public enum SqlDialect {
    SQLITE("sqlite") {
        @Override
        String upsertSequence() {
            return "INSERT INTO user_sequence (user_id, last_seq) VALUES (?, ?) "
                    + "ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq";
        }

        @Override
        String upsertCursor() {
            return "INSERT INTO device_cursor (user_id, device_id, acked_seq, updated_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (user_id, device_id) DO UPDATE SET "
                    + "acked_seq = MAX(acked_seq, excluded.acked_seq), updated_at = excluded.updated_at";
        }

        @Override
        String insertSequencesIfAbsent(int count) {
            return "INSERT OR IGNORE INTO user_sequence (user_id, last_seq) VALUES " + repeat("(?, 0)", count);
        }
    },
    MARIADB("mariadb") {
        @Override
        String upsertSequence() {
            return "INSERT INTO user_sequence (user_id, last_seq) VALUES (?, ?) "
                    + "ON DUPLICATE KEY UPDATE last_seq = VALUES(last_seq)";
        }

        @Override
        String upsertSequences(int count) {
            return "INSERT INTO user_sequence (user_id, last_seq) VALUES " + repeat("(?, ?)", count)
                    + " ON DUPLICATE KEY UPDATE last_seq = VALUES(last_seq)";
        }

        @Override
        String upsertCursor() {
            return "INSERT INTO device_cursor (user_id, device_id, acked_seq, updated_at) VALUES (?, ?, ?, ?) "
                    + "ON DUPLICATE KEY UPDATE acked_seq = GREATEST(acked_seq, VALUES(acked_seq)), "
                    + "updated_at = VALUES(updated_at)";
        }

        @Override
        String insertSequencesIfAbsent(int count) {
            // Not INSERT IGNORE: on an existing row that takes a shared lock, and two writers upgrading
            // shared locks to FOR UPDATE deadlock. This takes the exclusive lock at once.
            return "INSERT INTO user_sequence (user_id, last_seq) VALUES " + repeat("(?, 0)", count)
                    + " ON DUPLICATE KEY UPDATE last_seq = last_seq";
        }

        @Override
        String insertPartnersIfAbsent(int count) {
            // Not INSERT IGNORE, which would also turn other errors (a value too long) into warnings.
            return "INSERT INTO conversation_partner (user_id, partner_id) VALUES " + repeat("(?, ?)", count)
                    + " ON DUPLICATE KEY UPDATE partner_id = partner_id";
        }
    },
    POSTGRESQL("postgresql") {
        @Override
        String upsertSequence() {
            return SQLITE.upsertSequence();
        }

        @Override
        String upsertCursor() {
            return "INSERT INTO device_cursor (user_id, device_id, acked_seq, updated_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (user_id, device_id) DO UPDATE SET "
                    + "acked_seq = GREATEST(device_cursor.acked_seq, excluded.acked_seq), updated_at = excluded.updated_at";
        }

        @Override
        String insertSequencesIfAbsent(int count) {
            return "INSERT INTO user_sequence (user_id, last_seq) VALUES " + repeat("(?, 0)", count)
                    + " ON CONFLICT (user_id) DO NOTHING";
        }

        @Override
        String sequenceOrder() {
            return "user_id COLLATE \"C\""; // byte order: the order the writer sorts ids in (ASCII ids)
        }
    };

    private final String name;

    SqlDialect(String name) {
        this.name = name;
    }

    /** The dialect of a JDBC url ({@code jdbc:sqlite:}, {@code jdbc:mariadb:}/{@code jdbc:mysql:}, {@code jdbc:postgresql:}). */
    public static SqlDialect fromJdbcUrl(String url) {
        if (url.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        if (url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:")) {
            return MARIADB;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        throw new IllegalArgumentException("unsupported store url (sqlite, mariadb, mysql or postgresql): " + url);
    }

    /** Flyway location of this dialect's migrations. */
    String migrationLocation() {
        return "classpath:db/migration/" + name;
    }

    /**
     * True for a database across the network (MariaDB/MySQL, PostgreSQL): every statement executed on
     * its own costs a round trip there, so appends look up resends for the whole batch at once
     * ({@link SentMessageLookup}) and queue their rows for batched inserts ({@link QueuedMessages}).
     * SQLite runs in the process: it appends with one {@code INSERT … ON CONFLICT DO NOTHING RETURNING}
     * per message, which also detects a resend.
     */
    boolean queuesWrites() {
        return this != SQLITE;
    }

    /**
     * True when {@code INSERT … RETURNING} returns the inserted rows: SQLite, PostgreSQL, and MariaDB
     * from 10.5; not MySQL, which the MARIADB dialect also serves.
     */
    boolean insertsReturning(DatabaseMetaData database) throws SQLException {
        if (this != MARIADB) {
            return true;
        }
        int major = database.getDatabaseMajorVersion();
        return database.getDatabaseProductVersion().contains("MariaDB")
                && (major > 10 || (major == 10 && database.getDatabaseMinorVersion() >= 5));
    }

    /** True when one writer thread is the only writer of the database, so sequences may be cached. */
    boolean isSingleWriter() {
        return this == SQLITE;
    }

    /** Sets a user's last seq (insert or overwrite). Parameters: user id, last seq. */
    abstract String upsertSequence();

    /**
     * Sets the last seq of {@code count} users in one statement (insert or overwrite). Parameters: user
     * id, last seq, for each user.
     */
    String upsertSequences(int count) {
        return "INSERT INTO user_sequence (user_id, last_seq) VALUES " + repeat("(?, ?)", count)
                + " ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq";
    }

    /** Moves a device cursor to the maximum of old and new. Parameters: user, device, seq, updated at. */
    abstract String upsertCursor();

    /** Creates a user's sequence row at 0 unless it exists. Parameter: user id. */
    final String insertSequenceIfAbsent() {
        return insertSequencesIfAbsent(1);
    }

    /**
     * Creates the sequence rows of {@code count} users at 0 unless they exist; with several writers the
     * rows are locked exclusively, in the order of the parameters (the user ids).
     */
    abstract String insertSequencesIfAbsent(int count);

    /**
     * Reads and locks the sequence rows of {@code count} users (the parameters), in user id order:
     * columns user_id, last_seq. Several writers use it; one statement instead of one per user.
     */
    String selectSequencesForUpdate(int count) {
        return "SELECT user_id, last_seq FROM user_sequence WHERE user_id IN (" + repeat("?", count) + ") ORDER BY "
                + sequenceOrder() + " FOR UPDATE";
    }

    /** The ORDER BY of {@link #selectSequencesForUpdate}: the byte order in which the writer sorts user ids. */
    String sequenceOrder() {
        return "user_id"; // MariaDB/MySQL: the column's binary collation is byte order
    }

    private static String repeat(String element, int count) {
        return StatementChunks.repeat(element, count);
    }

    /** Reads a user's last seq; with several writers it also locks the row until commit. */
    String selectSequenceForUpdate() {
        return isSingleWriter()
                ? "SELECT last_seq FROM user_sequence WHERE user_id = ?"
                : "SELECT last_seq FROM user_sequence WHERE user_id = ? FOR UPDATE";
    }

    /**
     * Inserts {@code count} conversation partner rows unless present. Parameters: user id, partner id,
     * for each row. SQLite and PostgreSQL; MariaDB/MySQL overrides it.
     */
    String insertPartnersIfAbsent(int count) {
        return "INSERT INTO conversation_partner (user_id, partner_id) VALUES " + repeat("(?, ?)", count)
                + " ON CONFLICT (user_id, partner_id) DO NOTHING";
    }

    /**
     * True for failures that another attempt of the same transaction can avoid: deadlock,
     * serialization failure, lock wait timeout, or a unique key inserted by a concurrent writer.
     */
    boolean isTransient(SQLException error) {
        for (Throwable current = error; current != null; current = next(current)) {
            if (current instanceof SQLException sql) {
                String state = sql.getSQLState() == null ? "" : sql.getSQLState();
                if (state.startsWith("40") || state.equals("23505")
                        || (this == MARIADB && (sql.getErrorCode() == 1062 || sql.getErrorCode() == 1205
                        || sql.getErrorCode() == 1213))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The cause, or for a failed JDBC batch the failure of the statement inside it, which drivers chain as the next exception. */
    private static Throwable next(Throwable error) {
        if (error.getCause() == null && error instanceof SQLException sql) {
            return sql.getNextException();
        }
        return error.getCause();
    }
}
