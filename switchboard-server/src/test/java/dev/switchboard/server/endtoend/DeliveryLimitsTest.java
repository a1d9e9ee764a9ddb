package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edges of delivery: a consumer that stops reading (R11) and history that expired (R5 retention). */
class DeliveryLimitsTest {
    @TempDir
    Path dataDirectory;

    @Test
    void slowConsumer_isDisconnectedWith4008_onceOverItsOutboundBound() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory, Map.of(
                "limits.outboundQueueBytes", 65536,
                "limits.sendsPerSecond", 100_000,
                "limits.sendBurst", 100_000,
                "limits.userSendsPerSecond", 0));
             TestClient sender = TestClient.connect(server.webSocketUri(), "producer", "d");
             RawWebSocket slow = RawWebSocket.connectWithReceiveBuffer(server.port(), "/ws?user=slowpoke&device=d", 4096)) {
            assertThat(slow.receiveJson().get("type").asText()).isEqualTo("welcome");
            slow.sendText("{\"type\":\"resume\"}");
            String body = "x".repeat(8000);
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            AtomicInteger index = new AtomicInteger();
            // Keep producing until the server gives up on the reader that never reads.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (int i = 0; i < 100; i++) {
                    sends.add(sender.sdk().send(Target.user("slowpoke"), body, "slow-" + index.getAndIncrement()));
                }
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                Connection connection = server.registry().connection("slowpoke", "d");
                return connection == null || !connection.isOpen();
            });

            assertThat(slow.awaitClose(Duration.ofSeconds(20))).as("close code after draining the backlog")
                    .isEqualTo(CloseCodes.SLOW_CONSUMER);
            assertThat(ApiClient.of(server).get("/metrics").sample("switchboard_slow_consumer_closes_total"))
                    .as("counted").isEqualTo(1.0);
            assertThat(sender.sdk().send(Target.user("slowpoke"), "after", "after").get(10, TimeUnit.SECONDS).duplicate())
                    .as("the producer is unaffected").isFalse();
        }
    }

    @Test
    void expiredHistory_isAnnouncedAsTruncated_neverSilentlySkipped() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory, Map.of(
                "retention.maxMessagesPerUser", 5,
                "retention.purgeIntervalSeconds", 1));
             TestClient alice = TestClient.connect(server.webSocketUri(), "alice", "d")) {
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                sends.add(alice.sdk().send(Target.user("bob"), i, "t-" + i));
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            AtomicInteger probe = new AtomicInteger();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                List<JsonNode> replay = replayFromZero(server, "probe-" + probe.incrementAndGet());
                assertThat(replay.get(0).get("type").asText()).isEqualTo("truncated");
                assertThat(replay.get(0).get("afterSeq").asLong()).isZero();
                assertThat(replay.get(0).get("nextSeq").asLong()).isEqualTo(16);
                assertThat(replay.subList(1, 6)).extracting(node -> node.get("seq").asLong())
                        .containsExactly(16L, 17L, 18L, 19L, 20L);
                assertThat(replay.get(6).get("type").asText()).isEqualTo("synced");
            });

            TestClient bob = TestClient.connect(server.webSocketUri(), "bob", "phone",
                    builder -> builder.initialAfterSeq(0L));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(bob.receivedClientIds()).containsExactly("t-16", "t-17", "t-18", "t-19", "t-20"));
            assertThat(bob.sdk().stats().truncatedRanges()).isEqualTo(1);
            bob.close();
        }
    }

    private static List<JsonNode> replayFromZero(TestServer server, String device) throws IOException {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=bob&device=" + device)) {
            socket.receiveJson();
            socket.sendText("{\"type\":\"resume\",\"afterSeq\":0}");
            List<JsonNode> replay = new ArrayList<>();
            JsonNode next;
            do {
                next = socket.receiveJson();
                replay.add(next);
            } while (!"synced".equals(next.get("type").asText()));
            return replay;
        }
    }
}
