package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's connection handling over a real socket against {@link FakeServer}: handshake parameters,
 * resume, de-duplication, resend after reconnect, send pacing and ordering, terminal conditions, requests
 * and close.
 */
class SwitchboardClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final RecordingListener listener = new RecordingListener();
    private FakeServer server;
    private SwitchboardClient client;

    @BeforeEach
    void startServer() throws InterruptedException {
        server = new FakeServer();
    }

    @AfterEach
    void stopAll() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    @Test
    void connect_sendsCredentialsAndResumesFromCursor_whenWelcomed() throws Exception {
        client = new SwitchboardClient(config().build(), listener);

        client.connect();
        String uri = server.nextConnection();
        server.welcome("alice", "phone", 4, 6);

        assertThat(uri).isEqualTo("/ws?user=alice&device=phone");
        assertThat(server.nextReceived("resume").has("afterSeq")).as("no local state: continue from cursor").isFalse();
        client.connected().get(5, TimeUnit.SECONDS);
        assertThat(client.state()).isEqualTo(ConnectionState.CONNECTED);
        assertThat(client.userId()).isEqualTo("alice");
        assertThat(client.deviceId()).isEqualTo("phone");
        assertThat(client.lastSeq()).isEqualTo(4);
        assertThat(listener.states).containsExactly(ConnectionState.CONNECTING, ConnectionState.CONNECTED);
    }

    @Test
    void onMessage_deliversEachSeqOnceInOrder_whenServerSendsDuplicatesAndAGap() throws Exception {
        connectAndWelcome(config().initialAfterSeq(0L));
        assertThat(server.nextReceived("resume").path("afterSeq").asLong(-1)).isZero();

        server.inboxEntry(1, "a");
        server.inboxEntry(1, "a");
        server.inboxEntry(3, "c");
        assertThat(server.nextReceived("resume").path("afterSeq").asLong()).as("resume after the gap").isEqualTo(1);
        server.inboxEntry(2, "b");
        server.inboxEntry(3, "c");
        server.send("{\"type\":\"synced\",\"seq\":3}");

        await().atMost(WAIT).until(() -> listener.synced.contains(3L));
        assertThat(listener.deliveredSeqs()).containsExactly(1L, 2L, 3L);
        assertThat(client.stats().duplicatesSuppressed()).isEqualTo(1);
        assertThat(client.stats().delivered()).isEqualTo(3);
        assertThat(client.lastSeq()).isEqualTo(3);
        await().atMost(WAIT).until(() -> server.nextReceived("ack").path("seq").asLong() == 3);
    }

    @Test
    void send_isResentWithSameClientId_afterServerRestart() throws Exception {
        connectAndWelcome(config());
        server.nextReceived("resume");
        server.inboxEntry(1, "a");
        await().atMost(WAIT).until(() -> client.lastSeq() == 1);

        CompletableFuture<SendReceipt> receipt = client.send(Target.user("bob"), "hello", "c-1");
        JsonNode first = server.nextReceived("send");
        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 1, 2);

        assertThat(server.nextReceived("resume").path("afterSeq").asLong()).isEqualTo(1);
        JsonNode resent = server.nextReceived("send");
        assertThat(resent.path("clientId").asText()).isEqualTo("c-1");
        assertThat(resent.path("ref").asText()).isEqualTo(first.path("ref").asText());
        assertThat(resent.path("body").asText()).isEqualTo("hello");
        server.send("{\"type\":\"sent\",\"ref\":\"" + resent.path("ref").asText() + "\",\"clientId\":\"c-1\","
                + "\"id\":18,\"ts\":1764000000123,\"seq\":2,\"duplicate\":true}");

        assertThat(receipt.get(5, TimeUnit.SECONDS)).isEqualTo(new SendReceipt("c-1", 18, 1_764_000_000_123L, 2, true));
        assertThat(listener.closeCodes).containsExactly(CloseCodes.SERVICE_RESTART);
        assertThat(client.stats().reconnects()).isEqualTo(1);
        assertThat(client.stats().sendsResent()).isEqualTo(1);
    }

    @Test
    void send_isQueuedAndSentAtWelcome_whenMadeBeforeConnecting() throws Exception {
        client = new SwitchboardClient(config().build(), listener);
        CompletableFuture<SendReceipt> receipt = client.send(Target.group("team"), 42);

        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);

        JsonNode send = server.nextReceived("send");
        assertThat(send.path("to").path("kind").asText()).isEqualTo("group");
        assertThat(send.path("body").asInt()).isEqualTo(42);
        assertThat(UUID.fromString(send.path("clientId").asText()).version()).as("a time-ordered id").isEqualTo(7);
        assertThat(receipt).isNotDone();
        assertThat(client.stats().sendsResent()).as("a first transmission is not a resend").isZero();
    }

    @Test
    void send_isRetried_whenServerAnswersRetryableError() throws Exception {
        connectAndWelcome(config());
        CompletableFuture<SendReceipt> receipt = client.send(Target.user("bob"), "hi", "c-2");
        JsonNode first = server.nextReceived("send");

        server.send("{\"type\":\"error\",\"ref\":\"" + first.path("ref").asText() + "\",\"code\":\"store_busy\"}");
        JsonNode retry = server.nextReceived("send");
        server.send("{\"type\":\"sent\",\"ref\":\"" + retry.path("ref").asText() + "\",\"clientId\":\"c-2\","
                + "\"id\":5,\"ts\":1,\"seq\":1,\"duplicate\":false}");

        assertThat(retry.path("clientId").asText()).isEqualTo("c-2");
        assertThat(receipt.get(5, TimeUnit.SECONDS).messageId()).isEqualTo(5);
        assertThat(client.stats().sendsResent()).isEqualTo(1);
    }

    @Test
    void send_transmitsInCallOrderWithinTheAdvertisedLimit_whenManySendsAreMadeAtOnce() throws Exception {
        int sendsPerSecond = 50;
        int sendBurst = 5;
        long welcomeNanos = connectAndWelcome(config(), sendsPerSecond, sendBurst);
        List<String> callOrder = new ArrayList<>();

        for (int index = 1; index <= 30; index++) {
            callOrder.add("c-" + index);
            client.send(Target.user("bob"), "message " + index, "c-" + index);
        }

        List<String> received = new ArrayList<>();
        for (int count = 1; count <= 30; count++) {
            JsonNode send = server.nextReceived("send");
            received.add(send.path("clientId").asText());
            double elapsedSeconds = (send.path("__receivedNanos").asLong() - welcomeNanos) / 1e9;
            assertThat((double) count).as("sends received %.3f s after the welcome", elapsedSeconds)
                    .isLessThanOrEqualTo(sendBurst + elapsedSeconds * sendsPerSecond);
        }
        assertThat(received).isEqualTo(callOrder);
        assertThat(client.stats().sendsResent()).isZero();
    }

    @Test
    void send_retransmitsRefusedSendBeforeLaterSends_whenServerAnswersRateLimited() throws Exception {
        // At 2/s with a burst of 3, c-4's token comes about 500 ms after c-3 went out: still queued at the error.
        connectAndWelcome(config(), 2, 3);
        List<CompletableFuture<SendReceipt>> receipts = new ArrayList<>();
        for (int index = 1; index <= 4; index++) {
            receipts.add(client.send(Target.user("bob"), "message " + index, "c-" + index));
        }
        assertThat(server.nextReceived("send").path("clientId").asText()).isEqualTo("c-1");
        assertThat(server.nextReceived("send").path("clientId").asText()).isEqualTo("c-2");
        JsonNode third = server.nextReceived("send");
        assertThat(third.path("clientId").asText()).isEqualTo("c-3");

        server.send("{\"type\":\"error\",\"ref\":\"" + third.path("ref").asText() + "\",\"code\":\"rate_limited\"}");
        CompletableFuture<Void> pong = client.ping();
        server.send("{\"type\":\"pong\",\"ref\":\"" + server.nextReceived("ping").path("ref").asText() + "\"}");
        await().atMost(WAIT).until(pong::isDone);
        receipts.add(client.send(Target.user("bob"), "message 5", "c-5"));

        List<JsonNode> afterError = List.of(server.nextReceived("send"), server.nextReceived("send"),
                server.nextReceived("send"));
        assertThat(afterError).extracting(send -> send.path("clientId").asText())
                .as("the refused send goes out again before the later sends not yet transmitted")
                .containsExactly("c-3", "c-4", "c-5");
        assertThat(afterError.get(0).path("ref").asText()).isEqualTo(third.path("ref").asText());
        for (int index = 1; index <= 5; index++) {
            server.send("{\"type\":\"sent\",\"clientId\":\"c-" + index + "\",\"id\":" + index + ",\"ts\":1,\"seq\":"
                    + index + ",\"duplicate\":false}");
        }
        await().atMost(WAIT).until(() -> receipts.stream().allMatch(CompletableFuture::isDone));
        assertThat(receipts).noneMatch(CompletableFuture::isCompletedExceptionally);
        assertThat(client.stats().sendsResent()).isEqualTo(1);
        assertThat(listener.errors).as("the retryable error went to the send, not the listener").isEmpty();
    }

    @Test
    void send_fails_whenServerAnswersPermanentError() throws Exception {
        connectAndWelcome(config());
        CompletableFuture<SendReceipt> receipt = client.send(Target.group("nope"), "hi");
        JsonNode send = server.nextReceived("send");

        server.send("{\"type\":\"error\",\"ref\":\"" + send.path("ref").asText()
                + "\",\"code\":\"not_group_member\",\"message\":\"not a member\"}");

        assertThat(failureOf(receipt).code()).isEqualTo(ErrorCode.NOT_GROUP_MEMBER);
    }

    @Test
    void kicked_closesForGoodAndFailsPendingSends() throws Exception {
        connectAndWelcome(config());
        CompletableFuture<SendReceipt> receipt = client.send(Target.user("bob"), "hi");
        server.nextReceived("send");

        server.send("{\"type\":\"kicked\",\"reason\":\"replaced by a newer connection\"}");
        server.close(CloseCodes.KICKED, "kicked");

        await().atMost(WAIT).until(() -> client.state() == ConnectionState.CLOSED);
        assertThat(listener.kicks).containsExactly("replaced by a newer connection");
        assertThat(listener.closeCodes).containsExactly(CloseCodes.KICKED);
        assertThat(failureOf(receipt).closeCode()).isEqualTo(CloseCodes.KICKED);
    }

    @Test
    void banned_closesForGoodWithoutReconnecting() throws Exception {
        connectAndWelcome(config());
        CompletableFuture<SendReceipt> receipt = client.send(Target.user("bob"), "hi");
        server.nextReceived("send");

        server.close(CloseCodes.BANNED, "banned: spam");

        await().atMost(WAIT).until(() -> client.state() == ConnectionState.CLOSED);
        assertThat(listener.closeCodes).containsExactly(CloseCodes.BANNED);
        assertThat(failureOf(receipt).closeCode()).isEqualTo(CloseCodes.BANNED);
        assertThat(client.stats().reconnects()).isZero();
    }

    @Test
    void connect_retriesOnceWithFreshTokenThenCloses_whenUnauthorizedTwice() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        server.refuseNextHandshakes(401, 2);
        client = new SwitchboardClient(config().devUser(null).tokenProvider(() -> "t" + tokens.incrementAndGet()).build(),
                listener);

        client.connect();

        assertThat(server.nextRefusedUri()).isEqualTo("/ws?token=t1&device=phone");
        assertThat(server.nextRefusedUri()).isEqualTo("/ws?token=t2&device=phone");
        await().atMost(WAIT).until(() -> client.state() == ConnectionState.CLOSED);
        assertThat(tokens).hasValue(2);
        assertThat(listener.errors).extracting(SwitchboardException::httpStatus).containsExactly(401);
        assertThat(failureOf(client.connected()).httpStatus()).isEqualTo(401);
    }

    @Test
    void reconnect_waitsAsTheServerAdvertises_notAsConfigured() throws Exception {
        client = new SwitchboardClient(config().backoffBase(Duration.ofHours(1)).backoffMax(Duration.ofHours(1)).build(),
                listener);
        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0, Duration.ofMillis(10), Duration.ofMillis(20));
        client.connected().get(5, TimeUnit.SECONDS);

        server.close(CloseCodes.SERVICE_RESTART, "restart");

        // With the configured backoff the first delay is drawn from up to an hour; with the advertised
        // one, from up to 10 ms: only the advertised backoff brings the client back within the wait.
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        await().atMost(WAIT).until(() -> client.stats().reconnects() == 1);
    }

    @Test
    void connect_keepsReconnecting_whenServerIsUnavailable() throws Exception {
        server.refuseNextHandshakes(503, 2);
        client = new SwitchboardClient(config().build(), listener);

        client.connect();
        server.nextRefusedUri();
        server.nextRefusedUri();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);

        client.connected().get(5, TimeUnit.SECONDS);
        assertThat(client.stats().reconnects()).isEqualTo(2);
        assertThat(listener.errors).extracting(SwitchboardException::httpStatus).containsExactly(503, 503);
    }

    @Test
    void connect_reportsTransportErrorAndRetries_whenNothingListens() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        client = new SwitchboardClient(ClientConfig.builder(URI.create("wss://127.0.0.1:" + closedPort + "/ws"))
                .backoffBase(Duration.ofMillis(10)).backoffMax(Duration.ofMillis(20)).build(), listener);

        client.connect();

        await().atMost(WAIT).until(() -> listener.errors.size() >= 2);
        assertThat(client.state()).isEqualTo(ConnectionState.RECONNECTING);
        assertThat(listener.closeCodes).as("no TCP connection, so no onClosed").isEmpty();
        assertThat(listener.errors.get(0).getCause()).isInstanceOf(ConnectException.class);
    }

    @Test
    void request_failsFast_whenNotConnected() {
        client = new SwitchboardClient(config().build(), listener);

        CompletableFuture<JsonNode> reply = client.joinGroup("team");

        assertThat(reply).isCompletedExceptionally();
        assertThatThrownBy(reply::join).hasCauseInstanceOf(SwitchboardException.class);
    }

    @Test
    void request_completesWithDataOrServerError_whenReplyArrives() throws Exception {
        connectAndWelcome(config());

        CompletableFuture<JsonNode> created = client.createGroup("team", "Team", List.of("bob"));
        JsonNode create = server.nextReceived("group.create");
        server.send("{\"type\":\"result\",\"ref\":\"" + create.path("ref").asText()
                + "\",\"data\":{\"groupId\":\"team\",\"members\":[\"alice\",\"bob\"]}}");
        CompletableFuture<JsonNode> joined = client.joinGroup("missing");
        JsonNode join = server.nextReceived("group.join");
        server.send("{\"type\":\"error\",\"ref\":\"" + join.path("ref").asText() + "\",\"code\":\"group_not_found\"}");
        CompletableFuture<Void> pong = client.ping();
        server.send("{\"type\":\"pong\",\"ref\":\"" + server.nextReceived("ping").path("ref").asText() + "\"}");

        assertThat(create.path("members").get(0).asText()).isEqualTo("bob");
        assertThat(created.get(5, TimeUnit.SECONDS).path("groupId").asText()).isEqualTo("team");
        assertThat(failureOf(joined).code()).isEqualTo(ErrorCode.GROUP_NOT_FOUND);
        pong.get(5, TimeUnit.SECONDS);
    }

    @Test
    void heartbeat_pingsThenReconnects_whenServerGoesSilent() throws Exception {
        connectAndWelcome(config().pingInterval(Duration.ofMillis(100)).pingTimeout(Duration.ofMillis(400)));

        server.nextReceived("ping");
        server.nextConnection();

        assertThat(listener.closeCodes).containsExactly(-1);
    }

    @Test
    void close_sendsFinalAckAndNormalClosure() throws Exception {
        connectAndWelcome(config().ackDelay(Duration.ofSeconds(30)));
        server.inboxEntry(1, "a");
        await().atMost(WAIT).until(() -> client.lastSeq() == 1);
        CompletableFuture<SendReceipt> receipt = client.send(Target.user("bob"), "never confirmed");

        client.close();

        assertThat(server.nextReceived("ack").path("seq").asLong()).isEqualTo(1);
        assertThat(server.nextReceived("__close").path("code").asInt()).isEqualTo(CloseCodes.NORMAL);
        assertThat(client.state()).isEqualTo(ConnectionState.CLOSED);
        assertThat(receipt).isCompletedExceptionally();
    }

    private ClientConfig.Builder config() {
        return ClientConfig.builder(server.uri())
                .devUser("alice")
                .deviceId("phone")
                .backoffBase(Duration.ofMillis(10))
                .backoffMax(Duration.ofMillis(50))
                .ackDelay(Duration.ZERO);
    }

    /** Connects and welcomes with the send limit; returns when the welcome was written (see FakeServer). */
    private long connectAndWelcome(ClientConfig.Builder builder, int sendsPerSecond, int sendBurst) throws Exception {
        client = new SwitchboardClient(builder.build(), listener);
        client.connect();
        server.nextConnection();
        long welcomeNanos = server.welcome("alice", "phone", 0, 0, sendsPerSecond, sendBurst);
        client.connected().get(5, TimeUnit.SECONDS);
        return welcomeNanos;
    }

    private void connectAndWelcome(ClientConfig.Builder builder) throws Exception {
        client = new SwitchboardClient(builder.build(), listener);
        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        client.connected().get(5, TimeUnit.SECONDS);
    }

    private static SwitchboardException failureOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(SwitchboardException.class);
            return (SwitchboardException) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
        throw new AssertionError("future completed normally");
    }
}
