package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's file uploads against {@link FakeServer}, frame by frame (docs/PROTOCOL.md section 11): the
 * chunk layout, one chunk at a time, going on from the server's offset after a reconnect or an
 * {@code upload_offset}, retrying what may be retried and failing on what may not.
 */
class FileUploadsTest {
    private static final String FILE_ID = "f-0123456789abcdef0123456789abcdef";
    private static final byte[] CONTENT = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    private final RecordingListener listener = new RecordingListener();
    private FakeServer server;
    private SwitchboardClient client;

    @BeforeEach
    void startServer() throws Exception {
        server = new FakeServer();
        client = new SwitchboardClient(ClientConfig.builder(server.uri()).devUser("alice").deviceId("phone")
                .backoffBase(Duration.ofMillis(10)).backoffMax(Duration.ofMillis(50)).ackDelay(Duration.ZERO).build(),
                listener);
        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        client.connected().get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopAll() {
        client.close();
        server.close();
    }

    @Test
    void uploadFile_startsThenSendsChunksOneAtATime_andCompletesWithTheFile() throws Exception {
        CompletableFuture<FileInfo> upload = client.uploadFile(CONTENT, "notes.txt", "text/plain");

        JsonNode start = server.nextReceived("upload.start");
        assertThat(start.path("name").asText()).isEqualTo("notes.txt");
        assertThat(start.path("size").asLong()).isEqualTo(10);
        assertThat(start.path("contentType").asText()).isEqualTo("text/plain");
        reply(start, 0, false);

        JsonNode first = server.nextReceived("upload.chunk");
        assertThat(first.path("fileId").asText()).isEqualTo(FILE_ID);
        assertThat(first.path("offset").asLong()).isZero();
        assertThat(data(first)).containsExactly(1, 2, 3, 4);
        reply(first, 4, false);
        JsonNode second = server.nextReceived("upload.chunk");
        assertThat(second.path("offset").asLong()).isEqualTo(4);
        assertThat(second.path("__receivedNanos").asLong()).as("sent only after the first one's result")
                .isGreaterThan(first.path("__receivedNanos").asLong());
        assertThat(data(second)).containsExactly(5, 6, 7, 8);
        reply(second, 8, false);
        JsonNode last = server.nextReceived("upload.chunk");
        assertThat(data(last)).containsExactly(9, 10);
        reply(last, 10, true);

        assertThat(upload.get(5, TimeUnit.SECONDS)).isEqualTo(new FileInfo(FILE_ID, "notes.txt", 10, "text/plain"));
    }

    @Test
    void twoUploads_takeTurns_withOneChunkOutAtATimeOnTheConnection() throws Exception {
        CompletableFuture<FileInfo> first = client.uploadFile(CONTENT, "first.bin", null);
        JsonNode firstStart = server.nextReceived("upload.start");
        CompletableFuture<FileInfo> second = client.uploadFile(CONTENT, "second.bin", null);
        JsonNode secondStart = server.nextReceived("upload.start");
        server.result(firstStart, state("f-" + "1".repeat(32), 0, false));
        JsonNode firstChunk = server.nextReceived("upload.chunk");
        assertThat(firstChunk.path("fileId").asText()).isEqualTo("f-" + "1".repeat(32));
        server.result(secondStart, state("f-" + "2".repeat(32), 0, false));

        long answeredNanos = System.nanoTime();
        server.result(firstChunk, state("f-" + "1".repeat(32), 4, false));
        JsonNode secondChunk = server.nextReceived("upload.chunk");
        assertThat(secondChunk.path("fileId").asText()).as("the other upload's turn").isEqualTo("f-" + "2".repeat(32));
        assertThat(secondChunk.path("__receivedNanos").asLong()).as("sent only once the first chunk was answered")
                .isGreaterThan(answeredNanos);
        answeredNanos = System.nanoTime();
        server.result(secondChunk, state("f-" + "2".repeat(32), 10, true));
        JsonNode again = server.nextReceived("upload.chunk");
        assertThat(again.path("fileId").asText()).isEqualTo("f-" + "1".repeat(32));
        assertThat(again.path("offset").asLong()).isEqualTo(4);
        assertThat(again.path("__receivedNanos").asLong()).isGreaterThan(answeredNanos);
        server.result(again, state("f-" + "1".repeat(32), 10, true));

        assertThat(second.get(5, TimeUnit.SECONDS).id()).isEqualTo("f-" + "2".repeat(32));
        assertThat(first.get(5, TimeUnit.SECONDS).id()).isEqualTo("f-" + "1".repeat(32));
    }

    @Test
    void afterAReconnect_theUploadAsksForItsOffset_andGoesOnFromThere() throws Exception {
        CompletableFuture<FileInfo> upload = client.uploadFile(CONTENT, "notes.txt", null);
        JsonNode start = server.nextReceived("upload.start");
        assertThat(start.has("contentType")).as("the server's default").isFalse();
        reply(start, 0, false);
        server.nextReceived("upload.chunk"); // its result is lost with the connection
        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);

        JsonNode status = server.nextReceived("upload.status");
        assertThat(status.path("fileId").asText()).isEqualTo(FILE_ID);
        reply(status, 4, false); // the lost chunk had been stored
        JsonNode next = server.nextReceived("upload.chunk");
        assertThat(next.path("offset").asLong()).isEqualTo(4);
        assertThat(data(next)).containsExactly(5, 6, 7, 8);
        reply(next, 10, true);

        assertThat(upload.get(5, TimeUnit.SECONDS).id()).isEqualTo(FILE_ID);
    }

    @Test
    void anUploadStartLostWithTheConnection_isSentAgainWithTheSameKey() throws Exception {
        CompletableFuture<FileInfo> upload = client.uploadFile(CONTENT, "notes.txt", null);
        JsonNode lost = server.nextReceived("upload.start");
        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);

