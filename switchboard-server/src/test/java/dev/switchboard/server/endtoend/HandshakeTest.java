package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP side of the upgrade (R1, R2): every refusal is a plain HTTP answer, never an upgrade. */
class HandshakeTest {
    @TempDir
    static Path dataDirectory;
    static TestServer server;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of("server.allowedOrigins", java.util.List.of("https://chat.example.com"),
                "server.compression", true, "reconnect.baseMillis", 2_000, "reconnect.maxMillis", 60_000));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void upgrade_returns101WithCorrectAccept_whenTokenIsValid() throws Exception {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(),
                "/ws?token=" + TestServer.token("alice", "phone", Duration.ofMinutes(5)))) {
            assertThat(socket.handshake().status()).isEqualTo(101);
            assertThat(socket.handshake().header("Sec-WebSocket-Accept")).isEqualTo(socket.expectedAccept());
            JsonNode welcome = socket.receiveJson();
            assertThat(welcome.get("type").asText()).isEqualTo("welcome");
            assertThat(welcome.get("userId").asText()).isEqualTo("alice");
            assertThat(welcome.get("deviceId").asText()).isEqualTo("phone");
            assertThat(welcome.get("reconnectBaseMs").asLong()).as("the configured backoff, advertised").isEqualTo(2_000);
            assertThat(welcome.get("reconnectMaxMs").asLong()).isEqualTo(60_000);
        }
    }

    @Test
    void requestsSentRightAfterThe101_areAnsweredAfterTheWelcome_inOrder() throws Exception {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(),
                "/ws?token=" + TestServer.token("carol", "phone", Duration.ofMinutes(5)))) {
            assertThat(socket.handshake().status()).isEqualTo(101);
            // Sent at once, before reading the welcome: they must neither be lost nor overtake it.
            for (int i = 1; i <= 5; i++) {
                socket.sendJson("{\"type\":\"ping\",\"ref\":\"early-" + i + "\"}");
            }

            assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
            for (int i = 1; i <= 5; i++) {
                JsonNode pong = socket.receiveJson();
                assertThat(pong.get("type").asText()).isEqualTo("pong");
                assertThat(pong.get("ref").asText()).isEqualTo("early-" + i);
            }
        }
    }

    @Test
    void welcome_arrivesInTheSameWriteAsThe101() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(upgradeRequest("/ws?token=" + TestServer.token("dave", "phone", Duration.ofMinutes(5))));

            // One read takes what has arrived: a write on loopback arrives whole, so a 101 written on its
            // own, with the welcome after it, would be read without the welcome.
            byte[] buffer = new byte[8192];
            int read = socket.getInputStream().read(buffer);

            String received = new String(buffer, 0, read, StandardCharsets.ISO_8859_1);
            assertThat(received).startsWith("HTTP/1.1 101 ").contains("{\"type\":\"welcome\"");
        }
    }

    @Test
    void aRequestSentBehindTheUpgradeRequest_closesTheConnectionWithoutA101() throws Exception {
        assertPipelinedRequestClosesWithoutA101("erin");
    }

    @Test
    void aRequestSentBehindTheUpgradeRequest_closesWithoutA101_whenTheDeviceStateIsInMemory() throws Exception {
        double readBefore = deviceStates("store");
        try (Socket socket = new Socket("127.0.0.1", server.port())) { // the store now holds fred's phone in memory
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(upgradeRequest("/ws?token=" + TestServer.token("fred", "phone", Duration.ofMinutes(5))));
            byte[] buffer = new byte[8192];
            int read = socket.getInputStream().read(buffer);
            assertThat(new String(buffer, 0, read, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101 ");
        }
        assertThat(deviceStates("store")).as("the first handshake reads the store").isEqualTo(readBefore + 1);
        double fromMemoryBefore = deviceStates("memory");

        assertPipelinedRequestClosesWithoutA101("fred");

        assertThat(deviceStates("memory")).as("answered from memory").isEqualTo(fromMemoryBefore + 1);
        assertThat(deviceStates("store")).isEqualTo(readBefore + 1);
    }

    /** {@code switchboard_handshake_device_states_total} with the given source, from the node's metrics. */
    private static double deviceStates(String source) {
        String name = "switchboard_handshake_device_states_total{source=\"" + source + "\"}";
        double value = ApiClient.of(server).get("/metrics").sample(name);
        assertThat(value).as("sample %s", name).isNotNaN();
        return value;
    }

    private void assertPipelinedRequestClosesWithoutA101(String userId) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            byte[] upgrade = upgradeRequest("/ws?token=" + TestServer.token(userId, "phone", Duration.ofMinutes(5)));
            byte[] second = ("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] both = Arrays.copyOf(upgrade, upgrade.length + second.length);
            System.arraycopy(second, 0, both, upgrade.length, second.length);

            socket.getOutputStream().write(both); // one write: the server reads both before the device state is in

            assertThat(socket.getInputStream().readAllBytes()).as("closed with nothing sent").isEmpty();
        }
    }

    @Test
    void upgrade_returns400_whenTheExtensionOfferIsMalformed() throws Exception {
        assertRefused("/ws?token=" + TestServer.token("gina", "phone", Duration.ofMinutes(5)),
                Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=x"), 400,
                "malformed Sec-WebSocket-Extensions");
    }

    /** Off unless configured: each deflate connection keeps zlib's compressor, about 90 kB (docs/OPERATIONS.md). */
    @Test
    void upgrade_negotiatesNoCompression_byDefault(@TempDir Path directory) throws Exception {
        try (TestServer plain = TestServer.start(directory);
             RawWebSocket socket = RawWebSocket.connect(plain.port(), "/ws?user=hana&device=phone",
                     Map.of("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))) {
            assertThat(socket.handshake().status()).isEqualTo(101);
            assertThat(socket.handshake().header("Sec-WebSocket-Extensions")).isNull();
            RawWebSocket.Frame welcome = socket.receive(Duration.ofSeconds(10));
            assertThat(welcome.compressed()).isFalse();
            assertThat(new String(welcome.payload(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"type\":\"welcome\"");
        }
    }

    @Test
    void upgrade_returns503WithoutUpgrading_whenTheStoreCannotReadTheDeviceState(@TempDir Path directory) throws Exception {
        TestServer broken = TestServer.start(directory);
        try {
            try (Connection sql = DriverManager.getConnection("jdbc:sqlite:" + directory.resolve("switchboard.db"));
                 Statement statement = sql.createStatement()) {
                statement.execute("ALTER TABLE user_sequence RENAME TO user_sequence_hidden"); // the handshake's read now fails
            }

            try (RawWebSocket socket = RawWebSocket.connect(broken.port(),
                    "/ws?token=" + TestServer.token("frank", "phone", Duration.ofMinutes(5)), Map.of())) {
                assertThat(socket.handshake().status()).isEqualTo(503);
                assertThat(socket.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
                assertThat(socket.handshake().body()).contains("store unavailable");
                assertThat(socket.isClosedByServer(Duration.ofSeconds(5))).isTrue();
            }
            assertThat(broken.registry().size()).isZero();
        } finally {
            broken.close();
        }
    }

    @Test
    void upgrade_acceptsBearerHeader_whenNoQueryToken() throws Exception {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=tablet",
                Map.of("Authorization", "Bearer " + TestServer.token("bob", null, Duration.ofMinutes(5))))) {
            assertThat(socket.handshake().status()).isEqualTo(101);
            JsonNode welcome = socket.receiveJson();
            assertThat(welcome.get("userId").asText()).isEqualTo("bob");
            assertThat(welcome.get("deviceId").asText()).isEqualTo("tablet");
        }
    }

    @Test
    void upgrade_returns401_whenTokenMissing() throws Exception {
        assertRefused("/ws", Map.of(), 401, "missing token");
    }

    @Test
    void upgrade_returns401_whenTokenExpired() throws Exception {
        assertRefused("/ws?token=" + TestServer.token("alice", null, Duration.ofMinutes(-5)), Map.of(), 401, "token expired");
    }

    @Test
    void upgrade_returns401_whenTokenSignedWithAnotherKey() throws Exception {
        String token = TestServer.token("alice", null, Duration.ofMinutes(5));
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("another-signature-of-32-bytes-xx".getBytes(StandardCharsets.US_ASCII));
        assertRefused("/ws?token=" + forged, Map.of(), 401, "bad token signature");
    }

    @Test
    void upgrade_returns401_whenAlgorithmIsNone() throws Exception {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"sub\":\"alice\",\"exp\":" + (System.currentTimeMillis() / 1000 + 300) + "}")
                .getBytes(StandardCharsets.UTF_8));
        assertRefused("/ws?token=" + header + "." + claims + ".", Map.of(), 401, null);
    }

    @Test
    void upgrade_returns401_whenTokenIsGarbage() throws Exception {
        assertRefused("/ws?token=not-a-jwt", Map.of(), 401, "malformed token");
    }

    @Test
    void upgrade_returns403_whenOriginIsForeign() throws Exception {
        assertRefused("/ws?user=alice", Map.of("Origin", "https://evil.example.net"), 403, "origin not allowed");
    }

    @Test
    void upgrade_succeeds_whenOriginIsSameHostOrListed() throws Exception {
        for (String origin : new String[] {"http://127.0.0.1:" + server.port(), "https://chat.example.com"}) {
            try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=alice&device=origin",
                    Map.of("Origin", origin))) {
                assertThat(socket.handshake().status()).as("origin %s", origin).isEqualTo(101);
            }
        }
    }

    @Test
    void upgrade_returns426WithSupportedVersion_whenVersionIsNot13() throws Exception {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=alice", Map.of("Sec-WebSocket-Version", "8"))) {
            assertThat(socket.handshake().status()).isEqualTo(426);
            assertThat(socket.handshake().header("Sec-WebSocket-Version")).isEqualTo("13");
        }
    }

    @Test
    void upgrade_returns400_whenDeviceIdInvalid() throws Exception {
        assertRefused("/ws?user=alice&device=bad%20device", Map.of(), 400, null);
    }

    @Test
    void echoEndpoint_returns404_whenNotEnabled() throws Exception {
        assertRefused("/ws/echo", Map.of(), 404, null);
    }

    @Test
    void health_answersLiveAndReady() throws Exception {
        RawWebSocket.HttpAnswer live = RawWebSocket.httpGet(server.port(), "/health/live");
        RawWebSocket.HttpAnswer ready = RawWebSocket.httpGet(server.port(), "/health/ready");
        assertThat(live.status()).isEqualTo(200);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"ready\"").contains("\"store\":\"up\"");
    }

    @Test
    void indexPage_isServedAtRoot() throws Exception {
        RawWebSocket.HttpAnswer page = RawWebSocket.httpGet(server.port(), "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(RawWebSocket.httpGet(server.port(), "/../pom.xml").status()).isEqualTo(404);
        RawWebSocket.HttpAnswer client = RawWebSocket.httpGet(server.port(), "/client/switchboard.js");
        assertThat(client.status()).as("the JavaScript client at its stable path").isEqualTo(200);
        assertThat(client.header("Content-Type")).startsWith("text/javascript");
        assertThat(client.body()).contains("export class SwitchboardClient");
    }

    private static byte[] upgradeRequest(String pathAndQuery) {
        return ("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void assertRefused(String path, Map<String, String> headers, int status, String reason) throws Exception {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), path, headers)) {
            assertThat(socket.handshake().status()).as("status for %s", path).isEqualTo(status);
            assertThat(socket.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
            assertThat(socket.handshake().header("Content-Type")).isEqualTo("application/json");
            if (reason != null) {
                assertThat(socket.handshake().body()).contains(reason);
            }
        }
    }
}
