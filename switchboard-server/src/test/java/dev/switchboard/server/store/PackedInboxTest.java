package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.protocol.TargetKind;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store's packed inbox ({@link PackedInbox}) where {@link MessageStoreContract} cannot
 * see it: entries split between runs and the in-memory tail, the log packed when the store opens
 * (also an inbox migrated from rows), reads racing merges, and what retention leaves in the tables.
 */
class PackedInboxTest {
    private static final long TIMEOUT_SECONDS = 60;
    private static final long CREATED_AT = 1_700_000_000_000L;

    @TempDir
    Path dataDirectory;

    private JdbcDatabase database;
    private JdbcMessageStore store;
    private int clientIds;

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
    void readInbox_joinsRunsAndTail_whenSomeEntriesArePacked() throws Exception {
        appendMany("alice", "bob", 5);
        packNow();
        appendMany("alice", "bob", 3);

        assertThat(count("inbox_run")).as("alice's and bob's runs").isEqualTo(2);
        assertThat(count("inbox_log")).as("the three newest messages' entries").isEqualTo(6);
        assertThat(seqs(read("bob", 0, 100))).containsExactlyElementsOf(oneTo(8));
        assertThat(seqs(read("bob", 3, 3))).containsExactly(4L, 5L, 6L);
        assertThat(seqs(read("bob", 5, 100))).containsExactly(6L, 7L, 8L);
        assertThat(read("bob", 0, 100).lastSeq()).isEqualTo(8);
        assertThat(read("bob", 0, 100).entries()).extracting(entry -> entry.message().senderId()).containsOnly("alice");
    }

    @Test
    void readInbox_crossesRuns_whenAUserHasMoreEntriesThanOneRunHolds() throws Exception {
        int messages = InboxRun.MAX_ENTRIES + 88;
        appendMany("alice", "bob", messages);
        packNow();

        assertThat(count("inbox_run")).as("two runs each for alice and bob").isEqualTo(4);
        InboxPage page = read("bob", InboxRun.MAX_ENTRIES - 5, 10);
        assertThat(seqs(page)).containsExactlyElementsOf(
                LongStream.rangeClosed(InboxRun.MAX_ENTRIES - 4, InboxRun.MAX_ENTRIES + 5).boxed().toList());
        assertThat(seqs(read("bob", 0, 10_000))).containsExactlyElementsOf(oneTo(messages));
    }

    @Test
    void append_returnsTheSendersSeq_whenResentAfterItsEntryWasPacked() throws Exception {
        appendMany("bob", "alice", 2);
        AppendResult original = await(store.append(request("alice", "bob", "resent")));
        packNow();

        AppendResult repeat = await(store.append(request("alice", "bob", "resent")));

        assertThat(repeat.duplicate()).isTrue();
        assertThat(repeat.senderSeq()).isEqualTo(original.senderSeq()).isEqualTo(3);
    }

    @Test
    void open_packsTheLog_whenTheStoreStoppedBeforeAMerge() throws Exception {
        appendMany("alice", "bob", 4);
        assertThat(count("inbox_log")).isEqualTo(8);

        reopen();

        assertThat(count("inbox_log")).isZero();
        assertThat(seqs(read("bob", 0, 100))).containsExactlyElementsOf(oneTo(4));
        assertThat(seqOf(appendMany("alice", "bob", 1), "bob")).isEqualTo(5);
        assertThat(seqs(read("alice", 0, 100))).containsExactlyElementsOf(oneTo(5));
    }

    @Test
    void open_refusesTheStore_whenTheLogHoldsASeqTwice() throws Exception {
        appendMany("alice", "bob", 2);
        store.close();
        try (Connection connection = DriverManager.getConnection(url()); Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO inbox_log (user_id, seq, message_id) VALUES ('bob', 2, 99)");
        }

        assertThatThrownBy(() -> TestDatabase.sqlite(dataDirectory)).isInstanceOf(StoreException.class)
                .hasMessageContaining("inbox of bob has seq 2 after 2");
        assertThat(count("inbox_run")).as("nothing packed from a corrupt log").isZero();
        database = TestDatabase.sqlite(dataDirectory.resolve("other")); // for close()
        store = new JdbcMessageStore(database);
    }

