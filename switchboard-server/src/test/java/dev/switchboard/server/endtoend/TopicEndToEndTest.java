package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Topics end to end (R6): fan-out, offsets, history recovery and its explicit failures, permissions, limits. */
class TopicEndToEndTest {
    @TempDir
    Path dataDirectory;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestServer server(int historySize, boolean clientsMayPublish) throws InterruptedException {
        TestServer server = TestServer.start(dataDirectory, Map.of(
                "topics.rules", List.of(Map.of("pattern", "*", "subscribe", true, "publish", clientsMayPublish,
                        "historySize", historySize)),
                "topics.maxSubscriptionsPerConnection", 3,
                "server.compression", true)); // for the permessage-deflate subscriber; other clients offer none
        resources.add(server);
        return server;
    }

    private RawWebSocket socket(TestServer server, String user) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=d");
        resources.add(socket);
        socket.receiveType("welcome");
        return socket;
    }

    private static JsonNode subscribe(RawWebSocket socket, String topic, String recover) throws IOException {
        socket.sendText("{\"type\":\"subscribe\",\"ref\":\"s\",\"topic\":\"" + topic + "\""
                + (recover == null ? "" : ",\"recover\":" + recover) + "}");
        return socket.receiveType("result").get("data");
    }

    private static JsonNode publish(RawWebSocket socket, String topic, int n) throws IOException {
        socket.sendText("{\"type\":\"publish\",\"ref\":\"p" + n + "\",\"topic\":\"" + topic + "\",\"data\":{\"n\":" + n + "}}");
        JsonNode reply = socket.receiveJson();
        while (!reply.path("ref").asText().equals("p" + n)) {
            reply = socket.receiveJson();
        }
        return reply;
    }

    @Test
    void publication_reachesASubscriberWithPermessageDeflate_compressed_andOneWithout_plain() throws Exception {
        TestServer server = server(0, true);
        RawWebSocket plain = socket(server, "ann");
        subscribe(plain, "news", null);
        RawWebSocket compressed = RawWebSocket.connect(server.port(), "/ws?user=ben&device=d",
                Map.of("Sec-WebSocket-Extensions", "permessage-deflate"));
        resources.add(compressed);
        assertThat(compressed.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate");
        Inflater inflater = new Inflater(true); // one per connection: the server may keep its window across messages
        compressed.receiveInflatedType(inflater, "welcome");
        compressed.sendText("{\"type\":\"subscribe\",\"ref\":\"s\",\"topic\":\"news\"}");
        compressed.receiveInflatedType(inflater, "result");
        RawWebSocket publisher = socket(server, "pub");

        publish(publisher, "news", 1);

        JsonNode atPlain = plain.receiveType("publication");
        JsonNode atCompressed = compressed.receiveInflatedType(inflater, "publication");
        assertThat(atCompressed).isEqualTo(atPlain);
        assertThat(atCompressed.get("data").get("n").asInt()).isEqualTo(1);
        inflater.end();
    }

    @Test
    void publish_reachesEverySubscriber_inOffsetOrder_withTheSameEpoch() throws Exception {
        TestServer server = server(0, true);
        List<RawWebSocket> subscribers = new ArrayList<>();
        String epoch = null;
        for (String user : List.of("ann", "ben", "cat")) {
            RawWebSocket subscriber = socket(server, user);
            JsonNode subscribed = subscribe(subscriber, "scores.live", null);
            assertThat(subscribed.get("offset").asLong()).isZero();
            assertThat(subscribed.get("history").asBoolean()).isFalse();
            assertThat(subscribed.has("recovered")).isFalse();
            epoch = subscribed.get("epoch").asText();
            subscribers.add(subscriber);
        }
        RawWebSocket publisher = socket(server, "pub");

        for (int n = 1; n <= 20; n++) {
            JsonNode reply = publish(publisher, "scores.live", n);
            assertThat(reply.get("type").asText()).isEqualTo("result");
            assertThat(reply.get("data").get("offset").asLong()).isEqualTo(n);
        }

        for (RawWebSocket subscriber : subscribers) {
            for (int n = 1; n <= 20; n++) {
                JsonNode publication = subscriber.receiveType("publication");
                assertThat(publication.get("topic").asText()).isEqualTo("scores.live");
                assertThat(publication.get("epoch").asText()).isEqualTo(epoch);
                assertThat(publication.get("offset").asLong()).isEqualTo(n);
                assertThat(publication.get("from").asText()).isEqualTo("pub");
                assertThat(publication.get("data").get("n").asInt()).isEqualTo(n);
            }
        }
    }

    @Test
    void resubscribeWithRecover_replaysTheMissedPublicationsInOrder_thenGoesLive() throws Exception {
        TestServer server = server(10, true);
        RawWebSocket publisher = socket(server, "pub");
        RawWebSocket first = socket(server, "sub");
        String epoch = subscribe(first, "room.7", null).get("epoch").asText();
        for (int n = 1; n <= 3; n++) {
            publish(publisher, "room.7", n);
        }
        for (int n = 1; n <= 3; n++) {
            assertThat(first.receiveType("publication").get("offset").asLong()).isEqualTo(n);
        }
        first.close();
        for (int n = 4; n <= 8; n++) {
            publish(publisher, "room.7", n);
        }

        RawWebSocket again = socket(server, "sub");
        JsonNode recovered = subscribe(again, "room.7", "{\"epoch\":\"" + epoch + "\",\"offset\":3}");
        assertThat(recovered.get("recovered").asBoolean()).isTrue();
        assertThat(recovered.get("offset").asLong()).isEqualTo(8);
        for (int n = 4; n <= 8; n++) {
            JsonNode publication = again.receiveType("publication");
            assertThat(publication.get("offset").asLong()).isEqualTo(n);
            assertThat(publication.get("data").get("n").asInt()).isEqualTo(n);
        }
        publish(publisher, "room.7", 9);
        assertThat(again.receiveType("publication").get("offset").asLong()).isEqualTo(9);
    }

    @Test
    void recover_isUpToDate_whenNothingWasMissed() throws Exception {
        TestServer server = server(10, true);
        RawWebSocket publisher = socket(server, "pub");
        publish(publisher, "quiet", 1);
        RawWebSocket subscriber = socket(server, "sub");
        String epoch = subscribe(subscriber, "quiet", null).get("epoch").asText();

        JsonNode answer = subscribe(subscriber, "quiet", "{\"epoch\":\"" + epoch + "\",\"offset\":1}");

        assertThat(answer.get("recovered").asBoolean()).isTrue();
        publish(publisher, "quiet", 2);
        assertThat(subscriber.receiveType("publication").get("offset").asLong()).isEqualTo(2);
    }

    @Test
    void recover_failsExplicitly_whenMoreWasPublishedThanTheHistoryKeeps() throws Exception {
        TestServer server = server(3, true);
        RawWebSocket publisher = socket(server, "pub");
        String epoch = subscribe(socket(server, "early"), "ticker", null).get("epoch").asText();
        for (int n = 1; n <= 5; n++) {
            publish(publisher, "ticker", n);
        }

        JsonNode answer = subscribe(socket(server, "late"), "ticker", "{\"epoch\":\"" + epoch + "\",\"offset\":0}");

        assertThat(answer.get("recovered").asBoolean()).isFalse();
        assertThat(answer.get("recoveryFailure").asText()).isEqualTo("gap_too_large");
        assertThat(answer.get("offset").asLong()).isEqualTo(5);
    }

    @Test
    void recover_failsExplicitly_whenTheTopicKeepsNoHistory() throws Exception {
        TestServer server = server(0, true);
        RawWebSocket publisher = socket(server, "pub");
        RawWebSocket subscriber = socket(server, "sub");
        String epoch = subscribe(subscriber, "nohistory", null).get("epoch").asText();
        publish(publisher, "nohistory", 1);

        JsonNode answer = subscribe(socket(server, "other"), "nohistory", "{\"epoch\":\"" + epoch + "\",\"offset\":0}");

        assertThat(answer.get("recovered").asBoolean()).isFalse();
        assertThat(answer.get("recoveryFailure").asText()).isEqualTo("no_history");
    }

    @Test
    void recover_failsWithEpochChanged_afterAServerRestart() throws Exception {
        TestServer server = server(10, true);
        RawWebSocket publisher = socket(server, "pub");
        publish(publisher, "news", 1);
        String epoch = subscribe(socket(server, "sub"), "news", null).get("epoch").asText();
        server.restart();

        JsonNode answer = subscribe(socket(server, "sub"), "news", "{\"epoch\":\"" + epoch + "\",\"offset\":1}");

        assertThat(answer.get("recovered").asBoolean()).isFalse();
        assertThat(answer.get("recoveryFailure").asText()).isEqualTo("epoch_changed");
        assertThat(answer.get("epoch").asText()).isNotEqualTo(epoch);
    }

    @Test
    void unsubscribe_stopsDelivery() throws Exception {
        TestServer server = server(0, true);
        RawWebSocket publisher = socket(server, "pub");
        RawWebSocket subscriber = socket(server, "sub");
        subscribe(subscriber, "feed", null);
        subscriber.sendText("{\"type\":\"unsubscribe\",\"ref\":\"u\",\"topic\":\"feed\"}");
        assertThat(subscriber.receiveType("result").get("data").get("topic").asText()).isEqualTo("feed");

        publish(publisher, "feed", 1);
        subscriber.sendText("{\"type\":\"ping\",\"ref\":\"after\"}");

        JsonNode next = subscriber.receiveJson();
        assertThat(next.get("type").asText()).isEqualTo("pong"); // no publication came before the pong
        assertThat(server.server().topicHub().subscriptionCount()).isEqualTo(0);
    }

    @Test
    void closingTheConnection_removesItsSubscriptions() throws Exception {
        TestServer server = server(0, true);
        RawWebSocket subscriber = socket(server, "sub");
        subscribe(subscriber, "a", null);
        subscribe(subscriber, "b", null);
        assertThat(server.server().topicHub().subscriptionCount()).isEqualTo(2);

        subscriber.close();

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> server.server().topicHub().subscriptionCount() == 0);
        assertThat(server.server().topicHub().hasSubscribers("a")).isFalse();
    }

    @Test
    void publish_isForbidden_whenNeitherTheRulesNorTheTokenAllowIt() throws Exception {
        TestServer server = server(0, false);
        String plain = TestServer.token("tom", "d", Duration.ofMinutes(5));
        String granted = TestServer.token("gil", "d", Duration.ofMinutes(5),
                Map.of("topics", Map.of("publish", List.of("scores.*"))));
        RawWebSocket tom = RawWebSocket.connect(server.port(), "/ws?token=" + plain);
        RawWebSocket gil = RawWebSocket.connect(server.port(), "/ws?token=" + granted);
        resources.add(tom);
        resources.add(gil);
        tom.receiveType("welcome");
        gil.receiveType("welcome");

        JsonNode refused = publish(tom, "scores.1", 1);
        assertThat(refused.get("type").asText()).isEqualTo("error");
        assertThat(refused.get("code").asText()).isEqualTo("forbidden");
        assertThat(publish(gil, "scores.1", 2).get("type").asText()).isEqualTo("result");
        assertThat(publish(gil, "news.1", 3).get("code").asText()).isEqualTo("forbidden");
        assertThat(subscribe(tom, "scores.1", null).get("topic").asText()).isEqualTo("scores.1"); // rule allows subscribing
    }

    @Test
    void subscribe_isRefused_overTheSubscriptionLimit_andForBadRequests() throws Exception {
        TestServer server = server(0, true);
        RawWebSocket client = socket(server, "sub");
        for (String topic : List.of("t1", "t2", "t3")) {
            subscribe(client, topic, null);
        }
        client.sendText("{\"type\":\"subscribe\",\"ref\":\"x\",\"topic\":\"t4\"}");
        assertThat(client.receiveType("error").get("code").asText()).isEqualTo("subscription_limit");
        assertThat(subscribe(client, "t1", null).get("topic").asText()).isEqualTo("t1"); // resubscribing is not a new one

        client.sendText("{\"type\":\"subscribe\",\"ref\":\"bad\",\"topic\":\"has space\"}");
        assertThat(client.receiveType("error").get("code").asText()).isEqualTo("invalid_field");
        client.sendText("{\"type\":\"subscribe\",\"ref\":\"bad2\",\"topic\":\"t1\",\"recover\":{\"epoch\":\"e\"}}");
        assertThat(client.receiveType("error").get("code").asText()).isEqualTo("missing_field");
        client.sendText("{\"type\":\"publish\",\"ref\":\"bad3\",\"topic\":\"t1\"}");
        assertThat(client.receiveType("error").get("code").asText()).isEqualTo("missing_field");
        client.sendText("{\"type\":\"publish\",\"ref\":\"big\",\"topic\":\"t1\",\"data\":\"" + "x".repeat(20_000) + "\"}");
        assertThat(client.receiveType("error").get("code").asText()).isEqualTo("payload_too_large");
    }
}
