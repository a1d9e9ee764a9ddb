package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R14 on a real node, byte for byte as PROTOCOL.md section 11 describes it: an upload in binary chunks,
 * each acknowledged; a resume at the stored offset on a new connection; a message that carries the file,
 * live and on replay; the download over HTTP, whole, as a range, and refused to whoever may not read it;
 * and every bad chunk answered with its error while the connection stays up.
 */
class FilesEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FILE_BYTES = 300_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dataDirectory;
    static TestServer server;
    private final List<RawWebSocket> open = new ArrayList<>();
    private int refs;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of("files.maxFileBytes", MAX_FILE_BYTES, "files.maxOpenUploads", 3));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @AfterEach
    void closeAll() throws IOException {
        for (RawWebSocket socket : open) {
            socket.close();
        }
    }

    @Test
    void uploadInChunks_sendToBob_bobGetsTheFileInTheMessage_andDownloadsTheSameBytes() throws Exception {
        RawWebSocket alice = connect("alice", "phone");
        RawWebSocket bob = connect("bob", "laptop");
        bob.sendJson("{\"type\":\"resume\"}");
        bob.receiveType("synced");
        byte[] content = randomBytes(150_000);

        JsonNode started = request(alice, "upload.start", Map.of("name", "report ü.pdf", "size", content.length,
                "contentType", "application/pdf"));
        String fileId = started.get("fileId").asText();
        int chunkBytes = started.get("chunkBytes").asInt();
        assertThat(fileId).matches("f-[0-9a-f]{32}");
        assertThat(started.get("offset").asLong()).isZero();
        assertThat(started.get("complete").asBoolean()).isFalse();
        assertThat(chunkBytes).isEqualTo(65_536 - 1024);

        JsonNode last = null;
        for (int offset = 0; offset < content.length; offset += chunkBytes) {
            int length = Math.min(chunkBytes, content.length - offset);
            last = sendChunk(alice, fileId, offset, Arrays.copyOfRange(content, offset, offset + length));
            assertThat(last.get("offset").asLong()).isEqualTo(offset + length);
            assertThat(last.get("complete").asBoolean()).isEqualTo(offset + length == content.length);
        }

        JsonNode sent = request(alice, "send", Map.of("clientId", "file-1", "to", Map.of("kind", "user", "id", "bob"),
                "body", "the report", "fileId", fileId), "sent");
        assertThat(sent.get("duplicate").asBoolean()).isFalse();
        JsonNode file = bob.receiveType("message").get("message").get("file");
        assertThat(file.get("id").asText()).isEqualTo(fileId);
        assertThat(file.get("name").asText()).isEqualTo("report ü.pdf");
        assertThat(file.get("size").asLong()).isEqualTo(content.length);
        assertThat(file.get("contentType").asText()).isEqualTo("application/pdf");

        HttpResponse<byte[]> download = get(fileId, "?user=bob", Map.of());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(content);
        assertThat(download.headers().firstValue("Content-Type")).hasValue("application/pdf");
        assertThat(download.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"report _.pdf\"; filename*=UTF-8''report%20%C3%BC.pdf");
        assertThat(download.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(get(fileId, "?user=alice", Map.of()).body()).as("the owner").isEqualTo(content);
        assertThat(get(fileId, "", Map.of("Authorization", "Bearer "
                + TestServer.token("bob", "web", Duration.ofMinutes(5)))).body()).as("with a token").isEqualTo(content);
    }

    @Test
    void download_servesARange_refusesOthers_andTellsNothingOfFilesTheyMayNotRead() throws Exception {
        RawWebSocket alice = connect("alice", "range");
        byte[] content = randomBytes(100_000);
        String fileId = upload(alice, "data.bin", content);
        request(alice, "send", Map.of("clientId", "range-1", "to", Map.of("kind", "user", "id", "bob"), "body", "",
                "fileId", fileId), "sent");

        HttpResponse<byte[]> tail = get(fileId, "?user=bob", Map.of("Range", "bytes=70000-"));
        assertThat(tail.statusCode()).isEqualTo(206);
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(content, 70_000, content.length));
        assertThat(tail.headers().firstValue("Content-Range")).hasValue("bytes 70000-99999/100000");
        HttpResponse<byte[]> middle = get(fileId, "?user=bob", Map.of("Range", "bytes=64000-65000"));
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.body()).as("across two chunks").isEqualTo(Arrays.copyOfRange(content, 64_000, 65_001));
        HttpResponse<byte[]> suffix = get(fileId, "?user=bob", Map.of("Range", "bytes=-10"));
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(content, 99_990, 100_000));
        HttpResponse<byte[]> pastTheEnd = get(fileId, "?user=bob", Map.of("Range", "bytes=100000-"));
        assertThat(pastTheEnd.statusCode()).isEqualTo(416);
        assertThat(pastTheEnd.headers().firstValue("Content-Range")).hasValue("bytes */100000");

        HttpResponse<byte[]> head = HTTP.send(HttpRequest.newBuilder(fileUri(fileId, "?user=bob"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue("100000");
        assertThat(head.body()).isEmpty();

        HttpResponse<byte[]> stranger = get(fileId, "?user=carol", Map.of());
        HttpResponse<byte[]> unknown = get("f-" + "0".repeat(32), "?user=carol", Map.of());
        assertThat(stranger.statusCode()).isEqualTo(404);
        assertThat(new String(stranger.body(), StandardCharsets.UTF_8))
                .isEqualTo(new String(unknown.body(), StandardCharsets.UTF_8));
        assertThat(get(fileId, "", Map.of()).statusCode()).as("no credentials").isEqualTo(401);
        assertThat(head.headers().firstValue("Content-Security-Policy")).hasValue("default-src 'none'; sandbox");
        assertThat(head.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(get(fileId, "?token=forged.token.value", Map.of()).statusCode()).isEqualTo(401);
        assertThat(get("not-a-file-id", "?user=bob", Map.of()).statusCode()).isEqualTo(404);
    }

    @Test
    void upload_resumesOnANewConnection_atTheStoredOffset_andAResentChunkIsNotStoredTwice() throws Exception {
        byte[] content = randomBytes(10_000);
        RawWebSocket first = connect("dora", "tablet");
        String fileId = request(first, "upload.start", Map.of("name", "notes.txt", "size", content.length))
                .get("fileId").asText();
        sendChunk(first, fileId, 0, Arrays.copyOfRange(content, 0, 4_000));
        first.abort(); // the connection drops: no close handshake

        RawWebSocket second = connect("dora", "tablet");
        JsonNode status = request(second, "upload.status", Map.of("fileId", fileId));
        assertThat(status.get("offset").asLong()).isEqualTo(4_000);
        assertThat(status.get("contentType").asText()).as("the default").isEqualTo("application/octet-stream");
        JsonNode resent = sendChunkExpectingError(second, fileId, 0, Arrays.copyOfRange(content, 0, 4_000));
        assertThat(resent.get("code").asText()).isEqualTo("upload_offset");
        assertThat(resent.get("message").asText()).contains("4000");
        assertThat(sendChunk(second, fileId, 4_000, Arrays.copyOfRange(content, 4_000, content.length))
                .get("complete").asBoolean()).isTrue();

        assertThat(get(fileId, "?user=dora", Map.of()).body()).isEqualTo(content);
    }

    @Test
    void aMessageWithAFile_isReplayedWithIt_andGroupMembersMayDownload() throws Exception {
        RawWebSocket erin = connect("erin", "phone");
        request(erin, "group.create", Map.of("groupId", "files-team", "members", List.of("frank")));
        String fileId = upload(erin, "plan.png", randomBytes(500));
        request(erin, "send", Map.of("clientId", "group-file", "to", Map.of("kind", "group", "id", "files-team"),
                "body", Map.of("caption", "the plan"), "fileId", fileId), "sent");

        RawWebSocket frank = connect("frank", "phone"); // offline when it was sent: gets it on resume
        frank.sendJson("{\"type\":\"resume\",\"afterSeq\":0}");
        JsonNode message = frank.receiveType("message").get("message");
        assertThat(message.get("file").get("id").asText()).isEqualTo(fileId);
        assertThat(message.get("body").get("caption").asText()).isEqualTo("the plan");
        assertThat(get(fileId, "?user=frank", Map.of()).statusCode()).isEqualTo(200);
        assertThat(get(fileId, "?user=grace", Map.of()).statusCode()).isEqualTo(404);

        JsonNode history = ApiClient.of(server).get("/api/v1/users/frank/messages?afterSeq=0").json();
        assertThat(history.get("messages").get(0).get("file").get("id").asText()).as("the server API's history")
                .isEqualTo(fileId);
        assertThat(history.get("messages").get(0).get("file").get("name").asText()).isEqualTo("plan.png");
    }

    @Test
    void badChunksAndRequests_getTheirErrors_andTheConnectionStaysUp() throws Exception {
        RawWebSocket hank = connect("hank", "desk");
        String fileId = request(hank, "upload.start", Map.of("name", "a.bin", "size", 100)).get("fileId").asText();

        hank.sendBinaries(new byte[] {0, 0, 1});
        assertError(hank, "unsupported_frame");
        hank.sendBinaries(new byte[] {0, 50, '{'});
        assertError(hank, "unsupported_frame"); // a header longer than the frame
        hank.sendBinaries(chunkFrame("{not json", new byte[] {1}));
        assertError(hank, "bad_json");
        hank.sendBinaries(chunkFrame("{\"type\":\"send\",\"ref\":\"x\"}", new byte[] {1}));
        assertError(hank, "unsupported_frame");
        hank.sendBinaries(chunkFrame(header(fileId, 0), new byte[0]));
        assertError(hank, "invalid_field");
        hank.sendBinaries(chunkFrame(header(fileId, 0), new byte[101]));
        assertError(hank, "invalid_field");
        hank.sendBinaries(chunkFrame(header("f-" + "1".repeat(32), 0), new byte[1]));
        assertError(hank, "file_not_found");
        hank.sendJson("{\"type\":\"upload.chunk\",\"fileId\":\"" + fileId + "\",\"offset\":0}");
        assertError(hank, "unsupported_frame");

        // Two chunks in one write: the second arrives while the first is being stored.
        hank.sendBinaries(chunkFrame(header(fileId, 0), new byte[10]), chunkFrame(header(fileId, 10), new byte[10]));
        List<String> answers = List.of(answerType(hank), answerType(hank));
        assertThat(answers).containsExactlyInAnyOrder("result", "error:rate_limited");

        assertThat(errorOf(hank, "upload.start", Map.of("name", "big.iso", "size", MAX_FILE_BYTES + 1)))
                .isEqualTo("file_too_large");
        assertThat(errorOf(hank, "upload.start", Map.of("name", "../x", "size", 1))).isEqualTo("invalid_field");
        assertThat(errorOf(hank, "upload.start", Map.of("name", "x", "size", 1, "contentType", "text"))).isEqualTo("invalid_field");
        assertThat(errorOf(hank, "send", Map.of("clientId", "incomplete", "to", Map.of("kind", "user", "id", "ida"),
                "body", "", "fileId", fileId))).isEqualTo("file_incomplete");
        assertThat(errorOf(hank, "send", Map.of("clientId", "not-mine", "to", Map.of("kind", "user", "id", "ida"),
                "body", "", "fileId", "f-" + "2".repeat(32)))).isEqualTo("file_not_found");
        request(hank, "upload.start", Map.of("name", "b.bin", "size", 5));
        request(hank, "upload.start", Map.of("name", "c.bin", "size", 5));
        assertThat(errorOf(hank, "upload.start", Map.of("name", "d.bin", "size", 5))).isEqualTo("upload_limit");
        JsonNode cancelled = request(hank, "upload.cancel", Map.of("fileId", fileId));
        assertThat(cancelled.get("cancelled").asBoolean()).isTrue();
        assertThat(errorOf(hank, "upload.status", Map.of("fileId", fileId))).isEqualTo("file_not_found");
        assertThat(request(hank, "upload.start", Map.of("name", "d.bin", "size", 5)).get("fileId").asText())
                .as("the cancelled upload's place").startsWith("f-");

        assertThat(request(hank, "ping", Map.of(), "pong")).isNotNull(); // still up
    }

    @Test
    void aSendWithAFile_andAPlainSendRightBehindIt_areStoredInTheOrderSent() throws Exception {
        RawWebSocket jack = connect("jack", "phone");
        String fileId = upload(jack, "first.jpg", randomBytes(1_000));
        jack.sendTexts("{\"type\":\"send\",\"ref\":\"a\",\"clientId\":\"order-1\",\"to\":{\"kind\":\"user\","
                        + "\"id\":\"kate\"},\"body\":\"the photo\",\"fileId\":\"" + fileId + "\"}",
                "{\"type\":\"send\",\"ref\":\"b\",\"clientId\":\"order-2\",\"to\":{\"kind\":\"user\","
                        + "\"id\":\"kate\"},\"body\":\"look at it\"}");
        jack.receiveType("sent");
        jack.receiveType("sent");

        RawWebSocket kate = connect("kate", "phone");
        kate.sendJson("{\"type\":\"resume\",\"afterSeq\":0}");
        JsonNode first = kate.receiveType("message").get("message");
        JsonNode second = kate.receiveType("message").get("message");
        assertThat(List.of(first.get("clientId").asText(), second.get("clientId").asText()))
                .containsExactly("order-1", "order-2");
        assertThat(first.get("file").get("id").asText()).isEqualTo(fileId);
        assertThat(second.has("file")).isFalse();
    }

    @Test
    void aBannedUser_getsNoDownload_andARequestPipelinedBehindADownloadIsNotAnswered() throws Exception {
        RawWebSocket lena = connect("lena", "phone");
        byte[] page = "<script>alert(1)</script>".getBytes(StandardCharsets.UTF_8);
        String fileId = request(lena, "upload.start", Map.of("name", "page.html", "size", page.length,
                "contentType", "text/html")).get("fileId").asText();
        sendChunk(lena, fileId, 0, page);
        request(lena, "send", Map.of("clientId", "ban-1", "to", Map.of("kind", "user", "id", "mike"), "body", "",
                "fileId", fileId), "sent");
        HttpResponse<byte[]> served = get(fileId, "?user=mike", Map.of());
        assertThat(served.headers().firstValue("Content-Type")).as("a page is served as bytes to save, not to show")
                .hasValue("application/octet-stream");

        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            String get = "GET /files/" + fileId + "?user=mike HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
            socket.getOutputStream().write((get + get).getBytes(StandardCharsets.US_ASCII));
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1); // to EOF
            assertThat(answers.split("HTTP/1.1 ", -1)).as("one answer, then the connection closes").hasSize(2);
            assertThat(answers).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("</script>");
        }

        assertThat(ApiClient.of(server).put("/api/v1/bans/mike", "{\"reason\":\"spam\"}").status()).isEqualTo(200);
        HttpResponse<byte[]> banned = get(fileId, "?user=mike", Map.of());
        assertThat(banned.statusCode()).isEqualTo(403);
        assertThat(new String(banned.body(), StandardCharsets.UTF_8)).contains("banned");
    }

    @Test
    void aChunkWithTheLargestHeaderAndTheMostData_fitsAMessage_andALargerHeaderIsRefused() throws Exception {
        RawWebSocket ivy = connect("ivy", "desk");
        JsonNode started = request(ivy, "upload.start", Map.of("name", "full.bin", "size", 64_512));
        String fileId = started.get("fileId").asText();
        String header = "{\"type\":\"upload.chunk\",\"ref\":\"big\",\"fileId\":\"" + fileId + "\",\"offset\":0,\"pad\":\"";
        String largest = header + "x".repeat(1022 - header.length() - 2) + "\"}";
        assertThat(largest.length()).isEqualTo(1022);

        ivy.sendBinaries(chunkFrame(largest + " ", new byte[1])); // 1023 bytes of header
        assertError(ivy, "unsupported_frame");
        ivy.sendBinaries(chunkFrame(largest, new byte[started.get("chunkBytes").asInt()])); // exactly maxMessageBytes
        JsonNode reply = ivy.receiveJson();
        assertThat(reply.get("type").asText()).as("reply %s", reply).isEqualTo("result");
        assertThat(reply.get("data").get("complete").asBoolean()).isTrue();
    }

    private RawWebSocket connect(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        open.add(socket);
        socket.receiveType("welcome");
        return socket;
    }

    /** Uploads {@code content} in chunks of the size the server gives; returns the file id. */
    private String upload(RawWebSocket socket, String name, byte[] content) throws IOException {
        JsonNode started = request(socket, "upload.start", Map.of("name", name, "size", content.length));
        int chunkBytes = started.get("chunkBytes").asInt();
        String fileId = started.get("fileId").asText();
        for (int offset = 0; offset < content.length; offset += chunkBytes) {
            sendChunk(socket, fileId, offset, Arrays.copyOfRange(content, offset, Math.min(content.length, offset + chunkBytes)));
        }
        return fileId;
    }

    private JsonNode sendChunk(RawWebSocket socket, String fileId, long offset, byte[] data) throws IOException {
        socket.sendBinaries(chunkFrame(header(fileId, offset), data));
        JsonNode reply = socket.receiveJson();
        assertThat(reply.get("type").asText()).as("reply %s", reply).isEqualTo("result");
        return reply.get("data");
    }

    private JsonNode sendChunkExpectingError(RawWebSocket socket, String fileId, long offset, byte[] data) throws IOException {
        socket.sendBinaries(chunkFrame(header(fileId, offset), data));
        JsonNode reply = socket.receiveType("error");
        assertThat(reply.get("ref").asText()).isEqualTo("chunk-" + offset);
        return reply;
    }

    private static String header(String fileId, long offset) {
        return RawWebSocket.fileChunkHeader(fileId, offset);
    }

    private static byte[] chunkFrame(String header, byte[] data) {
        return RawWebSocket.fileChunk(header, data);
    }

    private JsonNode request(RawWebSocket socket, String type, Map<String, Object> fields) throws IOException {
        return request(socket, type, fields, "result").get("data");
    }

    private JsonNode request(RawWebSocket socket, String type, Map<String, Object> fields, String replyType)
            throws IOException {
        String ref = "r" + (++refs);
        ObjectNode message = JSON.valueToTree(fields);
        message.put("type", type).put("ref", ref);
        socket.sendJson(message.toString());
        while (true) {
            JsonNode reply = socket.receiveJson();
            if (ref.equals(reply.path("ref").asText())) {
                assertThat(reply.get("type").asText()).as("reply %s", reply).isEqualTo(replyType);
                return reply;
            }
        }
    }

    private String errorOf(RawWebSocket socket, String type, Map<String, Object> fields) throws IOException {
        return request(socket, type, fields, "error").get("code").asText();
    }

    private static void assertError(RawWebSocket socket, String code) throws IOException {
        JsonNode reply = socket.receiveJson();
        assertThat(reply.get("type").asText()).as("reply %s", reply).isEqualTo("error");
        assertThat(reply.get("code").asText()).as("reply %s", reply).isEqualTo(code);
    }

    private static String answerType(RawWebSocket socket) throws IOException {
        JsonNode reply = socket.receiveJson();
        return reply.get("type").asText().equals("error") ? "error:" + reply.get("code").asText() : reply.get("type").asText();
    }

    private static URI fileUri(String fileId, String query) {
        return URI.create("http://127.0.0.1:" + server.port() + "/files/" + fileId + query);
    }

    private static HttpResponse<byte[]> get(String fileId, String query, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(fileUri(fileId, query)).timeout(Duration.ofSeconds(20));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
