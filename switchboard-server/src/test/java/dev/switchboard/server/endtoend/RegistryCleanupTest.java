package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R3: the registry entry goes away on every way a connection can end — client close, TCP reset,
 * heartbeat timeout, kick and server shutdown — so after many connects and disconnects the
 * registry is empty again.
 */
class RegistryCleanupTest {
    private static final int ROUNDS = 150;

    @TempDir
    Path dataDirectory;

    @Test
    void registry_returnsToEmpty_afterClientClosesAndResets() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory)) {
            for (int i = 0; i < ROUNDS; i++) {
                RawWebSocket polite = open(server, "user-" + i, "close");
                RawWebSocket rude = open(server, "user-" + i, "reset");
                assertThat(server.registry().connection("user-" + i, "close")).isNotNull();
                polite.sendFrame(true, RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xE8});
                assertThat(polite.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.NORMAL);
                polite.close();
                rude.abort();
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(server.registry().size()).as("connections left in the registry").isZero();
                assertThat(server.registry().userCount()).as("users left in the registry").isZero();
            });
        }
    }

    @Test
    void registry_returnsToEmpty_afterHeartbeatTimeouts() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory,
                Map.of("heartbeat.pingIntervalMillis", 100, "heartbeat.pingTimeoutMillis", 300))) {
            List<RawWebSocket> silent = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                silent.add(open(server, "silent-" + i, "d"));
            }
            for (RawWebSocket socket : silent) {
                assertThat(socket.awaitClose(Duration.ofSeconds(10))).as("close code").isEqualTo(CloseCodes.HEARTBEAT_TIMEOUT);
                socket.close();
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.registry().size()).isZero());
        }
    }

    @Test
    void registry_keepsOnlyNewest_whenSameDeviceLogsInAgain() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory)) {
            List<RawWebSocket> sockets = new ArrayList<>();
            RawWebSocket previous = open(server, "kicked-user", "phone");
            for (int i = 0; i < ROUNDS; i++) {
                RawWebSocket next = open(server, "kicked-user", "phone");
                assertThat(previous.receiveJson().get("type").asText()).isEqualTo("kicked");
                assertThat(previous.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.KICKED);
                sockets.add(previous);
                previous = next;
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.registry().size()).isEqualTo(1));
            previous.abort();
            for (RawWebSocket socket : sockets) {
                socket.close();
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.registry().size()).isZero());
        }
    }

    @Test
    void registry_isEmpty_andClientsGet1012_afterShutdown() throws Exception {
        TestServer server = TestServer.start(dataDirectory);
        List<RawWebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            sockets.add(open(server, "shutdown-" + i, "d"));
        }
        assertThat(server.registry().size()).isEqualTo(ROUNDS);
        server.stop();
        assertThat(server.registry().size()).as("registry after shutdown").isZero();
        for (RawWebSocket socket : sockets) {
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.SERVICE_RESTART);
            socket.close();
        }
    }

    private static RawWebSocket open(TestServer server, String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        assertThat(socket.handshake().status()).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        return socket;
    }
}
