package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.switchboard.protocol.TargetKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store's checkpoints: under a steady stream of commits the write-ahead log keeps
 * restarting from its beginning (the writer finishes each background checkpoint when idle), instead
 * of growing to the writer's own automatic-checkpoint backstop; with nothing committed, rounds do nothing.
 */
class SqliteCheckpointerTest {
    /** Sequential commits, each several log frames (message, inbox entries, sequences, indexes). */
    private static final int MESSAGES = 3_000;
    /** Commits between two checkpoint rounds (at the default 200 ms a round comes every 100 to 1,000 commits). */
    private static final int COMMITS_PER_ROUND = 100;
    private static final long PAGE_BYTES = 4096;

    @TempDir
    Path dataDirectory;
    private JdbcDatabase database;

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void writeAheadLog_restartsUnderSteadyCommits_insteadOfGrowingToTheBackstop() throws Exception {
        // The rounds come every COMMITS_PER_ROUND commits, not every 200 ms: how many commits fall
        // between two timed rounds depends on the machine's disk (a fast one did 3,000 in 0.6 s, three rounds).
        database = TestDatabase.sqliteWithCheckpointsByHand(dataDirectory);
        JdbcMessageStore store = new JdbcMessageStore(database);
        Path log = dataDirectory.resolve("switchboard.db-wal");
        long largestLog = 0;
        for (int i = 0; i < MESSAGES; i++) {
            store.append(new AppendRequest("alice", "phone", TargetKind.USER, "bob", "c" + i, "{\"n\":" + i + "}",
                    System.currentTimeMillis())).get(10, TimeUnit.SECONDS);
            if (i % COMMITS_PER_ROUND == 0) {
                if (Files.exists(log)) {
                    largestLog = Math.max(largestLog, Files.size(log));
                }
                database.runCheckpointRound(); // copies the log; the writer finishes it (restarts the log) when idle
            }
        }
        largestLog = Math.max(largestLog, Files.size(log));

        // Each commit appends several pages to the log (about 14 kB). Without the rounds the log reached
        // 67 MB here: only the writer's backstop (16,384 pages, 64 MiB) restarted it.
        assertThat(largestLog).as("the log restarted along the way, long before the writer's backstop")
                .isLessThan(JdbcWriter.WRITER_AUTOCHECKPOINT_PAGES * PAGE_BYTES * 6 / 10);
    }

    @Test
    void round_doesNothing_untilSomethingIsCommittedAfterTheLogWasCopiedWhole() throws Exception {
        Path file = dataDirectory.resolve("rounds.db");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + file);
        config.addDataSourceProperty("journal_mode", "WAL");
        try (HikariDataSource dataSource = new HikariDataSource(config)) {
            commit(dataSource, "CREATE TABLE t (n INTEGER)");
            AtomicLong commits = new AtomicLong(1);
            AtomicInteger finishRequests = new AtomicInteger();
            SqliteCheckpointer checkpointer = new SqliteCheckpointer(dataSource, file, finishRequests::incrementAndGet,
                    commits::get, 0);
            try {
                assertThat(checkpointer.runRound()).as("the first round copies the log").isTrue();
                assertThat(finishRequests).hasValue(1);

                assertThat(checkpointer.runRound()).as("nothing committed since: no copy, no sync").isFalse();
                assertThat(checkpointer.runRound()).isFalse();
                assertThat(finishRequests).as("the writer is not woken again").hasValue(1);

                commit(dataSource, "INSERT INTO t VALUES (1)");
                commits.incrementAndGet();
                assertThat(checkpointer.runRound()).as("a new commit: a round again").isTrue();
                assertThat(finishRequests).hasValue(2);
                assertThat(checkpointer.runRound()).isFalse();
            } finally {
                checkpointer.close();
            }
        }
    }

    private static void commit(HikariDataSource dataSource, String sql) throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Test
    void sqliteFile_isTheUrlsPath_orNullInMemory() {
        assertThat(JdbcDatabase.sqliteFile("jdbc:sqlite:/data/switchboard.db")).isEqualTo(Path.of("/data/switchboard.db"));
        assertThat(JdbcDatabase.sqliteFile("jdbc:sqlite:file:/data/s.db?cache=shared")).isEqualTo(Path.of("/data/s.db"));
        assertThat(JdbcDatabase.sqliteFile("jdbc:sqlite::memory:")).isNull();
        assertThat(JdbcDatabase.sqliteFile("jdbc:sqlite:file:memdb1?mode=memory&cache=shared")).isNull();
    }
}
