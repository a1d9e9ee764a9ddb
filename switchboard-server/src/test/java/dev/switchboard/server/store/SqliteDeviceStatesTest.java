package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.protocol.TargetKind;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store's device states in memory ({@link DeviceStateCache}), through the store: a device
 * seen once is answered without a read, and never with a state older than an acknowledged write.
 */
class SqliteDeviceStatesTest {
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
    void deviceState_isAnsweredAtOnce_afterItsFirstRead() throws Exception {
        resultOf(append("bob", "alice"));
        assertThat(resultOf(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(0, 1));

        CompletableFuture<DeviceState> again = store.deviceState("alice", "phone");

        assertThat(again).as("answered from memory, without a reader").isCompletedWithValue(new DeviceState(0, 1));
        assertThat(database.deviceStates().size()).isEqualTo(1);
    }

    @Test
    void cachedState_followsEveryAcknowledgedWrite() throws Exception {
        resultOf(store.deviceState("alice", "phone"));
        resultOf(store.deviceState("alice", "laptop"));

        resultOf(append("bob", "alice"));
        resultOf(append("carol", "alice"));
        assertThat(store.deviceState("alice", "phone")).isCompletedWithValue(new DeviceState(0, 2));

        resultOf(store.advanceCursor("alice", "phone", 2));
        resultOf(store.advanceCursor("alice", "laptop", 1));
        resultOf(store.advanceCursor("alice", "phone", 1)); // a lower ack leaves the cursor
        assertThat(store.deviceState("alice", "phone")).isCompletedWithValue(new DeviceState(2, 2));
        assertThat(store.deviceState("alice", "laptop")).isCompletedWithValue(new DeviceState(1, 2));
        resultOf(append("alice", "bob")); // the sender's own copy is in her inbox too
        assertThat(store.deviceState("alice", "laptop")).isCompletedWithValue(new DeviceState(1, 3));
    }

    @Test
    void cachedState_isNeverBehindAnAcknowledgedWrite_whileReadsFillTheCache() throws Exception {
        String[] users = {"u0", "u1", "u2", "u3"};
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread reader = new Thread(() -> {
                while (running.get()) {
                    store.deviceState(users[ThreadLocalRandom.current().nextInt(users.length)], "phone").join();
                }
            }, "test-reader-" + r);
            reader.start();
            readers.add(reader);
        }
        try {
            for (int i = 0; i < 2000; i++) {
                String user = users[i % users.length];
                if (i % 500 == 0) {
                    failOneWrite(); // empties the cache now and then, so reads keep filling it
                }
                long seq = seqOf(resultOf(append("sender", user)), user);
                assertThat(resultOf(store.deviceState(user, "phone")).lastSeq()).as("after append %d", i)
                        .isGreaterThanOrEqualTo(seq);
                resultOf(store.advanceCursor(user, "phone", seq));
                assertThat(resultOf(store.deviceState(user, "phone")).cursor()).as("after ack %d", i).isEqualTo(seq);
            }
        } finally {
            running.set(false);
            for (Thread reader : readers) {
                reader.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
    }

    @Test
    void aFailedWrite_emptiesTheCache() throws Exception {
        resultOf(store.deviceState("alice", "phone"));
        assertThat(database.deviceStates().size()).isEqualTo(1);

        failOneWrite();

        assertThat(database.deviceStates().size()).as("a failed commit may have taken effect").isZero();
        assertThat(resultOf(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(0, 0));
    }

    @Test
    void cachedState_followsTheWritesOfABatchThatFailed_andWasRetriedOneByOne() throws Exception {
        resultOf(append("bob", "alice"));
        assertThat(resultOf(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(0, 1));
        CountDownLatch release = TestDatabase.holdWriter(database, 30);

        CompletableFuture<Void> ack = store.advanceCursor("alice", "phone", 1);
        CompletableFuture<AppendResult> send = append("carol", "alice");
        CompletableFuture<Object> refused = database.writer().submit(context -> {
            throw new SQLException("refused by the test");
        });
        release.countDown(); // the three run as one batch, which fails; then each is retried alone

        resultOf(ack);
        resultOf(send);
        assertThatThrownBy(() -> resultOf(refused)).hasMessageContaining("refused by the test");
        assertThat(resultOf(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(1, 2));
        assertThat(store.deviceState("alice", "phone")).as("cached again").isCompletedWithValue(new DeviceState(1, 2));
    }

    private void failOneWrite() {
        CompletableFuture<Object> refused = database.writer().submit(context -> {
            throw new SQLException("refused by the test");
        });
        assertThatThrownBy(() -> resultOf(refused)).hasMessageContaining("refused by the test");
    }

    private CompletableFuture<AppendResult> append(String sender, String recipient) {
        return store.append(new AppendRequest(sender, "device", TargetKind.USER, recipient,
                java.util.UUID.randomUUID().toString(), "\"hi\"", System.currentTimeMillis()));
    }

    private static long seqOf(AppendResult result, String userId) {
        return result.recipients().stream().filter(recipient -> recipient.userId().equals(userId)).findFirst()
                .orElseThrow().seq();
    }

    private static <T> T resultOf(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }
}
