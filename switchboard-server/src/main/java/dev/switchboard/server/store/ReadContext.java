package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link JdbcDatabase.Read} runs with: a connection in one read-only snapshot transaction and
 * its prepared statements. Statements from {@link #statement} belong to the context; the read must
 * not close them (it closes its result sets).
 *
 * <p>Two lifetimes:
 * <ul>
 *   <li><b>Kept</b> (SQLite): a reader thread keeps one connection for its life and every statement
 *       it has prepared. SQLite's JDBC driver caches no prepared statements, and preparing the
 *       handshake's device-state read was 35% of the reader's time when each read borrowed a pooled
 *       connection. A local file has no server to lose the connection to.</li>
 *   <li><b>Per read</b> (MariaDB, PostgreSQL): the connection is borrowed from the pool for one read
 *       and its statements are closed after it, so a connection broken by a database restart goes
 *       back to the pool, which replaces it. Their drivers cache prepared statements themselves.</li>
 * </ul>
 * Confined to one reader thread.
 */
final class ReadContext implements AutoCloseable {
    private final Connection connection;
    private final boolean keepsStatements;
    private final Map<String, PreparedStatement> kept;
    private final List<PreparedStatement> perRead;

    ReadContext(Connection connection, boolean keepsStatements) {
        this.connection = connection;
        this.keepsStatements = keepsStatements;
        this.kept = keepsStatements ? new HashMap<>() : Map.of();
        this.perRead = keepsStatements ? List.of() : new ArrayList<>(2);
    }

    Connection connection() {
        return connection;
    }

    /**
     * A prepared statement for {@code sql}, owned by this context. For constant SQL only: a kept
     * context keeps one statement per distinct string for the life of its thread.
     */
    PreparedStatement statement(String sql) throws SQLException {
        if (!keepsStatements) {
            PreparedStatement statement = connection.prepareStatement(sql);
            perRead.add(statement);
            return statement;
        }
        PreparedStatement statement = kept.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            kept.put(sql, statement);
        }
        return statement;
    }

    /** Ends the read's snapshot; the next statement starts a new one. The statements stay open. */
    void restartSnapshot() throws SQLException {
        connection.rollback();
    }

    /** Ends the read's transaction; a per-read context also closes its statements. */
    void endRead() throws SQLException {
        try {
            connection.rollback();
        } finally {
            if (!keepsStatements) {
                closeStatements(perRead);
                perRead.clear();
            }
        }
    }

    /** Closes the statements and gives the connection back to the pool. */
    @Override
    public void close() {
        closeStatements(keepsStatements ? kept.values() : perRead);
        try {
            connection.close();
        } catch (SQLException ignored) {
            // the pool discards a connection it cannot reset
        }
    }

    private static void closeStatements(Iterable<PreparedStatement> statements) {
        for (PreparedStatement statement : statements) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // closing a statement of a broken connection; the connection goes next
            }
        }
    }
}
