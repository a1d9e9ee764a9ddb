package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite reader threads, which keep their connection and prepared statements ({@link ReadContext}). */
class SqliteReaderTest {
    private static final String SELECT_ONE = "SELECT 1";

    @TempDir
    Path dataDirectory;

    private JdbcDatabase database;
    private JdbcMessageStore store;

    @BeforeEach
    void open() {
        database = TestDatabase.sqlite(dataDirectory);
        store = new JdbcMessageStore(database);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void read_reusesItsPreparedStatement_onTheSameReaderThread() throws Exception {
        Map<String, Set<PreparedStatement>> statementsByThread = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            StatementOnThread used = resultOf(database.read(context -> {
                PreparedStatement statement = context.statement(SELECT_ONE);
                try (ResultSet row = statement.executeQuery()) {
                    row.next();
                }
                return new StatementOnThread(Thread.currentThread().getName(), statement);
            }));
            statementsByThread.computeIfAbsent(used.thread(),
                    thread -> Collections.newSetFromMap(new IdentityHashMap<>())).add(used.statement());
        }

        assertThat(statementsByThread.values()).allSatisfy(statements -> assertThat(statements).hasSize(1));
    }

    @Test
    void read_seesEveryCommittedWrite_andHoldsNoSnapshotBetweenReads() throws Exception {
        for (int i = 1; i <= 5; i++) {
            resultOf(append("bob", "alice", "m" + i));
            // Several reads per write, so both reader threads read after each commit. (Not the device
            // state: after its first read, the embedded store answers that from memory.)
            for (int read = 0; read < 4; read++) {
                assertThat(resultOf(store.readInbox("alice", 0, 10)).lastSeq()).isEqualTo(i);
            }
        }

        // A reader that kept a read transaction open would pin the log: a TRUNCATE checkpoint
        // could not empty it and would report busy.
        try (Connection connection = DriverManager.getConnection(
                "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db"));
             Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = 10000");
            try (ResultSet row = statement.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                row.next();
                assertThat(row.getInt(1)).as("checkpoint busy flag").isZero();
            }
        }
    }

    @Test
    void read_failsAlone_andTheNextReadsWork_afterAStatementFails() throws Exception {
        resultOf(append("bob", "alice", "before"));
        List<CompletableFuture<Object>> failures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            failures.add(database.read(context -> context.statement("SELECT missing_column FROM no_such_table").executeQuery()));
        }
        for (CompletableFuture<Object> failure : failures) {
            assertThatThrownBy(() -> resultOf(failure)).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("no such table");
        }

        for (int read = 0; read < 8; read++) {
            assertThat(resultOf(store.readInbox("alice", 0, 10)).lastSeq()).isEqualTo(1);
        }
    }

    @Test
    void read_getsANewConnection_afterAStatementFails(@TempDir Path otherDirectory) throws Exception {
        try (JdbcDatabase oneReader = openWithOneReader(otherDirectory)) {
            Connection before = physicalConnection(oneReader);
            Connection next = physicalConnection(oneReader);
            assertThat(next).as("the kept connection, on the next read").isSameAs(before);

            assertThatThrownBy(() -> resultOf(oneReader.read(context -> context.statement("SELECT 1 FROM no_such_table").executeQuery())))
                    .hasMessageContaining("no such table");

            Connection after = physicalConnection(oneReader);
            assertThat(after).isNotSameAs(before);
            // The pool closes an evicted connection on a thread of its own.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(before.isClosed()).as("the failed read's connection is closed, not pooled again").isTrue());
        }
    }

    /** Dropping the failed read's connection must not fail in turn and kill the thread (an uncaught exception). */
    @Test
    void read_runsOnTheSameReaderThread_afterAStatementFails(@TempDir Path otherDirectory) throws Exception {
        try (JdbcDatabase oneReader = openWithOneReader(otherDirectory)) {
            Thread before = resultOf(oneReader.read(context -> Thread.currentThread()));

            assertThatThrownBy(() -> resultOf(oneReader.read(context -> context.statement("SELECT 1 FROM no_such_table").executeQuery())))
                    .hasMessageContaining("no such table");

            Thread after = resultOf(oneReader.read(context -> Thread.currentThread()));
            assertThat(after).isSameAs(before);
            assertThat(before.isAlive()).isTrue();
        }
    }

    @Test
    void read_keepsItsConnection_afterARejection(@TempDir Path otherDirectory) throws Exception {
        try (JdbcDatabase oneReader = openWithOneReader(otherDirectory)) {
            Connection before = physicalConnection(oneReader);
            assertThatThrownBy(() -> resultOf(oneReader.read(context -> {
                throw new RequestRejectedException(ErrorCode.GROUP_NOT_FOUND, "no group g");
            }))).hasCauseInstanceOf(RequestRejectedException.class);

            Connection after = physicalConnection(oneReader);
            assertThat(after).isSameAs(before);
        }
    }

    /** A store in {@code directory} with a single reader thread, so every read runs on the same one. */
    private static JdbcDatabase openWithOneReader(Path directory) {
        ServerConfig config = new ConfigLoader().load(null, Map.of(), Map.of("store.url", "", "store.readerThreads", 1));
        return JdbcDatabase.open(config.store(), directory);
    }

    /** The SQLite connection under the pool's proxy that a read of {@code database} runs on. */
    private static Connection physicalConnection(JdbcDatabase database) throws Exception {
        return resultOf(database.read(context -> context.connection().unwrap(Connection.class)));
    }

    private CompletableFuture<AppendResult> append(String sender, String recipient, String clientId) {
        return store.append(new AppendRequest(sender, "device", TargetKind.USER, recipient, clientId, "\"hi\"",
                System.currentTimeMillis()));
    }

    private static <T> T resultOf(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private record StatementOnThread(String thread, PreparedStatement statement) {
    }
}
