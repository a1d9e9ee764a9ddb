package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WebSocket layer itself (R1), through the {@code /ws/echo} conformance hook, in the spirit of
 * the Autobahn test suite: framing, fragmentation, control frames, UTF-8, limits, close handshake
 * and permessage-deflate with its decompression-bomb limit.
 */
class EchoEndpointTest {
    private static final int LIMIT = 8192;

    @TempDir
    static Path dataDirectory;
    static TestServer server;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of("server.echoEndpoint", true, "limits.maxMessageBytes", LIMIT, "server.compression", true));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void textAndBinary_areEchoedInTheirFrameType() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendText("héllo wörld ✓");
            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.TEXT, "héllo wörld ✓".getBytes(StandardCharsets.UTF_8));
            byte[] binary = {0, 1, 2, (byte) 0xff, (byte) 0xfe};
            socket.sendFrame(true, RawWebSocket.BINARY, binary);
            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.BINARY, binary);
            socket.sendText("");
            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.TEXT, new byte[0]);
        }
    }

    @Test
    void aFrameSentBehindTheUpgradeRequest_beforeThe101_closesTheConnectionWithoutA101() throws Exception {
        byte[] maskedHello = {(byte) 0x81, (byte) 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}; // text "hello", mask 0
        byte[] reservedOpcode = {(byte) 0x83, (byte) 0x80, 0, 0, 0, 0}; // a frame the decoder refuses
        for (byte[] frame : new byte[][] {maskedHello, reservedOpcode}) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(10_000);
                byte[] request = ("GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                byte[] both = Arrays.copyOf(request, request.length + frame.length);
                System.arraycopy(frame, 0, both, request.length, frame.length);

                socket.getOutputStream().write(both); // one write: the server reads the frame with the request (RFC 6455 §4.1 forbids it)

                assertThat(socket.getInputStream().readAllBytes()).as("closed with nothing sent").isEmpty();
            }
        }
    }

    @Test
    void payloadLengthEncodings_7_16_and_64bit_allWork() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            for (int size : new int[] {125, 126, 127, 65_535 > LIMIT ? LIMIT : 65_535}) {
                byte[] payload = new byte[size];
                Arrays.fill(payload, (byte) 'a');
                socket.sendFrame(true, RawWebSocket.BINARY, payload);
                assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.BINARY, payload);
            }
        }
    }

    @Test
    void fragments_withInterleavedPing_areReassembledAndPingAnswered() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendFrame(false, RawWebSocket.TEXT, "frag".getBytes(StandardCharsets.UTF_8));
            socket.sendFrame(true, RawWebSocket.PING, "p".getBytes(StandardCharsets.UTF_8));
            socket.sendFrame(false, RawWebSocket.CONTINUATION, "ment".getBytes(StandardCharsets.UTF_8));
            socket.sendFrame(true, RawWebSocket.CONTINUATION, "ed".getBytes(StandardCharsets.UTF_8));
            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.PONG, "p".getBytes(StandardCharsets.UTF_8));
            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.TEXT, "fragmented".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void closeHandshake_echoesTheClientsCode() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendFrame(true, RawWebSocket.CLOSE, new byte[] {0x0f, (byte) 0xa0, 'b', 'y', 'e'});
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(4000);
            assertThat(socket.isClosedByServer(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void reservedBitsOrOpcodes_closeWithProtocolError() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendFrame(true, 0x3, "reserved opcode".getBytes(StandardCharsets.UTF_8));
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(1002);
        }
        try (RawWebSocket socket = echo(Map.of())) { // no extension negotiated: RSV1 means nothing here
            socket.sendFrame(true, 0x40 | RawWebSocket.TEXT, "not deflated".getBytes(StandardCharsets.UTF_8)); // RSV1 set
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        }
    }

    @Test
    void invalidUtf8_andOversize_closeWith1007And1009() throws Exception {
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendFrame(true, RawWebSocket.TEXT, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80});
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.INVALID_PAYLOAD);
        }
        try (RawWebSocket socket = echo(Map.of())) {
            socket.sendFrame(true, RawWebSocket.BINARY, new byte[LIMIT + 1]);
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
    }

    @Test
    void permessageDeflate_isNegotiated_andCompressedMessagesAreEchoed() throws Exception {
        try (RawWebSocket socket = echo(Map.of("Sec-WebSocket-Extensions", "permessage-deflate"))) {
            assertThat(socket.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
            byte[] text = "compress me, compress me, compress me".getBytes(StandardCharsets.UTF_8);
            socket.sendFrame(true, 0x40 | RawWebSocket.TEXT, deflate(text));
            RawWebSocket.Frame echoed = socket.receive(Duration.ofSeconds(5));
            assertThat(echoed).isNotNull();
            assertThat(echoed.opcode()).isEqualTo(RawWebSocket.TEXT);
        }
    }

    /**
     * A compressed message in two fragments (RSV1 on the first only, RFC 7692 §6.1) with a ping between
     * them: reassembled, inflated and echoed, not refused for its reserved bit, and the echo inflates
     * back to the same text.
     */
    @Test
    void permessageDeflate_aFragmentedCompressedMessage_isEchoedWhole() throws Exception {
        try (RawWebSocket socket = echo(Map.of("Sec-WebSocket-Extensions", "permessage-deflate"))) {
            assertThat(socket.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
            byte[] text = "fragmented and compressed, fragmented and compressed".getBytes(StandardCharsets.UTF_8);
            byte[] compressed = deflate(text);
            int half = compressed.length / 2;

            socket.sendFrame(false, 0x40 | RawWebSocket.TEXT, Arrays.copyOfRange(compressed, 0, half));
            socket.sendFrame(true, RawWebSocket.PING, "p".getBytes(StandardCharsets.UTF_8));
            socket.sendFrame(true, RawWebSocket.CONTINUATION, Arrays.copyOfRange(compressed, half, compressed.length));

            assertFrame(socket.receive(Duration.ofSeconds(5)), RawWebSocket.PONG, "p".getBytes(StandardCharsets.UTF_8));
            RawWebSocket.Frame echoed = socket.receive(Duration.ofSeconds(5));
            assertThat(echoed.opcode()).isEqualTo(RawWebSocket.TEXT);
            assertThat(echoed.compressed()).isTrue();
            assertThat(inflate(echoed.payload())).isEqualTo(text);
        }
    }

    /** permessage-deflate uses RSV1 on data frames only: RSV2, RSV3 and RSV1 on a control frame are still refused. */
    @Test
    void permessageDeflate_reservedBitsItDoesNotUse_closeWithProtocolError() throws Exception {
        byte[][] frames = {
                {(byte) (0x80 | 0x20 | RawWebSocket.TEXT)},  // RSV2 on a text frame
                {(byte) (0x80 | 0x10 | RawWebSocket.TEXT)},  // RSV3
                {(byte) (0x80 | 0x40 | 0x9)},                // RSV1 on a ping
        };
        for (byte[] firstByte : frames) {
            try (RawWebSocket socket = echo(Map.of("Sec-WebSocket-Extensions", "permessage-deflate"))) {
                assertThat(socket.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
                socket.sendFrame(true, firstByte[0] & 0x7f, "x".getBytes(StandardCharsets.UTF_8));
                assertThat(socket.awaitClose(Duration.ofSeconds(5))).as("first byte %02x", firstByte[0]).isEqualTo(CloseCodes.PROTOCOL_ERROR);
            }
        }
    }

    @Test
    void decompressionBomb_closesWith1009() throws Exception {
        try (RawWebSocket socket = echo(Map.of("Sec-WebSocket-Extensions", "permessage-deflate"))) {
            byte[] bomb = new byte[1_000_000];
            Arrays.fill(bomb, (byte) 'a');
            byte[] compressed = deflate(bomb);
            assertThat(compressed.length).as("the bomb is small on the wire").isLessThan(LIMIT);
            socket.sendFrame(true, 0x40 | RawWebSocket.BINARY, compressed);
            int code = socket.awaitClose(Duration.ofSeconds(5));
            assertThat(code).as("inflated size is bounded by the message limit").isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
        try (RawWebSocket after = echo(Map.of())) {
            after.sendText("still up");
            assertFrame(after.receive(Duration.ofSeconds(5)), RawWebSocket.TEXT, "still up".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static RawWebSocket echo(Map<String, String> headers) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws/echo", headers);
        assertThat(socket.handshake().status()).isEqualTo(101);
        return socket;
    }

    private static void assertFrame(RawWebSocket.Frame frame, int opcode, byte[] payload) {
        assertThat(frame).as("a frame").isNotNull();
        assertThat(frame.opcode()).as("opcode").isEqualTo(opcode);
        assertThat(frame.payload()).isEqualTo(payload);
    }

    /** RFC 7692: a message's payload with the trailing 00 00 ff ff put back, inflated (one message, so a fresh inflater). */
    private static byte[] inflate(byte[] payload) throws java.util.zip.DataFormatException {
        Inflater inflater = new Inflater(true);
        inflater.setInput(concat(payload, new byte[] {0, 0, (byte) 0xff, (byte) 0xff}));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int count;
        while ((count = inflater.inflate(buffer)) > 0) {
            out.write(buffer, 0, count);
        }
        inflater.end();
        return out.toByteArray();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** RFC 7692: raw DEFLATE, sync-flushed, without the trailing 00 00 ff ff. */
    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int count;
        while ((count = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
            out.write(buffer, 0, count);
        }
        deflater.end();
        byte[] bytes = out.toByteArray();
        return Arrays.copyOf(bytes, bytes.length - 4);
    }
}