    @Test
    void open_migratesAnInboxOfRows_fromSchemaVersion4() throws Exception {
        store.close();
        String url = "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db").toAbsolutePath();
        Flyway earlier = Flyway.configure().dataSource(url, null, null).cleanDisabled(false)
                .locations(SqlDialect.SQLITE.migrationLocation()).target("4").load();
        earlier.clean();
        earlier.migrate();
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            for (int id = 1; id <= 3; id++) {
                statement.executeUpdate("INSERT INTO messages (id, sender_id, sender_device, target_kind, target_id, "
                        + "client_id, body, created_at) VALUES (" + id + ", 'alice', 'phone', 'user', 'bob', 'old" + id
                        + "', '\"before\"', " + CREATED_AT + ")");
                statement.executeUpdate("INSERT INTO inbox VALUES ('bob', " + id + ", " + id + ", " + CREATED_AT + ")");
                statement.executeUpdate("INSERT INTO inbox VALUES ('alice', " + id + ", " + id + ", " + CREATED_AT + ")");
            }
            statement.executeUpdate("DELETE FROM inbox WHERE user_id = 'alice' AND seq = 1"); // an earlier purge
            statement.executeUpdate("INSERT INTO user_sequence VALUES ('bob', 3), ('alice', 3)");
        }

        reopen();

        assertThat(count("inbox_log")).isZero();
        assertThat(seqs(read("bob", 0, 100))).containsExactly(1L, 2L, 3L);
        assertThat(seqs(read("alice", 0, 100))).containsExactly(2L, 3L);
        assertThat(read("bob", 0, 100).entries().get(0).message().clientId()).isEqualTo("old1");
        assertThat(await(store.append(request("alice", "bob", "old2"))).senderSeq()).as("a resend finds its entry").isEqualTo(2);
        assertThat(seqOf(appendMany("alice", "bob", 1), "bob")).isEqualTo(4);
        assertThat(await(store.purgeExpired(0, 2))).as("bob's 1, 2; alice's 2").isEqualTo(3);
        assertThat(messageIds()).as("message 1 had bob's entry only; 2 lost both; 3 is kept").doesNotContain(1L, 2L)
                .contains(3L);
    }

    @Test
    void purgeExpired_deletesAMessageWithItsLastEntry_whenLimitedByCount() throws Exception {
        AppendResult toBob = appendMany("alice", "bob", 1);
        appendMany("alice", "carol", 2);
        packNow();

        assertThat(await(store.purgeExpired(0, 2))).as("alice's first entry").isEqualTo(1);
        assertThat(messageIds()).as("bob still holds it").contains(toBob.message().id());

        appendMany("dave", "bob", 2);
        assertThat(await(store.purgeExpired(0, 2))).as("bob's first entry").isEqualTo(1);
        assertThat(messageIds()).as("no entry refers to it any more").doesNotContain(toBob.message().id()).hasSize(4);
    }

    @Test
    void purgeExpired_trimsRunsAndTail_whenLimitedByAge() throws Exception {
        for (int i = 1; i <= 6; i++) {
            await(store.append(new AppendRequest("alice", "phone", TargetKind.USER, "bob", "c" + i, "1", i * 1_000L)));
            if (i == 4) {
                packNow(); // bob's 1-4 in one run, 5-6 in the tail
            }
        }

        assertThat(await(store.purgeExpired(2_500, 0))).as("messages 1 and 2 in both inboxes").isEqualTo(4);

        assertThat(seqs(read("bob", 0, 100))).containsExactly(3L, 4L, 5L, 6L);
        assertThat(messageIds()).hasSize(4);
        assertThat(count("inbox_log")).as("retention packs the log first").isZero();
    }

    @Test
    void readInbox_returnsEveryEntryUpToLastSeq_whileAppendsAndMergesRace() throws Exception {
        int messages = 3_000;
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            Future<?> sender = threads.submit(() -> {
                List<CompletableFuture<AppendResult>> inFlight = new ArrayList<>();
                for (int i = 0; i < messages; i++) {
                    inFlight.add(store.append(request("alice", "bob", "race-" + i)));
                    if (inFlight.size() == 64) {
                        inFlight.forEach(CompletableFuture::join);
                        inFlight.clear();
                    }
                }
                inFlight.forEach(CompletableFuture::join);
                writing.set(false);
                return null;
            });
            Future<?> packer = threads.submit(() -> {
                while (writing.get()) {
                    packNow();
                }
                return null;
            });
            Future<Integer> reader = threads.submit(() -> {
                int pages = 0;
                while (writing.get() || pages == 0) {
                    InboxPage page = read("bob", 0, messages + 10);
                    assertThat(seqs(page)).as("every seq up to lastSeq %d, in one snapshot", page.lastSeq())
                            .containsExactlyElementsOf(oneTo(page.lastSeq()));
                    pages++;
                }
                return pages;
            });
            sender.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            packer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(reader.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isPositive();
        } finally {
            writing.set(false);
            threads.shutdownNow();
        }
        assertThat(count("inbox_run")).as("the merges packed entries").isPositive();
        assertThat(seqs(read("bob", 0, messages + 10))).containsExactlyElementsOf(oneTo(messages));
    }

    @Test
    void readInSnapshot_leavesOutLaterCommits_andReadsAgain_whenAMergeCommitsAfterTheSnapshot() throws Exception {
        appendMany("alice", "bob", 3);
        PackedInbox packed = database.packedInbox();
        try (Connection connection = DriverManager.getConnection(url())) {
            connection.setAutoCommit(false);
            ReadContext context = new ReadContext(connection, true);
            long snapshot = packed.startSnapshot(context);

            appendMany("alice", "bob", 1);
            assertThat(packed.readInSnapshot(context, snapshot, "bob", 0, 10)).as("bob's 4 came after the snapshot")
                    .extracting(EntryRef::seq).containsExactly(1L, 2L, 3L);

            packNow();
            assertThat(packed.readInSnapshot(context, snapshot, "bob", 0, 10))
                    .as("the merge took 1-4 out of the tail; the snapshot has no runs yet").isNull();

            context.restartSnapshot();
            long next = packed.startSnapshot(context);
            assertThat(next).isGreaterThan(snapshot);
            assertThat(packed.readInSnapshot(context, next, "bob", 0, 10)).extracting(EntryRef::seq)
                    .containsExactly(1L, 2L, 3L, 4L);
            context.close();
        }
    }

    @Test
    void readInbox_staysComplete_whenABatchWithAppendsFailsAndIsRetriedWriteByWrite() throws Exception {
        appendMany("alice", "bob", 5);
        AtomicBoolean failing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> reader = threads.submit(() -> {
                int pages = 0;
                while (failing.get() || pages == 0) {
                    InboxPage page = read("bob", 0, 1_000);
                    assertThat(seqs(page)).as("every seq up to lastSeq %d", page.lastSeq())
                            .containsExactlyElementsOf(oneTo(page.lastSeq()));
                    pages++;
                }
                return pages;
            });
            for (int round = 0; round < 20; round++) {
                CountDownLatch release = TestDatabase.holdWriter(database, TIMEOUT_SECONDS);
                CompletableFuture<AppendResult> append = store.append(request("alice", "bob", "round-" + round));
                CompletableFuture<Object> refused = database.writer().submit(context -> {
                    throw new java.sql.SQLException("refused by the test");
                });
                release.countDown();
                assertThat(await(append).duplicate()).isFalse();
                assertThat(refused).failsWithin(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (round % 5 == 4) {
                    packNow();
                }
            }
            failing.set(false);
            assertThat(reader.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isPositive();
        } finally {
            failing.set(false);
            threads.shutdownNow();
        }
        assertThat(seqs(read("bob", 0, 1_000))).containsExactlyElementsOf(oneTo(25));
        assertThat(seqOf(appendMany("alice", "bob", 1), "bob")).as("no seq reused after the failures").isEqualTo(26);
        reopen();
        assertThat(seqs(read("bob", 0, 1_000))).containsExactlyElementsOf(oneTo(26));
    }

    /** Packs the tail into runs now, as a writer task (a merge is otherwise due once a second). */
    private void packNow() throws Exception {
        await(database.writer().submit(context -> {
            context.packedInbox().packAll(context);
            return null;
        }));
    }

    private void reopen() {
        store.close();
        database = TestDatabase.sqlite(dataDirectory);
        store = new JdbcMessageStore(database);
    }

    /** {@code count} messages from sender to target; returns the last one's result. */
    private AppendResult appendMany(String sender, String target, int count) throws Exception {
        AppendResult last = null;
        for (int i = 0; i < count; i++) {
            last = await(store.append(request(sender, target, "m" + clientIds++)));
        }
        return last;
    }

    private static AppendRequest request(String sender, String target, String clientId) {
        return new AppendRequest(sender, "phone", TargetKind.USER, target, clientId, "\"hi\"", CREATED_AT);
    }

    private InboxPage read(String userId, long afterSeq, int limit) throws Exception {
        return await(store.readInbox(userId, afterSeq, limit));
    }

    private long count(String table) throws Exception {
        try (Connection connection = DriverManager.getConnection(url());
             Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM " + table)) {
            row.next();
            return row.getLong(1);
        }
    }

    private List<Long> messageIds() throws Exception {
        List<Long> ids = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(url());
             PreparedStatement select = connection.prepareStatement("SELECT id FROM messages ORDER BY id");
             ResultSet row = select.executeQuery()) {
            while (row.next()) {
                ids.add(row.getLong(1));
            }
        }
        return ids;
    }

    private String url() {
        return "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db").toAbsolutePath();
    }

    private static long seqOf(AppendResult result, String userId) {
        return result.recipients().stream().filter(recipient -> recipient.userId().equals(userId)).findFirst()
                .orElseThrow().seq();
    }

    private static List<Long> seqs(InboxPage page) {
        return page.entries().stream().map(InboxEntry::seq).toList();
    }

    private static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
