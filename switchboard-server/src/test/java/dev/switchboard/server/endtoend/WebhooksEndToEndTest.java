package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import dev.switchboard.server.testing.WebhookReceiver;
import dev.switchboard.server.webhook.WebhookSignature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** R8's webhooks on a real node: what clients and the API do reaches a real HTTP endpoint as signed events. */
class WebhooksEndToEndTest {
    private static final String SECRET = "webhook-secret-webhook-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDirectory;
    private WebhookReceiver receiver;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        receiver = WebhookReceiver.start();
        server = TestServer.start(dataDirectory, Map.of("webhooks.url", receiver.url(), "webhooks.secret", SECRET));
    }

    @AfterEach
    void stop() {
        server.close();
        receiver.close();
    }

    @Test
    void connectsMessagesAndDisconnects_reachTheBackend_withWhoClosedAndHow() throws Exception {
        RawWebSocket alice = open("alice", "phone");
        RawWebSocket bob = open("bob", "phone");
        String send = "{\"type\":\"send\",\"ref\":\"r1\",\"clientId\":\"m1\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},"
                + "\"body\":{\"text\":\"hi\"}}";
        alice.sendText(send);
        assertThat(alice.receiveType("sent").get("ref").asText()).isEqualTo("r1");
        alice.sendText(send); // a resend the store recognises: no second event
        assertThat(alice.receiveType("sent").get("ref").asText()).isEqualTo("r1");
        ApiClient api = ApiClient.of(server);
        assertThat(api.post("/api/v1/messages",
                "{\"from\":\"system\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":\"maintenance at noon\"}").status())
                .isEqualTo(200);

        alice.sendFrame(true, RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xE8}); // 1000
        assertThat(alice.awaitClose(WAIT)).isEqualTo(1000);
        assertThat(api.post("/api/v1/users/bob/kick", "{\"reason\":\"password changed\"}").status()).isEqualTo(202);
        assertThat(bob.awaitClose(WAIT)).isEqualTo(4003);
        RawWebSocket carol = open("carol", "phone");
        carol.abort(); // a TCP reset, no close frame
        RawWebSocket davesFirst = open("dave", "laptop");
        RawWebSocket davesSecond = open("dave", "laptop"); // replaces the first
        assertThat(davesFirst.awaitClose(WAIT)).isEqualTo(4003);

        await().atMost(WAIT).until(() -> receiver.events().stream().filter(event -> type(event).equals("disconnect")).count() == 4);
        List<JsonNode> events = receiver.events();
        assertThat(events.stream().filter(event -> type(event).equals("connect")).map(event -> event.get("userId").asText()))
                .containsExactly("alice", "bob", "carol", "dave", "dave");
        List<JsonNode> messages = events.stream().filter(event -> type(event).equals("message")).toList();
        assertThat(messages).as("one event per stored message, the resend not repeated").hasSize(2);
        assertThat(messages.get(0).get("message").get("from").asText()).isEqualTo("alice");
        assertThat(messages.get(0).get("message").get("clientId").asText()).isEqualTo("m1");
        assertThat(messages.get(0).get("message").get("body").get("text").asText()).isEqualTo("hi");
        assertThat(messages.get(1).get("message").get("from").asText()).isEqualTo("system");
        assertThat(messages.get(1).get("message").get("fromDevice").asText()).as("sent through the API").isEqualTo("api");
        Map<String, String> disconnects = events.stream().filter(event -> type(event).equals("disconnect"))
                .collect(Collectors.toMap(event -> event.get("userId").asText(),
                        event -> event.get("code").asInt() + " " + event.get("closedBy").asText()));
        assertThat(disconnects).containsExactlyInAnyOrderEntriesOf(Map.of(
                "alice", "1000 client",
                "bob", "4003 server",
                "carol", "1006 network",
                "dave", "4003 server"));
        String davesFirstId = events.stream().filter(event -> type(event).equals("connect"))
                .filter(event -> event.get("userId").asText().equals("dave")).findFirst().orElseThrow()
                .get("connectionId").asText();
        assertThat(events.stream().filter(event -> type(event).equals("disconnect"))
                .filter(event -> event.get("userId").asText().equals("dave")).findFirst().orElseThrow()
                .get("connectionId").asText()).as("the replaced connection's").isEqualTo(davesFirstId);

        for (WebhookReceiver.Request request : receiver.requests()) {
            long timestamp = Long.parseLong(request.header(WebhookSignature.TIMESTAMP_HEADER));
            assertThat(WebhookSignature.verify(SECRET.getBytes(StandardCharsets.UTF_8), timestamp, request.body(),
                    request.header(WebhookSignature.SIGNATURE_HEADER))).isTrue();
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(api.get("/metrics")
                .sample("switchboard_webhook_events_total{result=\"delivered\"}")).isEqualTo((double) events.size()));
        davesSecond.close();
    }

    @Test
    void atShutdown_theDrainedConnectionsDisconnects_areSentBeforeTheNodeStops() throws Exception {
        try (RawWebSocket erin = open("erin", "phone"); RawWebSocket frank = open("frank", "phone")) {
            await().atMost(WAIT).until(() -> receiver.events().size() == 2);

            server.close();

            List<JsonNode> disconnects = receiver.events().stream().filter(event -> type(event).equals("disconnect")).toList();
            assertThat(disconnects).extracting(event -> event.get("code").asInt() + " " + event.get("closedBy").asText())
                    .as("closed by the restart, and sent before close() returned").containsExactly("1012 server", "1012 server");
        }
    }

    private static String type(JsonNode event) {
        return event.get("type").asText();
    }

    private RawWebSocket open(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        assertThat(socket.handshake().status()).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        return socket;
    }
}
