package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R2's admission limits on a real node: connections per client address (behind a trusted proxy, the
 * address its {@code X-Forwarded-For} names) and per user, and handshakes per second per address. Every
 * refusal is a plain HTTP 429 with a JSON body, before the upgrade. Sources 127.0.0.2, 127.0.0.3, … are
 * loopback addresses: on Linux the whole 127.0.0.0/8 reaches the server.
 */
class AdmissionLimitsTest {
    @TempDir
    static Path dataDirectory;
    @TempDir
    static Path rateDataDirectory;
    static TestServer server;
    /** Its own node: the connection limits above would refuse a fast reconnect before its close is seen. */
    static TestServer rateServer;
    @TempDir
    static Path capacityDataDirectory;
    /** A node that takes two connections, and gives a connection 300 ms of silence to make its handshake. */
    static TestServer capacityServer;
    private final List<RawWebSocket> open = new ArrayList<>();

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of(
                "limits.maxConnectionsPerIp", 3,
                "limits.maxConnectionsPerUser", 2,
                "server.trustedProxies", List.of("127.0.0.1")));
        rateServer = TestServer.start(rateDataDirectory, Map.of(
                "limits.handshakesPerSecondPerIp", 1,
                "limits.handshakeBurstPerIp", 4));
        capacityServer = TestServer.start(capacityDataDirectory, Map.of(
                "server.maxConnections", 2,
                "server.handshakeTimeoutMillis", 300));
    }

    @AfterAll
    static void stopServer() {
        server.close();
        rateServer.close();
        capacityServer.close();
    }

    @AfterEach
    void closeAll() throws IOException {
        for (RawWebSocket socket : open) {
            socket.close();
        }
    }

    @Test
    void userLimit_refusesTheThirdConnectionOfAUser_untilOneCloses() throws Exception {
        RawWebSocket first = connect("127.0.0.5", "/ws?user=ulla&device=a", Map.of());
        connect("127.0.0.6", "/ws?user=ulla&device=b", Map.of());
        assertThat(first.handshake().status()).isEqualTo(101);

        RawWebSocket third = connect("127.0.0.7", "/ws?user=ulla&device=c", Map.of());
        assertRefused(third, "too many connections for this user");

        first.close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(connect("127.0.0.8", "/ws?user=ulla&device=d", Map.of()).handshake().status()).isEqualTo(101));
    }

    @Test
    void userLimit_letsADeviceReconnect_whileItsOldConnectionIsStillOpen() throws Exception {
        // A phone whose network dropped silently reconnects before the server noticed the old socket die.
        RawWebSocket stale = connect("127.0.0.9", "/ws?user=vera&device=phone", Map.of());
        stale.receiveType("welcome"); // its session exists: registered, so a reconnect is seen to replace it
        assertThat(connect("127.0.0.10", "/ws?user=vera&device=laptop", Map.of()).handshake().status()).isEqualTo(101);

        RawWebSocket again = connect("127.0.0.11", "/ws?user=vera&device=phone", Map.of());

        assertThat(again.handshake().status()).as("replaces, so not over the limit").isEqualTo(101);
        assertThat(stale.awaitClose(Duration.ofSeconds(5))).as("the old one is replaced (kicked)").isEqualTo(4003);
        assertRefused(connect("127.0.0.12", "/ws?user=vera&device=tablet", Map.of()),
                "too many connections for this user");
    }

    @Test
    void limits_countNothing_onceEveryConnectionClosed() throws Exception {
        for (int i = 0; i < 3; i++) {
            connect("127.0.0.50", "/ws?user=z" + i, Map.of());
        }
        assertRefused(connect("127.0.0.50", "/ws?user=z3", Map.of()), "too many connections from this address");

        closeAll();
        open.clear();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (RawWebSocket socket = RawWebSocket.connectFrom("127.0.0.50", server.port(), "/ws?user=z4", Map.of())) {
                assertThat(socket.handshake().status()).isEqualTo(101);
            }
        });
        for (int i = 5; i < 7; i++) {
            assertThat(connect("127.0.0.50", "/ws?user=z" + i, Map.of()).handshake().status()).isEqualTo(101);
        }
    }

    @Test
    void addressLimit_refusesTheFourthConnectionFromAnAddress_notFromAnother() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(connect("127.0.0.20", "/ws?user=a" + i, Map.of()).handshake().status()).isEqualTo(101);
        }

        assertRefused(connect("127.0.0.20", "/ws?user=a3", Map.of()), "too many connections from this address");
        assertThat(connect("127.0.0.21", "/ws?user=a3", Map.of()).handshake().status()).isEqualTo(101);
    }

    @Test
    void addressLimit_countsTheForwardedAddress_behindATrustedProxy() throws Exception {
        // 127.0.0.1 is the trusted proxy: its connections count for the client its header names.
        Map<String, String> fromClientOne = Map.of("X-Forwarded-For", "198.51.100.7");
        for (int i = 0; i < 3; i++) {
            assertThat(connect("127.0.0.1", "/ws?user=p" + i, fromClientOne).handshake().status()).isEqualTo(101);
        }

        assertRefused(connect("127.0.0.1", "/ws?user=p3", fromClientOne), "too many connections from this address");
        assertThat(connect("127.0.0.1", "/ws?user=p3", Map.of("X-Forwarded-For", "198.51.100.8")).handshake().status())
                .isEqualTo(101);
    }

    @Test
    void forwardedFor_isIgnored_fromAnUntrustedPeer() throws Exception {
        // Each claims a different client, but 127.0.0.30 is no proxy of ours: all four count for it.
        for (int i = 0; i < 3; i++) {
            assertThat(connect("127.0.0.30", "/ws?user=f" + i, Map.of("X-Forwarded-For", "203.0.113." + i))
                    .handshake().status()).isEqualTo(101);
        }

        assertRefused(connect("127.0.0.30", "/ws?user=f3", Map.of("X-Forwarded-For", "203.0.113.99")),
                "too many connections from this address");
    }

    @Test
    void handshakeRate_refusesAnAddressOverItsBurst_with429AndRetryAfter() throws Exception {
        // Burst 4 at 1/s: the first four always pass; ten in a row cannot all pass unless they took 6 s.
        List<Integer> statuses = new ArrayList<>();
        boolean checkedRefusal = false;
        for (int i = 0; i < 10; i++) {
            try (RawWebSocket socket = RawWebSocket.connectFrom("127.0.0.40", rateServer.port(), "/ws?user=r" + i, Map.of())) {
                statuses.add(socket.handshake().status());
                if (socket.handshake().status() == 429 && !checkedRefusal) {
                    checkedRefusal = true;
                    assertThat(socket.handshake().header("Retry-After")).isEqualTo("1");
                    assertThat(socket.handshake().body()).contains("rate_limited");
                    assertThat(socket.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
                }
            }
        }

        assertThat(statuses.subList(0, 4)).containsOnly(101);
        assertThat(statuses).contains(429);
        try (RawWebSocket other = RawWebSocket.connectFrom("127.0.0.41", rateServer.port(), "/ws?user=r10", Map.of())) {
            assertThat(other.handshake().status()).as("another address is not limited").isEqualTo(101);
        }
    }

    @Test
    void nodeCapacity_answers503PastMaxConnections_untilOneCloses() throws Exception {
        RawWebSocket first = RawWebSocket.connect(capacityServer.port(), "/ws?user=c1");
        open.add(first);
        open.add(RawWebSocket.connect(capacityServer.port(), "/ws?user=c2"));
        assertThat(first.handshake().status()).isEqualTo(101);

        try (RawWebSocket third = RawWebSocket.connect(capacityServer.port(), "/ws?user=c3")) {
            assertThat(third.handshake().status()).isEqualTo(503);
            assertThat(third.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
            assertThat(third.handshake().body()).contains("unavailable").contains("connection limit reached");
        }

        first.close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            try (RawWebSocket again = RawWebSocket.connect(capacityServer.port(), "/ws?user=c4")) {
                assertThat(again.handshake().status()).isEqualTo(101);
            }
        });
    }

    @Test
    void aConnectionThatSendsNothing_isClosedAfterTheHandshakeTimeout() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", capacityServer.port())) {
            silent.setSoTimeout(10_000); // far past the 300 ms: a read that times out fails the test

            assertThat(silent.getInputStream().read()).as("closed by the server, nothing sent").isEqualTo(-1);
        }
    }

    @Test
    void aHandshakeDrippedAByteAtATime_isClosedAtTheAbsoluteDeadline() throws Exception {
        // Every byte resets the 300 ms idle timeout; the deadline (six times it) closes the connection anyway.
        byte[] request = "GET /ws?user=drip HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ".getBytes(StandardCharsets.US_ASCII);
        int maxBytes = 200; // 20 s at a byte per 100 ms: the drip outlasts the deadline many times over
        AtomicInteger written = new AtomicInteger();
        ScheduledExecutorService dripper = Executors.newSingleThreadScheduledExecutor();
        try (Socket drip = new Socket("127.0.0.1", capacityServer.port())) {
            drip.setSoTimeout(30_000);
            OutputStream out = drip.getOutputStream();
            dripper.scheduleAtFixedRate(() -> {
                int next = written.get();
                if (next >= maxBytes) {
                    throw new IllegalStateException("dripped out"); // ends the schedule
                }
                try {
                    out.write(next < request.length ? request[next] : 'x');
                    out.flush();
                    written.incrementAndGet();
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // the server closed: ends the schedule
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            assertThat(readOrReset(drip)).as("closed by the server, nothing answered").isEqualTo(-1);
            assertThat(written.get()).as("closed while the bytes still came").isLessThan(maxBytes);
        } finally {
            dripper.shutdownNow();
        }
    }

    /** The first byte the peer sends, or -1 when it closes (or resets) the connection first. */
    private static int readOrReset(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (SocketException e) {
            return -1; // reset by the server
        }
    }

    private RawWebSocket connect(String source, String path, Map<String, String> headers) throws IOException {
        RawWebSocket socket = RawWebSocket.connectFrom(source, server.port(), path, headers);
        open.add(socket);
        return socket;
    }

    private static void assertRefused(RawWebSocket socket, String reason) {
        assertThat(socket.handshake().status()).isEqualTo(429);
        assertThat(socket.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
        assertThat(socket.handshake().header("Content-Type")).isEqualTo("application/json");
        assertThat(socket.handshake().body()).contains("too_many_connections").contains(reason);
    }
}
