package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bounds files on a node: the downloads served at once ({@code files.maxDownloads}), a client that
 * stops reading (closed once no byte has left for the idle timeout, which frees its slot), the
 * per-address rate that handshakes and downloads share, and the chunk bytes waiting for the store
 * ({@code files.maxQueuedChunkBytes}).
 */
class FileLimitsTest {
    /** Larger than what the loopback's socket buffers hold, so a client that does not read stalls the download. */
    private static final int FILE_BYTES = 12 << 20;

    @TempDir
    Path dataDirectory;
    private TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aClientThatStopsReading_holdsTheOnlySlotUntilTheIdleTimeoutClosesIt() throws Exception {
        server = TestServer.start(dataDirectory, Map.of("files.maxDownloads", 1, "files.maxFileBytes", FILE_BYTES,
                "server.handshakeTimeoutMillis", 1000, "limits.sendsPerSecond", 10_000, "limits.sendBurst", 10_000,
                "limits.userSendsPerSecond", 0));
        String fileId = uploadedFile(FILE_BYTES);

        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", server.port()));
            stalled.getOutputStream().write(get(fileId));
            InputStream in = stalled.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");

            assertThat(status(fileId)).as("the node's one download slot is taken").isEqualTo(503);

            // Nothing read from here on: the node's writes stop, and after the idle timeout it closes the connection.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status(fileId)).isEqualTo(200));
            stalled.setSoTimeout(10_000);
            assertThat(readToEnd(in)).as("the stalled download was cut short").isLessThan(FILE_BYTES);
        }
    }

    @Test
    void downloads_countAgainstTheAddressesHandshakeRate() throws Exception {
        server = TestServer.start(dataDirectory, Map.of("limits.handshakesPerSecondPerIp", 1,
                "limits.handshakeBurstPerIp", 2));
        String fileId = uploadedFile(10); // the WebSocket handshake takes one of the burst

        assertThat(status(fileId)).isEqualTo(200);
        assertThat(status(fileId)).isEqualTo(429);
    }

    @Test
    void aChunkOverTheNodesQueuedChunkBytes_getsStoreBusy_andSmallerOnesAreStored() throws Exception {
        server = TestServer.start(dataDirectory, Map.of("files.maxQueuedChunkBytes", 1000));
        try (RawWebSocket alice = RawWebSocket.connect(server.port(), "/ws?user=alice&device=phone")) {
            alice.receiveType("welcome");
            alice.sendJson("{\"type\":\"upload.start\",\"ref\":\"s\",\"name\":\"a.bin\",\"size\":3000}");
            String fileId = alice.receiveType("result").get("data").get("fileId").asText();

            alice.sendBinaries(RawWebSocket.fileChunk(RawWebSocket.fileChunkHeader(fileId, 0), new byte[1001]));
            JsonNode refused = alice.receiveType("error");
            assertThat(refused.get("code").asText()).isEqualTo("store_busy");
            assertThat(refused.get("ref").asText()).isEqualTo("chunk-0");
            for (int offset = 0; offset < 3000; offset += 1000) {
                alice.sendBinaries(RawWebSocket.fileChunk(RawWebSocket.fileChunkHeader(fileId, offset), new byte[1000]));
                assertThat(alice.receiveType("result").get("data").get("offset").asLong()).isEqualTo(offset + 1000);
            }
        }
    }

    /** A file of {@code size} bytes uploaded by alice, who downloads it in these tests. */
    private String uploadedFile(int size) throws IOException {
        try (RawWebSocket alice = RawWebSocket.connect(server.port(), "/ws?user=alice&device=phone")) {
            alice.receiveType("welcome");
            alice.sendJson("{\"type\":\"upload.start\",\"ref\":\"s\",\"name\":\"big.bin\",\"size\":" + size + "}");
            JsonNode started = alice.receiveType("result").get("data");
            String fileId = started.get("fileId").asText();
            int chunkBytes = started.get("chunkBytes").asInt();
            byte[] chunk = new byte[chunkBytes];
            Arrays.fill(chunk, (byte) 7);
            for (long offset = 0; offset < size; offset += chunkBytes) {
                int length = (int) Math.min(chunkBytes, size - offset);
                alice.sendBinaries(RawWebSocket.fileChunk(RawWebSocket.fileChunkHeader(fileId, offset),
                        Arrays.copyOf(chunk, length)));
                assertThat(alice.receiveType("result").get("data").get("offset").asLong()).isEqualTo(offset + length);
            }
            return fileId;
        }
    }

    private int status(String fileId) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(get(fileId));
            String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }

    private static byte[] get(String fileId) {
        return ("GET /files/" + fileId + "?user=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static long readToEnd(InputStream in) {
        long total = 0;
        byte[] buffer = new byte[65536];
        try {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                total += read;
            }
        } catch (IOException e) { // reset by the node: as good as the end
        }
        return total;
    }
}
