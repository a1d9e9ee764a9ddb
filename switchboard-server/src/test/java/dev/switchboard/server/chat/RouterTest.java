package dev.switchboard.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.AppendRequest;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.store.DeviceState;
import dev.switchboard.server.store.InboxPage;
import dev.switchboard.server.store.JdbcDatabase;
import dev.switchboard.server.store.JdbcMessageStore;
import dev.switchboard.server.store.MessageStore;
import dev.switchboard.server.testing.OutboundFrames;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Router} with the embedded store and a live connection of the recipient on an embedded
 * channel: what a stored message's recipient is written, a resend's included.
 */
class RouterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ServerMetrics METRICS = new ServerMetrics();

    @TempDir
    Path dataDirectory;

    private JdbcDatabase database;
    private JdbcMessageStore store;
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final Router router = new Router(registry, null);
    private final EmbeddedChannel bobsChannel = new EmbeddedChannel();
    private final List<JsonNode> bobReceived = new ArrayList<>();

    @BeforeEach
    void connectBob() {
        database = JdbcDatabase.open(new ConfigLoader().load(null, Map.of(), Map.of()).store(), dataDirectory);
        store = new JdbcMessageStore(database);
        Connection bob = new Connection(registry.connectionIds(), new Principal("bob", "phone", 0), bobsChannel, METRICS, false);
        bob.attachInbox(new InboxStream(bob, new ReadsOnTheCallersThread(store), 100, 0, 0));
        registry.register(bob);
        bob.inbox().resume(0);
        assertThat(received("synced")).as("live from here on").isEqualTo(1);
    }

    @AfterEach
    void close() {
        bobsChannel.finishAndReleaseAll();
        store.close();
    }

    /** A commit that reported failure but took effect was never delivered: the resend's answer delivers it. */
    @Test
    void dispatch_ofAResend_deliversTheOriginal_whenItWasNeverDelivered() throws Exception {
        AppendResult original = append("a-1"); // stored, but its delivery is lost: not dispatched
        AppendResult resend = append("a-1");

        router.dispatch(resend);

        assertThat(resend.duplicate()).isTrue();
        assertThat(received("message")).isEqualTo(1);
        JsonNode message = bobReceived.stream().filter(frame -> frame.path("type").asText().equals("message")).findFirst().orElseThrow();
        assertThat(message.path("seq").asLong()).isEqualTo(1);
        assertThat(message.path("message").path("id").asLong()).isEqualTo(original.message().id());
    }

    @Test
    void dispatch_ofAResend_writesNothingMore_whenTheOriginalWasDelivered() throws Exception {
        router.dispatch(append("a-1"));
        AppendResult resend = append("a-1");

        router.dispatch(resend);

        assertThat(resend.recipients()).as("delivered again, cluster-wide").isNotEmpty();
        assertThat(received("message")).as("the connection had that seq: dropped").isEqualTo(1);
    }

    private AppendResult append(String clientId) throws Exception {
        return store.append(new AppendRequest("alice", "laptop", TargetKind.USER, "bob", clientId, "\"hi\"",
                System.currentTimeMillis())).get(30, TimeUnit.SECONDS);
    }

    /**
     * The store with its reads completed before they return: the stream's page then reaches the
     * embedded channel's loop from this thread, the only one that may touch it.
     */
    private record ReadsOnTheCallersThread(MessageStore store) implements MessageStore {
        @Override
        public CompletableFuture<InboxPage> readInbox(String userId, long afterSeq, int limit) {
            return CompletableFuture.completedFuture(store.readInbox(userId, afterSeq, limit).join());
        }

        @Override
        public CompletableFuture<AppendResult> append(AppendRequest request) {
            return store.append(request);
        }

        @Override
        public CompletableFuture<DeviceState> deviceState(String userId, String deviceId) {
            return store.deviceState(userId, deviceId);
        }

        @Override
        public CompletableFuture<Void> advanceCursor(String userId, String deviceId, long seq) {
            return store.advanceCursor(userId, deviceId, seq);
        }

        @Override
        public CompletableFuture<Long> purgeExpired(long olderThanMillis, long keepPerUser) {
            return store.purgeExpired(olderThanMillis, keepPerUser);
        }

        @Override
        public CompletableFuture<List<String>> contactsOf(String userId, int limit) {
            return store.contactsOf(userId, limit);
        }

        @Override
        public boolean isHealthy() {
            return store.isHealthy();
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** How many frames of {@code type} bob's connection has been written so far. */
    private long received(String type) {
        bobsChannel.runPendingTasks();
        for (String text : OutboundFrames.texts(bobsChannel)) {
            try {
                bobReceived.add(JSON.readTree(text));
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + text, e);
            }
        }
        return bobReceived.stream().filter(frame -> frame.path("type").asText().equals(type)).count();
    }
}
