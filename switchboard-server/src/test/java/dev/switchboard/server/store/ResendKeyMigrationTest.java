package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.TargetKind;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema version 6 of the embedded store: the messages table rebuilt with its resend key indexed
 * client id first. What a store of version 5 must keep through it: every row and column, the id
 * sequence (ids are never reused, even those of purged messages), and resends found as duplicates.
 */
class ResendKeyMigrationTest {
    private static final long TIMEOUT_SECONDS = 60;
    private static final long CREATED_AT = 1_700_000_000_000L;

    @TempDir
    Path dataDirectory;

    @Test
    void open_keepsMessagesIdsAndResends_whenMigratingFromSchemaVersion5() throws Exception {
        migrateTo("5");
        for (int id = 1; id <= 4; id++) {
            storeAsVersion5(id, "alice", "bob", "old" + id);
        }
        storeAsVersion5(5, "bob", "alice", "old1");
        execute("INSERT INTO user_sequence VALUES ('alice', 5), ('bob', 5)");
        // The newest message purged, as retention does: its id must not come back.
        execute("DELETE FROM inbox_log WHERE message_id = 5");
        execute("DELETE FROM messages WHERE id = 5");
        List<String> before = rows();

        JdbcMessageStore store = new JdbcMessageStore(TestDatabase.sqlite(dataDirectory));
        try {
            assertThat(rows()).as("every row and column").containsExactlyElementsOf(before);
            assertThat(indexColumns("messages_by_client_id")).containsExactly("client_id", "sender_id");
            assertThat(uniqueIndexes()).as("the old key went with the old table").containsExactly("messages_by_client_id");
            assertThat(sequences()).as("the id sequence, once, under the table's name").containsExactly("messages=5");

            AppendResult resend = await(store, request("alice", "bob", "old2"));
            assertThat(resend.duplicate()).isTrue();
            assertThat(resend.message().id()).isEqualTo(2);
            assertThat(resend.senderSeq()).isEqualTo(2);

            AppendResult next = await(store, request("carol", "bob", "old1"));
            assertThat(next.duplicate()).as("the same client id from another sender").isFalse();
            assertThat(next.message().id()).as("after the purged id 5 (a resend's insert may take one too)").isGreaterThan(5);
            assertThat(await(store, request("carol", "bob", "old1")).duplicate()).isTrue();
        } finally {
            store.close();
        }
    }

    @Test
    void open_keepsTheIdSequence_whenTheMigratedTableIsEmpty() throws Exception {
        migrateTo("5");
        storeAsVersion5(1, "alice", "bob", "only");
        execute("DELETE FROM inbox_log");
        execute("DELETE FROM messages");

        JdbcMessageStore store = new JdbcMessageStore(TestDatabase.sqlite(dataDirectory));
        try {
            AppendResult next = await(store, request("alice", "bob", "only"));
            assertThat(next.duplicate()).as("its key went with the purged message").isFalse();
            assertThat(next.message().id()).isEqualTo(2);
        } finally {
            store.close();
        }
    }

    private void migrateTo(String version) {
        Flyway.configure().dataSource(url(), null, null).locations(SqlDialect.SQLITE.migrationLocation())
                .target(version).load().migrate();
    }

    /** A 1:1 message as version 5 stored it: the row, and one logged inbox entry each for both users. */
    private void storeAsVersion5(long id, String sender, String target, String clientId) throws SQLException {
        execute("INSERT INTO messages (id, sender_id, sender_device, target_kind, target_id, client_id, body, "
                + "created_at, inbox_refs) VALUES (" + id + ", '" + sender + "', 'phone', 'user', '" + target + "', '"
                + clientId + "', '\"v5\"', " + (CREATED_AT + id) + ", 2)");
        execute("INSERT INTO inbox_log (user_id, seq, message_id) VALUES ('" + target + "', " + id + ", " + id
                + "), ('" + sender + "', " + id + ", " + id + ")");
    }

    private static AppendRequest request(String sender, String target, String clientId) {
        return new AppendRequest(sender, "phone", TargetKind.USER, target, clientId, "\"v6\"", CREATED_AT);
    }

    /** Every message row, all nine columns, in id order. */
    private List<String> rows() throws SQLException {
        return query("SELECT id, sender_id, sender_device, target_kind, target_id, client_id, body, created_at, "
                + "inbox_refs FROM messages ORDER BY id");
    }

    private List<String> indexColumns(String index) throws SQLException {
        return query("SELECT name FROM pragma_index_info('" + index + "') ORDER BY seqno");
    }

    private List<String> uniqueIndexes() throws SQLException {
        return query("SELECT name FROM pragma_index_list('messages') WHERE \"unique\" = 1");
    }

    /** Every row of {@code sqlite_sequence} as name=seq. */
    private List<String> sequences() throws SQLException {
        return query("SELECT name || '=' || seq FROM sqlite_sequence ORDER BY name");
    }

    /** The rows {@code sql} selects, each as its columns joined by '|'. */
    private List<String> query(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(url()); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery(sql)) {
            int columns = row.getMetaData().getColumnCount();
            while (row.next()) {
                StringBuilder line = new StringBuilder(row.getString(1));
                for (int column = 2; column <= columns; column++) {
                    line.append('|').append(row.getString(column));
                }
                rows.add(line.toString());
            }
        }
        return rows;
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url()); Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    private String url() {
        return "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db").toAbsolutePath();
    }

    private static AppendResult await(JdbcMessageStore store, AppendRequest request) throws Exception {
        return store.append(request).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
