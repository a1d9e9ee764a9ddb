package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input (R1, R11): each case gets an error naming the problem with the client's ref, or the
 * specified close code; the connection (where the spec says so), the server and other users are
 * unaffected.
 */
class BadInputTest {
    @TempDir
    static Path dataDirectory;
    static TestServer server;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of(
                "limits.maxMessageBytes", 4096,
                "limits.maxBodyBytes", 1024,
                "limits.maxInvalidRequests", 20,
                "limits.sendsPerSecond", 1,
                "limits.sendBurst", 5));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void badRequests_getNamedErrors_andConnectionStaysUsable() throws Exception {
        try (RawWebSocket alice = open("alice-bad", "d1"); RawWebSocket bystander = open("bystander", "d1")) {
            assertError(alice, "{not json", null, "bad_json");
            assertError(alice, "[1,2]", null, "bad_json");
            assertError(alice, "{\"type\":\"teleport\",\"ref\":\"r1\"}", "r1", "unknown_type");
            assertError(alice, "{\"ref\":\"r2\"}", "r2", "missing_field");
            assertError(alice, "{\"type\":\"welcome\",\"ref\":\"r3\"}", "r3", "unknown_type");
            assertError(alice, "{\"type\":\"send\",\"ref\":\"r4\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":1}", "r4", "missing_field");
            assertError(alice, "{\"type\":\"send\",\"ref\":\"r5\",\"clientId\":\"c\",\"to\":{\"kind\":\"planet\",\"id\":\"x\"},\"body\":1}", "r5", "invalid_field");
            assertError(alice, "{\"type\":\"send\",\"ref\":\"r6\",\"clientId\":\"c\",\"to\":\"bob\",\"body\":1}", "r6", "invalid_field");
            assertError(alice, "{\"type\":\"ack\",\"ref\":\"r7\",\"seq\":-4}", "r7", "invalid_field");
            assertError(alice, "{\"type\":\"resume\",\"ref\":\"r8\",\"afterSeq\":\"soon\"}", "r8", "invalid_field");
            String big = "x".repeat(2000);
            assertError(alice, "{\"type\":\"send\",\"ref\":\"r9\",\"clientId\":\"c9\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":\""
                    + big + "\"}", "r9", "payload_too_large");
            JsonNode message = errorFor(alice, "{\"type\":\"send\",\"ref\":\"r10\",\"clientId\":\"c10\",\"to\":{\"kind\":\"group\",\"id\":\"nowhere\"},\"body\":1}");
            assertThat(message.get("code").asText()).isEqualTo("group_not_found");

            assertError(alice, "{\"type\":\"send\",\"ref\":\"u1\",\"clientId\":\"u1\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":\"half an emoji \\ud83d\"}", "u1", "invalid_field");
            assertError(alice, "{\"type\":\"send\",\"ref\":\"u2\",\"clientId\":\"nul\\u0000id\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":1}", "u2", "invalid_field");
            assertError(alice, "{\"type\":\"presence.query\",\"ref\":\"p1\"}", "p1", "missing_field");
            assertError(alice, "{\"type\":\"presence.query\",\"ref\":\"p2\",\"users\":\"bob\"}", "p2", "invalid_field");
            assertError(alice, "{\"type\":\"presence.query\",\"ref\":\"p3\",\"users\":[\"ok\",\"not ok\"]}", "p3", "invalid_field");

            alice.sendFrame(true, RawWebSocket.BINARY, new byte[] {1, 2, 3});
            assertThat(alice.receiveJson().get("code").asText()).isEqualTo("unsupported_frame");

            assertStillServes(alice);
            assertStillServes(bystander);
        }
    }

    /**
     * Requests are parsed from their bytes; JSON text in another encoding (well-formed UTF-8 all the
     * same: its NULs are U+0000) or behind a byte-order mark is refused, not decoded as that encoding,
     * and a crafted start that made the decoder throw is answered like any other bad JSON.
     */
    @Test
    void jsonInAnotherEncoding_orAfterAByteOrderMark_isBadJson_andTheConnectionStaysUsable() throws Exception {
        byte[] ping = "{\"type\":\"ping\",\"ref\":\"enc\"}".getBytes(StandardCharsets.UTF_8);
        byte[] byteOrderMark = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[][] messages = {
                "{\"type\":\"ping\",\"ref\":\"enc\"}".getBytes(StandardCharsets.UTF_16LE),
                "{\"type\":\"ping\",\"ref\":\"enc\"}".getBytes(StandardCharsets.UTF_16BE),
                "{\"type\":\"ping\",\"ref\":\"enc\"}".getBytes(Charset.forName("UTF-32BE")),
                ByteBuffer.allocate(byteOrderMark.length + ping.length).put(byteOrderMark).put(ping).array(),
                {0, 0, 0, '{', 0, 0x11, 0, 0},
                {0, 0, 0, '{', 0, 0, 0, '}', 0, 0},
                {'{', '}', 0}};
        try (RawWebSocket socket = open("encodings", "d1")) {
            for (byte[] message : messages) {
                socket.sendFrame(true, RawWebSocket.TEXT, message);
                JsonNode reply = socket.receiveJson();
                assertThat(reply.get("type").asText()).as("reply to %s", Arrays.toString(message)).isEqualTo("error");
                assertThat(reply.get("code").asText()).as("code for %s", Arrays.toString(message)).isEqualTo("bad_json");
            }
            assertStillServes(socket);
        }
        assertNodeHealthy();
    }

    @Test
    void sendToGroup_isRejected_whenSenderIsNotMember() throws Exception {
        try (RawWebSocket owner = open("owner", "d1"); RawWebSocket outsider = open("outsider", "d1")) {
            owner.sendText("{\"type\":\"group.create\",\"ref\":\"g\",\"groupId\":\"private-club\"}");
            assertThat(owner.receiveJson().get("type").asText()).isEqualTo("result");
            JsonNode error = errorFor(outsider,
                    "{\"type\":\"send\",\"ref\":\"s1\",\"clientId\":\"x1\",\"to\":{\"kind\":\"group\",\"id\":\"private-club\"},\"body\":\"hi\"}");
            assertThat(error.get("code").asText()).isEqualTo("not_group_member");
            assertThat(error.get("ref").asText()).isEqualTo("s1");
            JsonNode members = errorFor(outsider, "{\"type\":\"group.members\",\"ref\":\"m1\",\"groupId\":\"private-club\"}");
            assertThat(members.get("code").asText()).isEqualTo("not_group_member");
            assertStillServes(outsider);
        }
    }

    @Test
    void fragmentedMessage_isReassembled() throws Exception {
        try (RawWebSocket socket = open("fragments", "d1")) {
            byte[] whole = "{\"type\":\"ping\",\"ref\":\"frag\"}".getBytes(StandardCharsets.UTF_8);
            socket.sendFrame(false, RawWebSocket.TEXT, java.util.Arrays.copyOfRange(whole, 0, 10));
            socket.sendFrame(false, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(whole, 10, 20));
            socket.sendFrame(true, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(whole, 20, whole.length));
            JsonNode pong = socket.receiveJson();
            assertThat(pong.get("type").asText()).isEqualTo("pong");
            assertThat(pong.get("ref").asText()).isEqualTo("frag");
        }
    }

    @Test
    void invalidUtf8_closesWith1007() throws Exception {
        try (RawWebSocket socket = open("utf8", "d1")) {
            socket.sendFrame(true, RawWebSocket.TEXT, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.INVALID_PAYLOAD);
        }
        assertNodeHealthy();
    }

    @Test
    void oversizeFrame_closesWith1009() throws Exception {
        try (RawWebSocket socket = open("oversize", "d1")) {
            socket.sendFrame(true, RawWebSocket.TEXT, ("\"" + "y".repeat(5000) + "\"").getBytes(StandardCharsets.UTF_8));
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
        assertNodeHealthy();
    }

    @Test
    void oversizeFragmentedMessage_closesWith1009() throws Exception {
        try (RawWebSocket socket = open("oversize-fragments", "d1")) {
            byte[] chunk = "z".repeat(3000).getBytes(StandardCharsets.UTF_8);
            socket.sendFrame(false, RawWebSocket.TEXT, chunk);
            socket.sendFrame(true, RawWebSocket.CONTINUATION, chunk);
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.MESSAGE_TOO_BIG);
        }
        assertNodeHealthy();
    }

    @Test
    void repeatedInvalidRequests_closeWith4000() throws Exception {
        try (RawWebSocket socket = open("abuser", "d1")) {
            for (int i = 0; i < 25; i++) {
                socket.sendText("garbage " + i);
            }
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.PROTOCOL_ABUSE);
        }
        assertNodeHealthy();
    }

    @Test
    void sendsOverRateLimit_getRateLimited_thenAbuseCloses4029() throws Exception {
        try (RawWebSocket socket = open("flooder", "d1")) {
            socket.sendText("{\"type\":\"resume\"}");
            int rateLimited = 0;
            for (int i = 0; i < 40; i++) {
                socket.sendText("{\"type\":\"send\",\"ref\":\"f" + i + "\",\"clientId\":\"f" + i
                        + "\",\"to\":{\"kind\":\"user\",\"id\":\"sink\"},\"body\":" + i + "}");
            }
            int closeCode = -2;
            while (closeCode == -2) {
                RawWebSocket.Frame frame = socket.receive(Duration.ofSeconds(10));
                if (frame == null) {
                    break;
                }
                if (frame.opcode() == RawWebSocket.CLOSE) {
                    closeCode = frame.closeCode();
                } else if (frame.opcode() == RawWebSocket.TEXT && frame.text().contains("\"rate_limited\"")) {
                    rateLimited++;
                }
            }
            assertThat(rateLimited).as("rate_limited errors before the close").isGreaterThan(0);
            assertThat(closeCode).isEqualTo(CloseCodes.RATE_LIMIT_ABUSE);
        }
        assertNodeHealthy();
    }

    private static RawWebSocket open(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        assertThat(socket.handshake().status()).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        return socket;
    }

    private static JsonNode errorFor(RawWebSocket socket, String request) throws IOException {
        socket.sendText(request);
        JsonNode reply = socket.receiveJson();
        assertThat(reply.get("type").asText()).as("reply to %s", request).isEqualTo("error");
        assertThat(reply.get("message").asText()).isNotBlank();
        return reply;
    }

    private static void assertError(RawWebSocket socket, String request, String ref, String code) throws IOException {
        JsonNode error = errorFor(socket, request);
        assertThat(error.get("code").asText()).as("code for %s", request).isEqualTo(code);
        if (ref != null) {
            assertThat(error.get("ref").asText()).as("ref echoed for %s", request).isEqualTo(ref);
        }
    }

    private static void assertStillServes(RawWebSocket socket) throws IOException {
        socket.sendText("{\"type\":\"ping\",\"ref\":\"alive\"}");
        JsonNode pong = socket.receiveJson();
        assertThat(pong.get("type").asText()).isEqualTo("pong");
    }

    private static void assertNodeHealthy() throws IOException {
        try (RawWebSocket other = open("canary", "d1")) {
            assertStillServes(other);
        }
    }
}
