package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConversationPartners} inside the writer's transaction, on a real SQLite database: what reaches
 * {@code conversation_partner} when a batch commits or rolls back.
 */
class ConversationPartnersTest {
    @TempDir
    Path dataDirectory;

    private Connection connection;
    private ConversationPartners partners;
    private WriteContext context;

    @BeforeEach
    void open() throws Exception {
        String url = "jdbc:sqlite:" + dataDirectory.resolve("partners.db").toAbsolutePath();
        Flyway.configure().dataSource(url, null, null).locations(SqlDialect.SQLITE.migrationLocation()).load().migrate();
        connection = DriverManager.getConnection(url);
        connection.setAutoCommit(false);
        partners = new ConversationPartners(SqlDialect.SQLITE);
        context = new WriteContext(connection, SqlDialect.SQLITE, new SequenceAllocator(SqlDialect.SQLITE), partners, null, null);
    }

    @AfterEach
    void close() {
        context.closeQuietly();
    }

    @Test
    void commit_storesThePairBothWays_onceForManyMessages() throws Exception {
        partners.record("alice", "bob");
        partners.record("bob", "alice");
        partners.record("alice", "bob");

        commitBatch();

        assertThat(rows()).containsExactly("alice>bob", "bob>alice");
    }

    @Test
    void record_writesNothing_whenSendingToYourself() throws Exception {
        partners.record("alice", "alice");

        commitBatch();

        assertThat(rows()).isEmpty();
    }

    @Test
    void record_writesThePairAgain_whenItsFirstBatchRolledBack() throws Exception {
        partners.record("alice", "bob");
        context.beforeCommit();
        context.afterRollback();
        assertThat(rows()).as("rolled back").isEmpty();

        partners.record("alice", "bob");
        commitBatch();

        assertThat(rows()).containsExactly("alice>bob", "bob>alice");
    }

    @Test
    void rollback_forgetsTheBatchsPairs_soTheNextBatchWritesOnlyItsOwn() throws Exception {
        partners.record("alice", "bob");
        context.afterRollback();

        partners.record("carol", "dave");
        commitBatch();

        assertThat(rows()).containsExactly("carol>dave", "dave>carol");
    }

    @Test
    void record_skipsAPairItStoredBefore_withoutAStatement() throws Exception {
        partners.record("alice", "bob");
        commitBatch();
        try (Statement delete = connection.createStatement()) {
            delete.executeUpdate("DELETE FROM conversation_partner"); // behind the cache's back
        }
        connection.commit();

        partners.record("bob", "alice");
        partners.record("carol", "alice");
        commitBatch();

        assertThat(rows()).as("only the new pair was written").containsExactly("alice>carol", "carol>alice");
    }

    @Test
    void commit_succeeds_whenThePairIsAlreadyStored() throws Exception {
        try (Statement insert = connection.createStatement()) {
            insert.executeUpdate("INSERT INTO conversation_partner VALUES ('alice', 'bob'), ('bob', 'alice')");
        }
        connection.commit();

        partners.record("alice", "bob");
        commitBatch();

        assertThat(rows()).containsExactly("alice>bob", "bob>alice");
    }

    private void commitBatch() throws Exception {
        context.beforeCommit();
        connection.commit();
        context.afterCommit();
    }

    private List<String> rows() throws Exception {
        List<String> rows = new ArrayList<>();
        try (Statement select = connection.createStatement();
             ResultSet result = select.executeQuery(
                     "SELECT user_id, partner_id FROM conversation_partner ORDER BY user_id, partner_id")) {
            while (result.next()) {
                rows.add(result.getString(1) + ">" + result.getString(2));
            }
        }
        return rows;
    }
}
