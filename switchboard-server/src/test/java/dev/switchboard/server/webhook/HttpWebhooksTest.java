package dev.switchboard.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.metrics.ServerMetrics.WebhookOutcome;
import dev.switchboard.server.registry.ClosedBy;
import dev.switchboard.server.store.StoredMessage;
import dev.switchboard.server.testing.WebhookReceiver;
import dev.switchboard.server.testing.WebhookReceiver.Request;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook sender against a real HTTP endpoint: batches, signatures, retries, overflow and shutdown. */
class HttpWebhooksTest {
    private static final String SECRET = "webhook-secret-webhook-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private WebhookReceiver receiver;
    private final ServerMetrics metrics = new ServerMetrics();
    private HttpWebhooks webhooks;

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void stop() {
        if (webhooks != null) {
            receiver.release();
            webhooks.close();
        }
        receiver.close();
    }

    private HttpWebhooks webhooks(List<String> events, int queueCapacity, int maxBatch, long timeoutMillis, int maxAttempts) {
        webhooks = new HttpWebhooks(new ServerConfig.Webhooks(receiver.url(), SECRET, events, queueCapacity, maxBatch,
                timeoutMillis, maxAttempts), "node-1", metrics, Clock.systemUTC());
        return webhooks;
    }

    private HttpWebhooks webhooks() {
        return webhooks(List.of("connect", "disconnect", "message"), 1000, 100, 5000, 5);
    }

    private static StoredMessage message(long id, String from, String body) {
        return new StoredMessage(id, from, "phone", TargetKind.USER, "bob", "c-" + id, body, 1_764_000_000_000L + id);
    }

    private long count(WebhookOutcome outcome) {
        return metrics.webhookEventCount(outcome);
    }

    @Test
    void events_arriveSignedInOrder_withTheirFields_andEveryIdDistinct() {
        HttpWebhooks webhooks = webhooks();
        webhooks.connected("c1", "alice", "phone");
        webhooks.messageStored(message(17, "alice", "{\"text\":\"hé \\\"there\\\"\"}"), null);
        webhooks.disconnected("c1", "alice", "phone", 4003, ClosedBy.SERVER);

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 3);
        List<JsonNode> events = receiver.events();
        assertThat(events).extracting(event -> event.get("type").asText()).containsExactly("connect", "message", "disconnect");
        JsonNode connect = events.get(0);
        assertThat(connect.get("connectionId").asText()).isEqualTo("c1");
        assertThat(connect.get("userId").asText()).isEqualTo("alice");
        assertThat(connect.get("deviceId").asText()).isEqualTo("phone");
        assertThat(connect.get("ts").asLong()).isPositive();
        JsonNode message = events.get(1).get("message");
        assertThat(message.get("id").asLong()).isEqualTo(17);
        assertThat(message.get("from").asText()).isEqualTo("alice");
        assertThat(message.get("fromDevice").asText()).isEqualTo("phone");
        assertThat(message.get("to").get("kind").asText()).isEqualTo("user");
        assertThat(message.get("to").get("id").asText()).isEqualTo("bob");
        assertThat(message.get("clientId").asText()).isEqualTo("c-17");
        assertThat(message.get("body").get("text").asText()).isEqualTo("hé \"there\"");
        assertThat(events.get(1).get("ts").asLong()).as("when it was stored").isEqualTo(1_764_000_000_017L);
        JsonNode disconnect = events.get(2);
        assertThat(disconnect.get("code").asInt()).isEqualTo(4003);
        assertThat(disconnect.get("closedBy").asText()).isEqualTo("server");
        assertThat(events).extracting(event -> event.get("id").asText()).as("counting up in the order sent")
                .allMatch(id -> id.startsWith("node-1-"))
                .extracting(id -> id.substring(id.lastIndexOf('-') + 1)).containsExactly("1", "2", "3");

