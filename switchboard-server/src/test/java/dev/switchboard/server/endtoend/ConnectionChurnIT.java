package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * R3's proof: open and close 100,000 connections, and the registry returns to zero and the heap to its
 * baseline. Eight clients, each from its own loopback address (so the closed connections' TIME_WAIT
 * entries do not use up one address's ports), open a connection, wait for its {@code welcome}, and end
 * it one of two ways in turn: a close handshake (1000) or a TCP reset. The node runs in this JVM: its
 * live heap is read after full collections, once after a warm-up of the same churn and once after. A
 * heap histogram diff of the two (jcmd PID GC.class_histogram) names whatever is left.
 */
class ConnectionChurnIT {
    private static final Logger log = LoggerFactory.getLogger(ConnectionChurnIT.class);
    private static final int CONNECTIONS = Integer.getInteger("churn.connections", 100_000);
    private static final int WARM_UP = 10_000;
    private static final int CLIENTS = 8;
    /** Users the connections cycle through: the store keeps a device state for each, before and after alike. */
    private static final int USERS = 500;
    /**
     * What the live heap may grow by: about 10 bytes a connection for 100,000, where a leaked entry costs
     * hundreds. Measured: about 50 KiB. What grows with the count of connections fails this; what is held
     * only for a while after each close is held alike at both measurements, both taken right after a
     * churn, and is for unit tests to catch. This test's first run found one such hold, by luck (a slower
     * warm-up): the close-deadline task kept each closed channel for 2 s, 3,120 of them (5.4 MB) after the
     * churn; it is now cancelled with the connection (WebSocketEndpointHandlerTest).
     */
    private static final long HEAP_GROWTH_LIMIT_BYTES = 1L << 20;

    @TempDir
    Path dataDirectory;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void hundredThousandConnectionsOpenedAndClosed_leaveAnEmptyRegistry_andTheHeapAtItsBaseline() throws Exception {
        try (TestServer server = TestServer.start(dataDirectory)) {
            churn(server, WARM_UP);
            awaitEmpty(server);
            long baseline = liveHeapBytes();

            churn(server, CONNECTIONS);
            awaitEmpty(server);
            long after = liveHeapBytes();

            log.info("{} connections opened and closed: live heap {} KiB before, {} KiB after ({} bytes a connection)",
                    CONNECTIONS, baseline >> 10, after >> 10, (after - baseline) / CONNECTIONS);
            assertThat(after - baseline).as("live heap growth after %d connections, in bytes", CONNECTIONS)
                    .isLessThan(HEAP_GROWTH_LIMIT_BYTES);
        }
    }

    /** Opens and ends {@code count} connections, {@link #CLIENTS} at a time. */
    private static void churn(TestServer server, int count) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                String sourceAddress = "127.0.0." + (2 + client);
                done.add(clients.submit(() -> {
                    int opened = 0;
                    try {
                        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                            openAndEnd(server.port(), sourceAddress, i);
                            opened++;
                        }
                    } catch (Exception | Error e) {
                        next.set(count); // the other clients stop too: the failure is reported now, not after the rest
                        throw e;
                    }
                    return opened;
                }));
            }
            int opened = 0;
            for (Future<Integer> client : done) {
                opened += client.get();
            }
            assertThat(opened).isEqualTo(count);
        } finally {
            clients.shutdownNow();
        }
    }

    private static void openAndEnd(int port, String sourceAddress, int index) throws IOException {
        RawWebSocket socket = RawWebSocket.connectFrom(sourceAddress, port,
                "/ws?user=churn-" + (index % USERS) + "&device=d" + (index % 3), Map.of());
        try {
            assertThat(socket.handshake().status()).as("handshake %d", index).isEqualTo(101);
            assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
            if (index % 2 == 0) {
                socket.sendFrame(true, RawWebSocket.CLOSE, new byte[] {0x03, (byte) 0xE8}); // 1000
                assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(1000);
                socket.close();
            } else {
                socket.abort();
            }
        } catch (IOException | RuntimeException | Error e) {
            socket.abort();
            throw e;
        }
    }

    private static void awaitEmpty(TestServer server) {
        await().atMost(Duration.ofSeconds(30)).until(() -> server.registry().size() == 0);
    }

    /** The heap's used bytes after full collections: the least of a few, once nothing is left to free. */
    private static long liveHeapBytes() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
        }
        return least;
    }
}
