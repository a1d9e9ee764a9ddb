package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.server.testing.ChildServer;
import dev.switchboard.server.testing.TestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R5's promise under the worst restart: the server process is SIGKILLed in the middle of a stream
 * of sends. Every message acknowledged before the kill must be delivered after the restart, and with
 * the SDK resending what was not acknowledged, every message arrives exactly once, in order.
 */
class CrashRecoveryTest {
    private static final int TOTAL = 2000;
    private static final int SENT_BEFORE_KILL = 1400;
    private static final int KILL_AFTER_ACKS = 600;
    private static final Map<String, String> ENVIRONMENT = Map.of(
            "SWITCHBOARD_LIMITS_SENDS_PER_SECOND", "100000",
            "SWITCHBOARD_LIMITS_SEND_BURST", "100000",
            "SWITCHBOARD_LIMITS_USER_SENDS_PER_SECOND", "0",
            "SWITCHBOARD_LOG_LEVEL", "WARN");

    @TempDir
    Path dataDirectory;

    @Test
    void killMinus9_midStream_losesNoAcknowledgedMessage() throws Exception {
        ChildServer first = ChildServer.start(dataDirectory, 0, ENVIRONMENT);
        int port = first.port();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Set<String> acknowledgedBeforeKill;
        try (TestClient alice = TestClient.connect(first.webSocketUri(), "alice", "phone")) {
            // The stream is cut in two so the kill always lands inside it, however fast the machine:
            // the first part is in flight when the server dies, the second is sent while it is down
            // (the SDK queues it) and only reaches the restarted server.
            List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
            for (int i = 0; i < SENT_BEFORE_KILL; i++) {
                sends.add(send(alice, i, acknowledged));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= KILL_AFTER_ACKS);
            first.kill();
            acknowledgedBeforeKill = Set.copyOf(acknowledged);
            for (int i = SENT_BEFORE_KILL; i < TOTAL; i++) {
                sends.add(send(alice, i, acknowledged));
            }
            try (ChildServer second = ChildServer.start(dataDirectory, port, ENVIRONMENT)) {
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

                try (TestClient bob = TestClient.connect(second.webSocketUri(), "bob", "phone")) {
                    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(bob.messages).hasSize(TOTAL));
                    List<String> received = bob.receivedClientIds();
                    assertThat(received).as("every acknowledged-before-kill message survived")
                            .containsAll(acknowledgedBeforeKill);
                    assertThat(new HashSet<>(received)).as("no duplicates").hasSize(TOTAL);
                    assertThat(bob.messages).extracting(InboxMessage::body).extracting(body -> body.asInt())
                            .as("in send order").isSorted();
                    assertThat(bob.messages).extracting(InboxMessage::seq).as("gap-free seqs")
                            .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, TOTAL).boxed().toList());
                }
            }
        } finally {
            first.close();
        }
    }

    private static CompletableFuture<SendReceipt> send(TestClient client, int index, Set<String> acknowledged) {
        String clientId = "k-" + index;
        return client.sdk().send(Target.user("bob"), index, clientId).whenComplete((receipt, error) -> {
            if (error == null) {
                acknowledged.add(clientId);
            }
        });
    }
}