        for (Request request : receiver.requests()) {
            assertThat(request.json().get("node").asText()).isEqualTo("node-1");
            assertThat(request.header("Content-Type")).isEqualTo("application/json");
            long timestamp = Long.parseLong(request.header(WebhookSignature.TIMESTAMP_HEADER));
            assertThat(timestamp).isBetween(System.currentTimeMillis() / 1000 - 60, System.currentTimeMillis() / 1000 + 60);
            String signature = request.header(WebhookSignature.SIGNATURE_HEADER);
            assertThat(WebhookSignature.verify(SECRET.getBytes(StandardCharsets.UTF_8), timestamp, request.body(), signature))
                    .as("signature %s", signature).isTrue();
            assertThat(WebhookSignature.verify("another-secret-another-secret-0123456".getBytes(StandardCharsets.UTF_8),
                    timestamp, request.body(), signature)).isFalse();
            assertThat(WebhookSignature.verify(SECRET.getBytes(StandardCharsets.UTF_8), timestamp + 1, request.body(), signature))
                    .as("the timestamp is signed").isFalse();
        }
    }

    @Test
    void eventsReportedWhileARequestIsOut_goTogetherInTheNextBatch_upToMaxBatch() {
        HttpWebhooks webhooks = webhooks(List.of("connect", "disconnect", "message"), 1000, 4, 5000, 5);
        receiver.holdAnswers();
        webhooks.connected("c0", "u0", "d");
        await().atMost(WAIT).until(() -> receiver.requests().size() == 1);
        for (int i = 1; i <= 10; i++) {
            webhooks.connected("c" + i, "u" + i, "d");
        }
        receiver.release();

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 11);
        assertThat(receiver.requests()).extracting(request -> request.json().get("events").size()).containsExactly(1, 4, 4, 2);
        assertThat(receiver.events()).extracting(event -> event.get("connectionId").asText())
                .containsExactly("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10");
    }

    @Test
    void onlyTheConfiguredEvents_areSent() {
        HttpWebhooks webhooks = webhooks(List.of("message"), 1000, 100, 5000, 5);
        webhooks.connected("c1", "alice", "phone");
        webhooks.disconnected("c1", "alice", "phone", 1000, ClosedBy.CLIENT);
        webhooks.messageStored(message(1, "alice", "1"), OutboundMessages.messagePayload(message(1, "alice", "1")));

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 1);
        webhooks.close(); // sends anything still queued: nothing else may arrive
        assertThat(receiver.events()).extracting(event -> event.get("type").asText()).containsExactly("message");
    }

    @Test
    void aBatchAnswered503_isSentAgain_withTheSameIds_untilA2xx() {
        HttpWebhooks webhooks = webhooks();
        receiver.answerNext(503, 500);
        webhooks.connected("c1", "alice", "phone");

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 1);
        List<Request> requests = receiver.requests();
        assertThat(requests).hasSize(3);
        assertThat(requests).extracting(request -> request.json().get("events").get(0).get("id").asText())
                .as("a backend drops repeats by id").containsOnly(requests.get(0).json().get("events").get(0).get("id").asText());
        assertThat(count(WebhookOutcome.FAILED)).isZero();
    }

    @Test
    void aBatchRefusedWith400_isNotSentAgain_andIsCountedFailed_andTheNextBatchGoesOn() {
        HttpWebhooks webhooks = webhooks();
        receiver.answerNext(400);
        webhooks.connected("c1", "alice", "phone");
        await().atMost(WAIT).until(() -> count(WebhookOutcome.FAILED) == 1);
        assertThat(receiver.requests()).hasSize(1);

        webhooks.connected("c2", "alice", "laptop");
        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 1);
        assertThat(receiver.requests()).hasSize(2);
    }

    @Test
    void aRetryWaitingOnRetryAfter_isTriedOnceMore_atShutdown_insteadOfWaitingItOut() {
        HttpWebhooks webhooks = webhooks();
        receiver.answerNextWithRetryAfter(503, 3600); // an hour: capped at a minute, still far past the test
        webhooks.connected("c1", "alice", "phone");
        await().atMost(WAIT).until(() -> receiver.requests().size() == 1);

        webhooks.close();

        assertThat(receiver.requests()).as("the last try, at shutdown").hasSize(2);
        assertThat(count(WebhookOutcome.DELIVERED)).isEqualTo(1);
    }

    @Test
    void aBatchThatCannotEvenBeEncoded_isCountedFailed_andTheSenderGoesOn() {
        HttpWebhooks webhooks = webhooks();
        webhooks.messageStored(new StoredMessage(1, "alice", "phone", TargetKind.USER, "bob", "c-1", null, 1L), null); // a bug's stand-in
        await().atMost(WAIT).until(() -> count(WebhookOutcome.FAILED) == 1);

        webhooks.connected("c1", "alice", "phone");

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 1);
        assertThat(receiver.events()).extracting(event -> event.get("type").asText()).containsExactly("connect");
    }

    @Test
    void aBatchThatKeepsFailing_isTriedMaxAttemptsTimes_thenCountedFailed() {
        HttpWebhooks webhooks = webhooks(List.of("connect", "disconnect", "message"), 1000, 100, 5000, 3);
        receiver.answerNext(500, 502, 503, 504);
        webhooks.connected("c1", "alice", "phone");

        await().atMost(WAIT).until(() -> count(WebhookOutcome.FAILED) == 1);
        assertThat(receiver.requests()).hasSize(3);
        assertThat(count(WebhookOutcome.DELIVERED)).isZero();
    }

    @Test
    void aBackendThatIsDown_isRetried_andCountedFailed_withoutStoppingTheNode() throws Exception {
        String unreachable = receiver.url();
        receiver.close(); // nothing listens on the port any more: connection refused
        webhooks = new HttpWebhooks(new ServerConfig.Webhooks(unreachable, SECRET, List.of("connect"), 1000, 100, 1000, 2),
                "node-1", metrics, Clock.systemUTC());
        webhooks.connected("c1", "alice", "phone");

        await().atMost(WAIT).until(() -> count(WebhookOutcome.FAILED) == 1);
        receiver = WebhookReceiver.start(); // for stop()
    }

    @Test
    void aFullQueue_dropsNewEvents_andCountsThem_whileTheQueuedOnesStillGo() {
        int capacity = 5;
        HttpWebhooks webhooks = webhooks(List.of("connect"), capacity, 100, 5000, 5);
        receiver.holdAnswers();
        webhooks.connected("c0", "u", "d");
        await().atMost(WAIT).until(() -> receiver.requests().size() == 1); // the sender waits on this answer

        for (int i = 1; i <= capacity + 3; i++) {
            webhooks.connected("c" + i, "u", "d");
        }
        assertThat(count(WebhookOutcome.DROPPED)).isEqualTo(3);
        receiver.release();

        await().atMost(WAIT).until(() -> count(WebhookOutcome.DELIVERED) == 1 + capacity);
        assertThat(receiver.events()).extracting(event -> event.get("connectionId").asText())
                .containsExactly("c0", "c1", "c2", "c3", "c4", "c5");
    }

    @Test
    void close_sendsWhatIsQueued_andDropsWhatComesAfter() {
        HttpWebhooks webhooks = webhooks(List.of("connect"), 1000, 10, 5000, 5);
        for (int i = 0; i < 35; i++) {
            webhooks.connected("c" + i, "u", "d");
        }

        webhooks.close();

        assertThat(count(WebhookOutcome.DELIVERED)).as("sent before close returned").isEqualTo(35);
        assertThat(receiver.events()).hasSize(35);
        webhooks.connected("late", "u", "d");
        assertThat(count(WebhookOutcome.DROPPED)).isEqualTo(1);
    }

    @Test
    void close_givesUpOnABackendThatHangs_andCountsEveryEventItHeld() {
        HttpWebhooks webhooks = webhooks(List.of("connect"), 1000, 2, 300, 5);
        receiver.holdAnswers();
        for (int i = 0; i < 7; i++) {
            webhooks.connected("c" + i, "u", "d");
        }
        await().atMost(WAIT).until(() -> !receiver.requests().isEmpty());

        webhooks.close(); // bounded: each request times out, and the shutdown's time runs out

        assertThat(count(WebhookOutcome.DELIVERED)).isZero();
        assertThat(count(WebhookOutcome.FAILED) + count(WebhookOutcome.DROPPED)).as("every event accounted for").isEqualTo(7);
    }

    @Test
    void retryAfter_isReadInSeconds_andCapped_andAnHttpDateIsIgnored() {
        assertThat(HttpWebhooks.Answer.retryAfterMillis("3")).isEqualTo(3000);
        assertThat(HttpWebhooks.Answer.retryAfterMillis(" 0 ")).isZero();
        assertThat(HttpWebhooks.Answer.retryAfterMillis("999999")).isEqualTo(3_600_000);
        assertThat(HttpWebhooks.Answer.retryAfterMillis("-5")).isZero();
        assertThat(HttpWebhooks.Answer.retryAfterMillis("Wed, 21 Oct 2026 07:28:00 GMT")).isZero();
        assertThat(HttpWebhooks.Answer.retryAfterMillis(null)).isZero();
        assertThat(HttpWebhooks.Answer.of(204, null).delivered()).isTrue();
        assertThat(HttpWebhooks.Answer.of(408, null).retryable()).isTrue();
        assertThat(HttpWebhooks.Answer.of(429, "2").retryAfterMillis()).isEqualTo(2000);
        assertThat(HttpWebhooks.Answer.of(404, "2").retryable()).isFalse();
        assertThat(HttpWebhooks.Answer.of(301, null).retryable()).as("redirects are not followed").isFalse();
    }
}