        JsonNode again = server.nextReceived("upload.start");
        assertThat(again.path("clientId").asText()).as("the server answers the upload the first one started")
                .isNotEmpty().isEqualTo(lost.path("clientId").asText());
        reply(again, 0, false);
        reply(server.nextReceived("upload.chunk"), 4, false);
        reply(server.nextReceived("upload.chunk"), 8, false);
        reply(server.nextReceived("upload.chunk"), 10, true);
        assertThat(upload.get(5, TimeUnit.SECONDS).id()).isEqualTo(FILE_ID);
    }

    @Test
    void uploadOffset_asksForTheOffset_andRetryableErrorsSendTheSameChunkAgain() throws Exception {
        CompletableFuture<FileInfo> upload = client.uploadFile(CONTENT, "notes.txt", null);
        reply(server.nextReceived("upload.start"), 0, false);

        server.error(server.nextReceived("upload.chunk"), "upload_offset");
        reply(server.nextReceived("upload.status"), 8, false);
        JsonNode fromEight = server.nextReceived("upload.chunk");
        assertThat(fromEight.path("offset").asLong()).isEqualTo(8);
        server.error(fromEight, "rate_limited");
        JsonNode again = server.nextReceived("upload.chunk");
        assertThat(again.path("offset").asLong()).isEqualTo(8);
        assertThat(data(again)).containsExactly(9, 10);
        server.error(again, "store_busy");
        reply(server.nextReceived("upload.chunk"), 10, true);

        assertThat(upload.get(5, TimeUnit.SECONDS).size()).isEqualTo(10);
    }

    @Test
    void aRefusalThatCannotSucceed_failsTheUpload_andCloseFailsAnUploadInProgress() throws Exception {
        CompletableFuture<FileInfo> tooLarge = client.uploadFile(CONTENT, "big.bin", null);
        server.error(server.nextReceived("upload.start"), "file_too_large");
        assertThat(failureOf(tooLarge).code()).isEqualTo(ErrorCode.FILE_TOO_LARGE);

        CompletableFuture<FileInfo> interrupted = client.uploadFile(CONTENT, "other.bin", null);
        reply(server.nextReceived("upload.start"), 0, false);
        server.nextReceived("upload.chunk");
        client.close();
        assertThat(failureOf(interrupted).getMessage()).contains("closed");
        await().atMost(Duration.ofSeconds(5)).until(() -> client.uploadFile(CONTENT, "late.bin", null).isCompletedExceptionally());
    }

    @Test
    void aCancelledUpload_andOneThatFailedForGood_askTheServerToDeleteWhatItHas() throws Exception {
        CompletableFuture<FileInfo> cancelled = client.uploadFile(CONTENT, "notes.txt", null);
        reply(server.nextReceived("upload.start"), 0, false);
        JsonNode chunk = server.nextReceived("upload.chunk");
        cancelled.cancel(true);
        assertThat(server.nextReceived("upload.cancel").path("fileId").asText()).isEqualTo(FILE_ID);
        reply(chunk, 4, false); // the answer to the chunk that was out: nothing more is sent for it

        CompletableFuture<FileInfo> refused = client.uploadFile(CONTENT, "other.bin", null);
        JsonNode start = server.nextReceived("upload.start");
        server.result(start, state("f-" + "3".repeat(32), 0, false));
        server.error(server.nextReceived("upload.chunk"), "invalid_field");
        assertThat(failureOf(refused).code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(server.nextReceived("upload.cancel").path("fileId").asText()).isEqualTo("f-" + "3".repeat(32));
    }

    @Test
    void sendWithAFile_carriesItsId_andAnInboxEntryWithAFileExposesIt() throws Exception {
        client.sendFile(Target.user("bob"), "look", new FileInfo(FILE_ID, "a.png", 3, "image/png"));
        assertThat(server.nextReceived("send").path("fileId").asText()).isEqualTo(FILE_ID);

        server.send("{\"type\":\"message\",\"seq\":1,\"message\":{\"id\":7,\"from\":\"bob\",\"fromDevice\":\"web\","
                + "\"to\":{\"kind\":\"user\",\"id\":\"alice\"},\"clientId\":\"b-1\",\"ts\":1764000000000,"
                + "\"file\":{\"id\":\"" + FILE_ID + "\",\"name\":\"a.png\",\"size\":3,\"contentType\":\"image/png\"},"
                + "\"body\":null}}");
        await().atMost(Duration.ofSeconds(5)).until(() -> !listener.messages.isEmpty());
        assertThat(listener.messages.get(0).file()).isEqualTo(new FileInfo(FILE_ID, "a.png", 3, "image/png"));
        assertThat(client.fileUri(listener.messages.get(0).file()).toString())
                .isEqualTo("http://127.0.0.1:" + server.uri().getPort() + "/files/" + FILE_ID);
    }

    /** Answers {@code request} (a start, a status or a chunk) with the upload's state at {@code offset}. */
    private void reply(JsonNode request, long offset, boolean complete) {
        server.result(request, state(FILE_ID, offset, complete));
    }

    private static ObjectNode state(String fileId, long offset, boolean complete) {
        return Wire.MAPPER.createObjectNode().put("fileId", fileId).put("name", "notes.txt")
                .put("size", CONTENT.length).put("contentType", "text/plain").put("offset", offset)
                .put("chunkBytes", 4).put("complete", complete);
    }

    private static byte[] data(JsonNode chunk) {
        return Base64.getDecoder().decode(chunk.path("__data").asText());
    }

    private static SwitchboardException failureOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (SwitchboardException) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("not failed within 5 s", e);
        }
        throw new AssertionError("completed instead of failing");
    }
}
