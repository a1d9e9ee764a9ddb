package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.client.FileInfo;
import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SwitchboardException;
import dev.switchboard.client.Target;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R14 through the Java SDK on a real node: {@code uploadFile}, a message that carries the file, and
 * {@code downloadFile}; and an upload that outlives its connection. The node paces sends to 40 a second,
 * so an upload of 2 MB (33 chunks) takes most of a second and can be cut in the middle.
 */
class FilesSdkEndToEndTest {
    private static final String UPLOADED_BYTES = "switchboard_file_bytes_total{direction=\"upload\"}";

    @TempDir
    static Path dataDirectory;
    @TempDir
    Path downloads;
    static TestServer server;
    private final List<TestClient> clients = new ArrayList<>();

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of("limits.sendsPerSecond", 40, "limits.sendBurst", 4,
                "files.maxFileBytes", 4_000_000));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @AfterEach
    void closeClients() {
        clients.forEach(TestClient::close);
    }

    @Test
    void uploadFile_sendIt_andTheRecipientDownloadsTheSameBytes() throws Exception {
        TestClient alice = connect("alice", "phone");
        TestClient bob = connect("bob", "laptop");
        byte[] content = randomBytes(200_000);

        FileInfo file = alice.sdk().uploadFile(content, "photo.jpg", "image/jpeg").get(20, TimeUnit.SECONDS);
        assertThat(file.name()).isEqualTo("photo.jpg");
        assertThat(file.size()).isEqualTo(content.length);
        assertThat(file.contentType()).isEqualTo("image/jpeg");
        alice.sdk().sendFile(Target.user("bob"), "look", file).get(10, TimeUnit.SECONDS);

        InboxMessage received = await().atMost(Duration.ofSeconds(10)).until(() -> bob.messages.stream()
                .filter(message -> message.file() != null).findFirst().orElse(null), message -> message != null);
        assertThat(received.file()).isEqualTo(file);
        assertThat(received.body().asText()).isEqualTo("look");
        Path saved = bob.sdk().downloadFile(received.file(), downloads.resolve("photo.jpg")).get(20, TimeUnit.SECONDS);
        assertThat(Files.readAllBytes(saved)).isEqualTo(content);
        assertThat(bob.sdk().fileUri(file).toString())
                .isEqualTo("http://127.0.0.1:" + server.port() + "/files/" + file.id());

        TestClient carol = connect("carol", "desk");
        assertThatThrownBy(() -> carol.sdk().downloadFile(file, downloads.resolve("not-hers")).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(SwitchboardException.class)
                .satisfies(error -> assertThat(((SwitchboardException) error).httpStatus()).isEqualTo(404));
        assertThat(downloads.resolve("not-hers")).doesNotExist();
    }

    @Test
    void anUploadCutByTheConnection_goesOnAfterTheReconnect_andStoresEveryByteOnce() throws Exception {
        TestClient dora = connect("dora", "tablet");
        byte[] content = randomBytes(2_000_000);
        Path source = downloads.resolve("video.mp4");
        Files.write(source, content);
        double uploadedBefore = uploadedBytes();

        CompletableFuture<FileInfo> upload = dora.sdk().uploadFile(source, "video/mp4");
        await().atMost(Duration.ofSeconds(10)).until(() -> uploadedBytes() > uploadedBefore);
        assertThat(upload).isNotDone();
        server.registry().connectionsOf("dora").forEach(connection ->
                connection.close(CloseCodes.SERVICE_RESTART, "restart in the middle of an upload"));

        FileInfo file = upload.get(30, TimeUnit.SECONDS);
        assertThat(dora.closeCodes).contains(CloseCodes.SERVICE_RESTART);
        assertThat(file.name()).isEqualTo("video.mp4");
        assertThat(uploadedBytes() - uploadedBefore).as("no chunk stored twice").isEqualTo(content.length);
        Path saved = dora.sdk().downloadFile(file, downloads.resolve("copy.mp4")).get(20, TimeUnit.SECONDS);
        assertThat(Files.readAllBytes(saved)).isEqualTo(content);
    }

    @Test
    void aFileTheServerRefuses_failsTheUpload_withTheServersCode() {
        TestClient erin = connect("erin", "phone");

        assertThatThrownBy(() -> erin.sdk().uploadFile(new byte[4_000_001], "huge.bin", null).join())
                .cause().isInstanceOf(SwitchboardException.class)
                .satisfies(error -> assertThat(((SwitchboardException) error).code()).isEqualTo(ErrorCode.FILE_TOO_LARGE));
        assertThatThrownBy(() -> erin.sdk().sendFile(Target.user("bob"), null,
                new FileInfo("f-" + "0".repeat(32), "x", 1, "text/plain")).join())
                .cause().isInstanceOf(SwitchboardException.class)
                .satisfies(error -> assertThat(((SwitchboardException) error).code()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    }

    private TestClient connect(String user, String device) {
        TestClient client = TestClient.connect(server.webSocketUri(), user, device);
        clients.add(client);
        return client;
    }

    private static double uploadedBytes() {
        return ApiClient.of(server).get("/metrics").sample(UPLOADED_BYTES);
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
