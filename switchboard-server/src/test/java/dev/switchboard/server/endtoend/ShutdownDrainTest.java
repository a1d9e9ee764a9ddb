package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R10's graceful shutdown: the node closes its connections with 1012 spread over
 * {@code shutdown.drainWindowMillis}, not all at once, so their clients do not all reconnect to the
 * other nodes in the same instant; and it stops only once they are closed.
 */
class ShutdownDrainTest {
    private static final int CONNECTIONS = 40;
    private static final long WINDOW_MILLIS = 2_000;

    @TempDir
    Path dataDirectory;

    /** When and how one client saw its connection closed. */
    private record Close(long nanos, int code) {
    }

    @Test
    void shutdown_closesEveryConnectionWith1012_spreadOverTheDrainWindow_andReturnsAfterTheLast() throws Exception {
        TestServer server = TestServer.start(dataDirectory, Map.of("shutdown.drainWindowMillis", WINDOW_MILLIS));
        HttpClient http = HttpClient.newHttpClient();
        ConcurrentLinkedQueue<Close> closes = new ConcurrentLinkedQueue<>();
        List<WebSocket> sockets = new ArrayList<>();
        try {
            drain(server, http, closes, sockets);
        } finally {
            server.close();
            sockets.forEach(WebSocket::abort);
        }
    }

    private static void drain(TestServer server, HttpClient http, ConcurrentLinkedQueue<Close> closes, List<WebSocket> sockets)
            throws Exception {
        for (int i = 0; i < CONNECTIONS; i++) {
            URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws?user=user-" + i + "&device=d");
            sockets.add(http.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                    closes.add(new Close(System.nanoTime(), statusCode));
                    return CompletableFuture.completedFuture(null); // the client then answers the close
                }
            }).get(10, TimeUnit.SECONDS));
        }
        assertThat(server.registry().size()).isEqualTo(CONNECTIONS);

        long shutdownStarted = System.nanoTime();
        server.close();

        assertThat(server.registry().size()).as("close() returned once every connection was gone").isZero();
        // The clients may see the last close frames a moment after the server has let go of them.
        await().atMost(Duration.ofSeconds(10)).until(() -> closes.size() == CONNECTIONS);
        assertThat(closes).allMatch(close -> close.code() == CloseCodes.SERVICE_RESTART);
        long first = closes.stream().mapToLong(Close::nanos).min().orElseThrow();
        long last = closes.stream().mapToLong(Close::nanos).max().orElseThrow();
        // Each close is drawn uniformly from the window: 40 of them all within half of it has a chance of
        // about 40 × 2^-39. Only a lower bound is checked: a client seeing its close late widens the spread,
        // and only the first close arriving late by more than half the window could narrow it so much.
        assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("first to last close")
                .isGreaterThanOrEqualTo(WINDOW_MILLIS / 2);
        assertThat(first).as("the first close came after shutdown began").isGreaterThanOrEqualTo(shutdownStarted);
    }
}
