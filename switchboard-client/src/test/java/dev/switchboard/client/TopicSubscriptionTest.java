package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Topic subscriptions against {@link FakeServer}: subscribe and publish replies, in-order exactly-once
 * delivery, re-subscription with {@code recover} after a reconnect, re-sync after a gap, recovery
 * failures, refusals, and presence events.
 */
class TopicSubscriptionTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String TOPIC = "news.sports";

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
    void subscribe_completesWithReplyData_andDeliversPublicationsInOrder() throws Exception {
        connectAndWelcome();

        CompletableFuture<JsonNode> subscribed = client.subscribe(TOPIC);
        JsonNode subscribe = server.nextReceived("subscribe");
        assertThat(subscribe.path("topic").asText()).isEqualTo(TOPIC);
        assertThat(subscribe.has("recover")).as("a first subscribe has nothing to recover").isFalse();
        server.result(subscribe, reply("k3v9", 45).put("history", true));

        assertThat(subscribed.get(5, TimeUnit.SECONDS).path("offset").asLong()).isEqualTo(45);
        server.publication(TOPIC, "k3v9", 46, "a");
        server.publication(TOPIC, "k3v9", 47, "b");
        await().atMost(WAIT).until(() -> listener.publications.size() == 2);
        assertThat(listener.publicationsOf(TOPIC)).containsExactly("k3v9:46 a", "k3v9:47 b");
        assertThat(listener.publications.get(0).from()).isEqualTo("alice");
        assertThat(client.topicPosition(TOPIC)).isEqualTo(new TopicPosition("k3v9", 47));
        assertThat(client.subscriptions()).containsExactly(TOPIC);
        assertThat(listener.subscriptionStates).containsExactly(TOPIC + " SUBSCRIBING", TOPIC + " SUBSCRIBED");
    }

    @Test
    void subscribe_isSentAfterWelcome_whenMadeBeforeConnecting() throws Exception {
        client = new SwitchboardClient(config().build(), listener);
        CompletableFuture<JsonNode> subscribed = client.subscribe(TOPIC);

        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        server.result(server.nextReceived("subscribe"), reply("e1", 0));

        assertThat(subscribed.get(5, TimeUnit.SECONDS).path("epoch").asText()).isEqualTo("e1");
    }

    @Test
    void reconnect_resubscribesWithRecover_andDeliversReplayedOffsetsOnceInOrder() throws Exception {
        connectAndWelcome();
        subscribeAt(TOPIC, "e1", 5);
        server.publication(TOPIC, "e1", 6, "six");
        server.publication(TOPIC, "e1", 7, "seven");
        await().atMost(WAIT).until(() -> listener.publications.size() == 2);

        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        JsonNode resubscribe = server.nextReceived("subscribe");
        assertThat(resubscribe.path("recover").path("epoch").asText()).isEqualTo("e1");
        assertThat(resubscribe.path("recover").path("offset").asLong()).isEqualTo(7);
        server.publication(TOPIC, "e1", 10, "before the reply: dropped");
        server.result(resubscribe, reply("e1", 9).put("recovered", true));
        // A replay that overlaps what was delivered, then the missed ones, then live traffic.
        server.publication(TOPIC, "e1", 6, "six");
        server.publication(TOPIC, "e1", 7, "seven");
        server.publication(TOPIC, "e1", 8, "eight");
        server.publication(TOPIC, "e1", 9, "nine");
        server.publication(TOPIC, "e1", 9, "nine");
        server.publication(TOPIC, "e1", 10, "ten");

        await().atMost(WAIT).until(() -> listener.publications.size() == 5);
        assertThat(listener.publicationsOf(TOPIC)).containsExactly("e1:6 six", "e1:7 seven", "e1:8 eight",
                "e1:9 nine", "e1:10 ten");
        assertThat(client.stats().publicationDuplicatesSuppressed()).isEqualTo(3);
        assertThat(listener.recoveryFailures).isEmpty();
        assertThat(listener.subscriptionStates).containsExactly(TOPIC + " SUBSCRIBING", TOPIC + " SUBSCRIBED",
                TOPIC + " SUBSCRIBING", TOPIC + " SUBSCRIBED");
    }

    @Test
    void reconnect_reportsRecoveryFailure_andContinuesFromServerPosition_whenNotRecovered() throws Exception {
        connectAndWelcome();
        subscribeAt(TOPIC, "e1", 3);

        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        JsonNode resubscribe = server.nextReceived("subscribe");
        assertThat(resubscribe.path("recover").path("offset").asLong()).isEqualTo(3);
        server.result(resubscribe, reply("e2", 0).put("recovered", false).put("recoveryFailure", "epoch_changed"));
        server.publication(TOPIC, "e2", 1, "fresh");

        await().atMost(WAIT).until(() -> listener.publications.size() == 1);
        assertThat(listener.recoveryFailures).containsExactly(TOPIC + " epoch_changed e2:0");
        assertThat(listener.publicationsOf(TOPIC)).containsExactly("e2:1 fresh");
        assertThat(client.stats().recoveryFailures()).isEqualTo(1);
        assertThat(listener.subscriptionStates).endsWith(TOPIC + " SUBSCRIBING", TOPIC + " SUBSCRIBED");
    }

    @Test
    void publication_afterGap_resyncsTopicWithRecover_andDeliversMissedOnesInOrder() throws Exception {
        connectAndWelcome();
        subscribeAt(TOPIC, "e1", 0);
        server.publication(TOPIC, "e1", 1, "one");
        server.publication(TOPIC, "e1", 3, "three");

        JsonNode unsubscribe = server.nextReceived("unsubscribe");
        JsonNode resubscribe = server.nextReceived("subscribe");
        assertThat(unsubscribe.path("topic").asText()).isEqualTo(TOPIC);
        assertThat(resubscribe.path("recover").path("epoch").asText()).isEqualTo("e1");
        assertThat(resubscribe.path("recover").path("offset").asLong()).isEqualTo(1);
        server.result(unsubscribe, Wire.MAPPER.createObjectNode().put("topic", TOPIC));
        server.publication(TOPIC, "e1", 4, "four, before the reply: dropped");
        server.result(resubscribe, reply("e1", 4).put("recovered", true));
        server.publication(TOPIC, "e1", 2, "two");
        server.publication(TOPIC, "e1", 3, "three");
        server.publication(TOPIC, "e1", 4, "four");
        server.publication(TOPIC, "e1", 5, "five");

        await().atMost(WAIT).until(() -> listener.publications.size() == 5);
        assertThat(listener.publicationsOf(TOPIC)).containsExactly("e1:1 one", "e1:2 two", "e1:3 three",
                "e1:4 four", "e1:5 five");
        assertThat(client.stats().topicGaps()).isEqualTo(1);
        assertThat(listener.recoveryFailures).isEmpty();
    }

    @Test
    void publication_ofNewEpoch_resyncsTopic_andReportsRecoveryFailure() throws Exception {
        connectAndWelcome();
        subscribeAt(TOPIC, "e1", 2);
        server.publication(TOPIC, "e1", 3, "old");
        server.publication(TOPIC, "e2", 1, "new epoch");

        server.nextReceived("unsubscribe");
        JsonNode resubscribe = server.nextReceived("subscribe");
        assertThat(resubscribe.path("recover").path("offset").asLong()).isEqualTo(3);
        server.result(resubscribe, reply("e2", 1).put("recovered", false).put("recoveryFailure", "epoch_changed"));
        server.publication(TOPIC, "e2", 2, "live");

        await().atMost(WAIT).until(() -> listener.publications.size() == 2);
        assertThat(listener.publicationsOf(TOPIC)).containsExactly("e1:3 old", "e2:2 live");
        assertThat(listener.recoveryFailures).containsExactly(TOPIC + " epoch_changed e2:1");
    }

    @Test
    void subscribe_recoversFromGivenPosition_whenApplicationKeptOne() throws Exception {
        connectAndWelcome();

        CompletableFuture<JsonNode> subscribed = client.subscribe(TOPIC, new TopicPosition("e1", 10));
        JsonNode subscribe = server.nextReceived("subscribe");
        server.result(subscribe, reply("e1", 30).put("recovered", false).put("recoveryFailure", "gap_too_large"));

        assertThat(subscribe.path("recover").path("offset").asLong()).isEqualTo(10);
        assertThat(subscribed.get(5, TimeUnit.SECONDS).path("recovered").asBoolean(true)).isFalse();
        assertThat(listener.recoveryFailures).containsExactly(TOPIC + " gap_too_large e1:30");
        assertThat(client.topicPosition(TOPIC)).isEqualTo(new TopicPosition("e1", 30));
    }

    @Test
    void subscribe_failsAndEnds_whenServerRefusesIt() throws Exception {
        connectAndWelcome();

        CompletableFuture<JsonNode> forbidden = client.subscribe("secret");
        server.error(server.nextReceived("subscribe"), "forbidden");
        CompletableFuture<JsonNode> overLimit = client.subscribe("one.too.many");
        server.error(server.nextReceived("subscribe"), "subscription_limit");

        assertThat(failureOf(forbidden).code()).isEqualTo(ErrorCode.FORBIDDEN);
        assertThat(failureOf(overLimit).code()).isEqualTo(ErrorCode.SUBSCRIPTION_LIMIT);
        assertThat(listener.subscriptionStates).contains("secret UNSUBSCRIBED forbidden",
                "one.too.many UNSUBSCRIBED subscription_limit");
        assertThat(client.subscriptions()).isEmpty();
        assertThat(listener.errors).as("the refusals went to the futures").isEmpty();
    }

    @Test
    void subscribe_isSentAgain_whenServerAnswersRateLimited() throws Exception {
        connectAndWelcome();

        CompletableFuture<JsonNode> subscribed = client.subscribe(TOPIC);
        server.error(server.nextReceived("subscribe"), "rate_limited");
        server.result(server.nextReceived("subscribe"), reply("e1", 0));

        assertThat(subscribed.get(5, TimeUnit.SECONDS).path("topic").asText()).isEqualTo(TOPIC);
    }

    @Test
    void unsubscribe_stopsDelivery_andTopicIsNotSubscribedAgainAfterReconnect() throws Exception {
        connectAndWelcome();
        subscribeAt(TOPIC, "e1", 0);
        subscribeAt("other", "e1", 0);

        CompletableFuture<JsonNode> unsubscribed = client.unsubscribe(TOPIC);
        JsonNode unsubscribe = server.nextReceived("unsubscribe");
        server.publication(TOPIC, "e1", 1, "after unsubscribe");
        server.result(unsubscribe, Wire.MAPPER.createObjectNode().put("topic", TOPIC));
        assertThat(unsubscribed.get(5, TimeUnit.SECONDS).path("topic").asText()).isEqualTo(TOPIC);
        server.close(CloseCodes.SERVICE_RESTART, "restart");
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);

        assertThat(server.nextReceived("subscribe").path("topic").asText()).isEqualTo("other");
        assertThat(listener.publications).isEmpty();
        assertThat(client.subscriptions()).containsExactly("other");
    }

    @Test
    void publish_completesWithOffset_orFailsWithServerCode() throws Exception {
        connectAndWelcome();

        CompletableFuture<JsonNode> published = client.publish(TOPIC, List.of(1, 2));
        JsonNode publish = server.nextReceived("publish");
        server.result(publish, reply("e1", 46));
        CompletableFuture<JsonNode> refused = client.publish("readonly", "x");
        server.error(server.nextReceived("publish"), "forbidden");

        assertThat(publish.path("topic").asText()).isEqualTo(TOPIC);
        assertThat(publish.path("data").toString()).isEqualTo("[1,2]");
        assertThat(published.get(5, TimeUnit.SECONDS).path("offset").asLong()).isEqualTo(46);
        assertThat(failureOf(refused).code()).isEqualTo(ErrorCode.FORBIDDEN);
    }

    @Test
    void topicNames_areCheckedLocally() {
        client = new SwitchboardClient(config().build(), listener);

        for (String bad : List.of("", "has space", "x".repeat(129), "ünïcode")) {
            assertThatThrownBy(() -> client.subscribe(bad))
                    .as("topic '%s'", bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(client.subscribe("a-Z_0.9:@/x")).isNotDone();
    }

    @Test
    void presence_isReportedToListener() throws Exception {
        connectAndWelcome();

        server.send("{\"type\":\"presence\",\"user\":\"bob\",\"online\":true}");
        server.send("{\"type\":\"presence\",\"user\":\"bob\",\"online\":false}");

        await().atMost(WAIT).until(() -> listener.presence.size() == 2);
        assertThat(listener.presence).containsExactly("bob online", "bob offline");
    }

    @Test
    void banned_closesForGood_andEndsSubscriptions() throws Exception {
        connectAndWelcome();
        CompletableFuture<JsonNode> pending = client.subscribe(TOPIC);
        server.nextReceived("subscribe");

        server.close(CloseCodes.BANNED, "banned");

        await().atMost(WAIT).until(() -> client.state() == ConnectionState.CLOSED);
        assertThat(failureOf(pending).closeCode()).isEqualTo(CloseCodes.BANNED);
        assertThat(listener.subscriptionStates).endsWith(TOPIC + " UNSUBSCRIBED closeCode=4004");
        assertThat(client.stats().reconnects()).as("4004 is terminal").isZero();
    }

    private ClientConfig.Builder config() {
        return ClientConfig.builder(server.uri())
                .devUser("alice")
                .deviceId("phone")
                .backoffBase(Duration.ofMillis(10))
                .backoffMax(Duration.ofMillis(50))
                .ackDelay(Duration.ZERO);
    }

    private void connectAndWelcome() throws Exception {
        client = new SwitchboardClient(config().build(), listener);
        client.connect();
        server.nextConnection();
        server.welcome("alice", "phone", 0, 0);
        client.connected().get(5, TimeUnit.SECONDS);
    }

    /** Subscribes to {@code topic} and answers with {@code epoch}/{@code offset}; returns when it is confirmed. */
    private void subscribeAt(String topic, String epoch, long offset) throws Exception {
        CompletableFuture<JsonNode> subscribed = client.subscribe(topic);
        server.result(server.nextReceived("subscribe"), reply(epoch, offset).put("topic", topic));
        subscribed.get(5, TimeUnit.SECONDS);
    }

    private static ObjectNode reply(String epoch, long offset) {
        return Wire.MAPPER.createObjectNode().put("topic", TOPIC).put("epoch", epoch).put("offset", offset);
    }

    private static SwitchboardException failureOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(SwitchboardException.class);
            return (SwitchboardException) e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("future did not complete", e);
        }
        throw new AssertionError("future completed normally");
    }
}
