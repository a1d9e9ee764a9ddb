package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R11's per-user send limit on a real node: a user's connections share one budget
 * ({@code limits.userSendsPerSecond} / {@code userSendBurst}), so more devices do not buy more sends.
 * Each connection's own limit is set far above it here, so every refusal below is the user's.
 */
class UserSendLimitTest {
    private static final int USER_BURST = 20;
    /** Each device alone sends a whole burst: shared, about half of them get through; per connection, all. */
    private static final int SENDS_PER_DEVICE = USER_BURST;

    @TempDir
    static Path dataDirectory;
    static TestServer server;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of(
                "limits.sendsPerSecond", 1_000,
                "limits.sendBurst", 1_000,
                "limits.userSendsPerSecond", 1,
                "limits.userSendBurst", USER_BURST));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void welcome_advertisesTheUsersLimit_whenItIsBelowTheConnections() throws Exception {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=frank&device=phone");
        try (socket) {
            assertThat(socket.handshake().status()).isEqualTo(101);
            JsonNode welcome = socket.receiveJson();
            assertThat(welcome.get("sendsPerSecond").asInt()).as("a client pacing itself by it is never refused").isEqualTo(1);
            assertThat(welcome.get("sendBurst").asInt()).isEqualTo(USER_BURST);
        }
    }

    @Test
    void aUsersConnections_shareOneBudget_otherUsersKeepTheirs_andARefusedSendIsNotStored() throws Exception {
        try (RawWebSocket phone = open("carol", "phone"); RawWebSocket laptop = open("carol", "laptop");
             RawWebSocket bystander = open("dave", "phone")) {
            // Every frame is written before any reply is read: the node takes the tokens back to back,
            // far inside the second that refills one.
            for (int i = 0; i < SENDS_PER_DEVICE; i++) {
                phone.sendText(send("p" + i));
                laptop.sendText(send("l" + i));
            }
            Map<String, JsonNode> replies = new HashMap<>();
            replies.putAll(replies(phone, "p"));
            replies.putAll(replies(laptop, "l"));

            List<String> refused = replies.entrySet().stream()
                    .filter(reply -> reply.getValue().path("type").asText().equals("error"))
                    .map(Map.Entry::getKey).sorted().toList();
            long accepted = replies.values().stream().filter(reply -> reply.path("type").asText().equals("sent")).count();
            // One more is let through for each second the frames take to arrive: far fewer than the burst.
            assertThat(accepted).as("sends accepted from both devices together").isGreaterThanOrEqualTo(USER_BURST)
                    .isLessThan(USER_BURST + SENDS_PER_DEVICE / 2);
            assertThat(accepted + refused.size()).isEqualTo(2L * SENDS_PER_DEVICE);
            JsonNode refusal = replies.get(refused.get(0));
            assertThat(refusal.path("code").asText()).isEqualTo("rate_limited");
            assertThat(refusal.path("message").asText()).isEqualTo("user send rate limit exceeded");

            bystander.sendText(send("d0"));
            assertThat(replyTo(bystander, "d0").path("type").asText()).as("another user's budget").isEqualTo("sent");

            // The refused send was not stored: sent again once the user's bucket has refilled, it is new.
            String again = refused.get(0);
            RawWebSocket device = again.startsWith("p") ? phone : laptop;
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                device.sendText(send(again));
                JsonNode reply = replyTo(device, again);
                assertThat(reply.path("type").asText()).isEqualTo("sent");
                assertThat(reply.path("duplicate").asBoolean()).isFalse();
            });
        }
    }

    private static String send(String clientId) {
        return "{\"type\":\"send\",\"ref\":\"" + clientId + "\",\"clientId\":\"" + clientId
                + "\",\"to\":{\"kind\":\"user\",\"id\":\"erin\"},\"body\":\"" + clientId + "\"}";
    }

    /** The {@code sent} or {@code error} reply to each of this device's sends, by ref. */
    private static Map<String, JsonNode> replies(RawWebSocket socket, String refPrefix) throws IOException {
        Map<String, JsonNode> replies = new HashMap<>();
        while (replies.size() < SENDS_PER_DEVICE) {
            JsonNode message = socket.receiveJson();
            String type = message.path("type").asText();
            if (type.equals("sent") || type.equals("error")) {
                assertThat(message.path("ref").asText()).startsWith(refPrefix);
                replies.put(message.path("ref").asText(), message);
            }
        }
        return replies;
    }

    private static JsonNode replyTo(RawWebSocket socket, String ref) throws IOException {
        while (true) {
            JsonNode message = socket.receiveJson();
            String type = message.path("type").asText();
            if ((type.equals("sent") || type.equals("error")) && message.path("ref").asText().equals(ref)) {
                return message;
            }
        }
    }

    private static RawWebSocket open(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        assertThat(socket.handshake().status()).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        return socket;
    }
}
