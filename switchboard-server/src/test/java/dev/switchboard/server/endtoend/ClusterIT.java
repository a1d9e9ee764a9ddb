package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import dev.switchboard.server.testing.WebhookReceiver;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one JVM over the real Redis and MariaDB: users on different nodes chat 1:1 and in
 * groups, presence (and its events) is cluster-wide, topics fan out and recover across nodes, kicks,
 * bans and the single-session policy reach every node, and readiness reports Redis and the subscription.
 */
class ClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDirectory;
    private TestDatabase database;
    private final List<AutoCloseable> resources = new ArrayList<>();
    TestServer nodeA;
    TestServer nodeB;
    String prefix;
    /** Opened by {@link #redis()}; closed with the other resources. */
    private StatefulRedisConnection<String, String> redis;

    @BeforeEach
    void startCluster() throws Exception {
        database = TestDatabase.mariadb();
        prefix = "switchboard-test-" + UUID.randomUUID().toString().substring(0, 8);
        nodeA = node("node-a", prefix);
        nodeB = node("node-b", prefix);
    }

    private TestServer node(String nodeId, String prefix) throws InterruptedException {
        return node(nodeId, prefix, Map.of());
    }

    private TestServer node(String nodeId, String prefix, Map<String, Object> extraOverrides) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("store.url", database.url());
        overrides.putAll(redisSettings());
        overrides.put("cluster.nodeId", nodeId);
        overrides.put("cluster.keyPrefix", prefix);
        overrides.put("presence.events", true);
        overrides.put("topics.rules", List.of(Map.of("pattern", "*", "subscribe", true, "publish", true, "historySize", 10)));
        overrides.putAll(extraOverrides);
        TestServer server = TestServer.start(dataDirectory.resolve(nodeId), overrides);
        resources.add(server);
        return server;
    }

    /** What makes the nodes a cluster over Redis: the mode, and where Redis is (by default the shared one on 6379). */
    Map<String, Object> redisSettings() {
        return Map.of("cluster.mode", "redis");
    }

    @AfterEach
    void stopCluster() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        database.close();
    }

    private TestClient client(TestServer node, String user, String device) {
        TestClient client = TestClient.connect(node.webSocketUri(), user, device);
        resources.add(client);
        return client;
    }

    @Test
    void directMessages_crossNodes_toEveryDevice() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bobOnA = client(nodeA, "bob", "laptop");
        TestClient bobOnB = client(nodeB, "bob", "phone");
        TestClient aliceOnB = client(nodeB, "alice", "tablet");
        await().atMost(WAIT).until(() -> isOnline(alice, "bob"));

        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sends.add(alice.sdk().send(Target.user("bob"), i, "x-" + i));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        List<String> expected = IntStream.range(0, 50).mapToObj(i -> "x-" + i).toList();
        for (TestClient device : List.of(alice, bobOnA, bobOnB, aliceOnB)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(device.receivedClientIds())
                    .as("%s/%s", device.sdk().userId(), device.sdk().deviceId()).containsExactlyElementsOf(expected));
        }
    }

    @Test
    void groupMessages_reachMembersOnBothNodes() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bob = client(nodeB, "bob", "phone");
        TestClient carol = client(nodeB, "carol", "phone");
        alice.sdk().createGroup("crew", "Crew", List.of("bob", "carol")).get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> isOnline(alice, "bob") && isOnline(alice, "carol"));

        for (int i = 0; i < 20; i++) {
            bob.sdk().send(Target.group("crew"), i, "g-" + i);
        }
        List<String> expected = IntStream.range(0, 20).mapToObj(i -> "g-" + i).toList();
        for (TestClient member : List.of(alice, bob, carol)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(member.receivedClientIds())
                    .as(member.sdk().userId()).containsExactlyElementsOf(expected));
        }
    }

    @Test
    void groupMessages_smallAndLarge_eachArriveLiveOnBothNodes() throws Exception {
        // Up to RedisDelivery.MAX_SCRIPT_RECIPIENTS (8) recipients a message crosses nodes by one script,
        // above it by route lookup and one envelope per node. One message at a time, each awaited on
        // every member before the next: a lost envelope is not repaired by a later message's gap.
        List<String> others = IntStream.range(0, 11).mapToObj(i -> "member" + i).toList();
        TestClient alice = client(nodeA, "alice", "phone");
        List<TestClient> members = new ArrayList<>(List.of(alice));
        for (int i = 0; i < others.size(); i++) {
            members.add(client(i % 2 == 0 ? nodeA : nodeB, others.get(i), "phone"));
        }
        alice.sdk().createGroup("small", "Small", others.subList(0, 3)).get(10, TimeUnit.SECONDS);
        alice.sdk().createGroup("large", "Large", others).get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> {
            for (String member : others) {
                if (!isOnline(alice, member)) {
                    return false;
                }
            }
            return true;
        });

        TestClient sender = members.get(2); // member1, on node B
        List<String> small = new ArrayList<>();
        List<String> large = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            boolean toSmall = i % 2 == 0;
            String clientId = (toSmall ? "small-" : "large-") + i;
            (toSmall ? small : large).add(clientId);
            List<String> expectedSmall = List.copyOf(small);
            List<String> expectedLarge = List.copyOf(large);
            sender.sdk().send(Target.group(toSmall ? "small" : "large"), i, clientId).get(10, TimeUnit.SECONDS);
            for (int m = 0; m < members.size(); m++) {
                TestClient member = members.get(m);
                boolean inSmall = m < 4; // alice and member0..member2
                List<String> expected = new ArrayList<>(expectedLarge);
                if (inSmall) {
                    expected.addAll(expectedSmall);
                }
                await().atMost(WAIT).untilAsserted(() -> assertThat(member.receivedClientIds())
                        .as(member.sdk().userId()).containsExactlyInAnyOrderElementsOf(expected));
            }
        }
    }

    @Test
    void presence_isClusterWide_andReadinessReportsRedis() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bob = client(nodeB, "bob", "phone");
        await().atMost(WAIT).until(() -> isOnline(alice, "bob"));
        bob.close();
        await().atMost(WAIT).until(() -> !isOnline(alice, "bob"));

        RawWebSocket.HttpAnswer ready = RawWebSocket.httpGet(nodeB.port(), "/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).contains("\"redis\":\"up\"").contains("\"subscription\":\"up\"")
                .contains("\"node\":\"node-b\"");
    }

    private static boolean isOnline(TestClient asker, String user) throws Exception {
        ObjectNode query = JsonNodeFactory.instance.objectNode();
        query.putArray("users").add(user);
        return asker.sdk().request("presence.query", query).get(10, TimeUnit.SECONDS).get("online").get(user).asBoolean();
    }

    RawWebSocket socket(TestServer node, String user, String device) throws Exception {
        RawWebSocket socket = RawWebSocket.connect(node.port(), "/ws?user=" + user + "&device=" + device);
        resources.add(socket);
        socket.receiveType("welcome");
        return socket;
    }

    @Test
    void aFileUploadStartedOnOneNode_resumesOnTheOther_andIsDownloadedFromEither() throws Exception {
        byte[] content = new byte[150_000];
        new Random(7).nextBytes(content);
        TestClient bob = client(nodeA, "bob", "phone");
        RawWebSocket aliceOnA = socket(nodeA, "alice", "phone");
        aliceOnA.sendJson("{\"type\":\"upload.start\",\"ref\":\"s\",\"name\":\"scan.tif\",\"size\":" + content.length
                + ",\"contentType\":\"image/tiff\"}");
        JsonNode started = aliceOnA.receiveType("result").get("data");
        String fileId = started.get("fileId").asText();
        int chunkBytes = started.get("chunkBytes").asInt();
        aliceOnA.sendBinaries(RawWebSocket.fileChunk(RawWebSocket.fileChunkHeader(fileId, 0),
                Arrays.copyOfRange(content, 0, chunkBytes)));
        assertThat(aliceOnA.receiveType("result").get("data").get("offset").asLong()).isEqualTo(chunkBytes);
        aliceOnA.abort(); // her connection to node A drops; she reconnects through the balancer to node B

        RawWebSocket aliceOnB = socket(nodeB, "alice", "phone");
        aliceOnB.sendJson("{\"type\":\"upload.status\",\"ref\":\"st\",\"fileId\":\"" + fileId + "\"}");
        long offset = aliceOnB.receiveType("result").get("data").get("offset").asLong();
        assertThat(offset).as("what node A stored, read on node B").isEqualTo(chunkBytes);
        while (offset < content.length) {
            int end = (int) Math.min(content.length, offset + chunkBytes);
            aliceOnB.sendBinaries(RawWebSocket.fileChunk(RawWebSocket.fileChunkHeader(fileId, offset),
                    Arrays.copyOfRange(content, (int) offset, end)));
            offset = aliceOnB.receiveType("result").get("data").get("offset").asLong();
        }
        aliceOnB.sendJson("{\"type\":\"send\",\"ref\":\"m\",\"clientId\":\"scan-1\",\"to\":{\"kind\":\"user\","
                + "\"id\":\"bob\"},\"body\":null,\"fileId\":\"" + fileId + "\"}");
        aliceOnB.receiveType("sent");

        InboxMessage received = await().atMost(WAIT).until(() -> bob.messages.stream()
                .filter(message -> "scan-1".equals(message.clientId())).findFirst().orElse(null), Objects::nonNull);
        assertThat(received.file().id()).isEqualTo(fileId);
        assertThat(received.file().size()).isEqualTo(content.length);
        Path saved = bob.sdk().downloadFile(received.file(), dataDirectory.resolve("scan.tif")).get(20, TimeUnit.SECONDS);
        assertThat(Files.readAllBytes(saved)).as("downloaded from node A").isEqualTo(content);
        TestClient bobOnB = client(nodeB, "bob", "laptop");
        Path again = bobOnB.sdk().downloadFile(received.file(), dataDirectory.resolve("scan-b.tif")).get(20, TimeUnit.SECONDS);
        assertThat(Files.readAllBytes(again)).as("downloaded from node B").isEqualTo(content);
    }

    @Test
    void topicPublications_reachSubscribersOnEveryNode_inOneOrder_andRecoverOnAnotherNode() throws Exception {
        RawWebSocket onA = socket(nodeA, "ann", "d");
        RawWebSocket onB = socket(nodeB, "ben", "d");
        RawWebSocket publisher = socket(nodeB, "pub", "d");
        for (RawWebSocket subscriber : List.of(onA, onB)) {
            subscriber.sendText("{\"type\":\"subscribe\",\"ref\":\"s\",\"topic\":\"match.1\"}");
            subscriber.receiveType("result");
        }
        assertThat(topicChannelSubscribers("match.1")).as("one subscription to the topic's channel per node").isEqualTo(2);
        for (int n = 1; n <= 10; n++) {
            publisher.sendText("{\"type\":\"publish\",\"ref\":\"p" + n + "\",\"topic\":\"match.1\",\"data\":" + n + "}");
        }
        String epoch = null;
        for (RawWebSocket subscriber : List.of(onA, onB)) {
            for (int n = 1; n <= 10; n++) {
                var publication = subscriber.receiveType("publication");
                assertThat(publication.get("offset").asLong()).isEqualTo(n);
                assertThat(publication.get("data").asInt()).isEqualTo(n);
                epoch = publication.get("epoch").asText();
            }
        }
        onA.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(topicChannelSubscribers("match.1"))
                .as("node A, with no subscriber left, left the channel").isEqualTo(1));
        assertThat(ApiClient.of(nodeA).post("/api/v1/topics/match.1/publish", "{\"data\":11}").status()).isEqualTo(200);
        assertThat(ApiClient.of(nodeB).post("/api/v1/topics/match.1/publish", "{\"data\":12}").status()).isEqualTo(200);

        RawWebSocket back = socket(nodeB, "ann", "d");
        back.sendText("{\"type\":\"subscribe\",\"ref\":\"r\",\"topic\":\"match.1\",\"recover\":{\"epoch\":\"" + epoch + "\",\"offset\":10}}");
        var result = back.receiveType("result").get("data");
        assertThat(result.get("recovered").asBoolean()).isTrue();
        assertThat(back.receiveType("publication").get("data").asInt()).isEqualTo(11);
        assertThat(back.receiveType("publication").get("data").asInt()).isEqualTo(12);
    }

    /**
     * Redis's count of subscriptions to a topic's channel (PUBSUB NUMSUB): one per node that has subscribers.
     * One client and connection for the test, opened at the first call: the check is polled.
     */
    long topicChannelSubscribers(String topic) {
        return redis().pubsubNumsub(prefix + ":topic-channel:" + topic).values().iterator().next();
    }

    /** The test's own Redis connection, opened at the first call, closed with the other resources. */
    RedisClusterCommands<String, String> redis() {
        if (redis == null) {
            RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
            resources.add(client::shutdown);
            redis = client.connect();
            resources.add(redis);
        }
        return redis.sync();
    }

    /**
     * R8's webhooks in a cluster: each node reports its own connections, and a message once, from the node
     * that stored it, though it is delivered on another. Two more nodes, a cluster of their own.
     */
    @Test
    void webhooks_eachNodeReportsItsOwnConnections_andAMessageOnce_fromTheNodeThatStoredIt() throws Exception {
        WebhookReceiver receiver = WebhookReceiver.start();
        resources.add(receiver);
        String hooksPrefix = prefix + "-hooks";
        Map<String, Object> hooks = Map.of("webhooks.url", receiver.url(),
                "webhooks.secret", "webhook-secret-webhook-secret-0123456789");
        TestServer nodeC = node("node-c", hooksPrefix, hooks);
        TestServer nodeD = node("node-d", hooksPrefix, hooks);
        RawWebSocket alice = socket(nodeC, "alice", "phone");
        RawWebSocket bob = socket(nodeD, "bob", "phone");
        bob.sendJson("{\"type\":\"resume\"}");
        bob.receiveType("synced");

        alice.sendJson("{\"type\":\"send\",\"ref\":\"r\",\"clientId\":\"hook-1\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":\"hi\"}");
        assertThat(bob.receiveType("message").get("message").get("clientId").asText()).isEqualTo("hook-1");
        nodeC.close(); // each sends what it has queued, its connection's disconnect included
        nodeD.close();

        List<String> events = new ArrayList<>();
        for (WebhookReceiver.Request request : receiver.requests()) {
            String node = request.json().get("node").asText();
            request.json().get("events").forEach(event -> events.add(node + " " + event.get("type").asText() + " "
                    + (event.has("message") ? event.get("message").get("from").asText() : event.get("userId").asText())));
        }
        assertThat(events).containsExactlyInAnyOrder(
                "node-c connect alice", "node-d connect bob",
                "node-c message alice",
                "node-c disconnect alice", "node-d disconnect bob");
    }

    /**
     * R9, a node killed with SIGKILL: it cleans nothing up, so it leaves in Redis exactly what a live node
     * keeps there, its route to each of its users (with the expiry it last wrote) and its heartbeat, and
     * sends nothing more. Played here by writing those entries for a node that does not exist. The user
     * counts as online until the route's expiry passes, then as offline with nobody removing anything;
     * a message sent meanwhile goes to the dead node's channel and is not lost: it is stored, and the
     * user gets it on connecting to a live node.
     */
    @Test
    void aKilledNodesRoutes_stopCountingAtTheirExpiry_andAMessageSentToItMeanwhileIsNotLost() throws Exception {
        long ttlMillis = 10_000; // the steps before the first check must fit in it, on a busy machine too
        long expiry = System.currentTimeMillis() + ttlMillis;
        redis().hset(prefix + ":routes:dora", "node-killed", Long.toString(expiry));
        redis().pexpire(prefix + ":routes:dora", ttlMillis * 10); // the key outlives the field: only the expiry inside counts
        redis().set(prefix + ":node:node-killed", Long.toString(expiry - ttlMillis), SetArgs.Builder.px(ttlMillis));
        TestClient alice = client(nodeA, "alice", "phone");
        assertThat(isOnline(alice, "dora")).as("the dead node's route has not expired yet").isTrue();

        SendReceipt receipt = alice.sdk().send(Target.user("dora"), "while her node is dead", "to-dora").get(10, TimeUnit.SECONDS);
        assertThat(receipt.seq()).isPositive();

        await().atMost(WAIT).until(() -> !isOnline(alice, "dora"));
        assertThat(System.currentTimeMillis()).as("offline only once the route expired").isGreaterThanOrEqualTo(expiry);
        assertThat(redis().hexists(prefix + ":routes:dora", "node-killed")).as("nobody removed it").isTrue();
        RawWebSocket dora = socket(nodeB, "dora", "phone");
        dora.sendJson("{\"type\":\"resume\"}");
        assertThat(dora.receiveType("message").get("message").get("body").asText()).isEqualTo("while her node is dead");
        await().atMost(WAIT).until(() -> isOnline(alice, "dora"));
    }

    @Test
    void kickAndBan_throughEitherNode_closeTheUsersConnectionsOnEveryNode() throws Exception {
        RawWebSocket bobOnB = socket(nodeB, "bob", "phone");
        assertThat(ApiClient.of(nodeA).post("/api/v1/users/bob/kick", "{\"reason\":\"maintenance\"}").status()).isEqualTo(202);
        assertThat(bobOnB.receiveType("kicked").get("reason").asText()).isEqualTo("maintenance");
        assertThat(bobOnB.awaitClose(WAIT)).isEqualTo(4003);

        RawWebSocket carolOnB = socket(nodeB, "carol", "phone");
        assertThat(ApiClient.of(nodeA).put("/api/v1/bans/carol", "{\"reason\":\"spam\"}").status()).isEqualTo(200);
        assertThat(carolOnB.awaitClose(WAIT)).isEqualTo(4004);
        try (RawWebSocket refused = RawWebSocket.connect(nodeB.port(), "/ws?user=carol&device=x")) {
            assertThat(refused.handshake().status()).isEqualTo(403);
            assertThat(refused.handshake().body()).contains("banned");
        }
        assertThat(ApiClient.of(nodeB).delete("/api/v1/bans/carol").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> {
            try (RawWebSocket again = RawWebSocket.connect(nodeA.port(), "/ws?user=carol&device=x")) {
                return again.handshake().status() == 101;
            }
        });
    }

    @Test
    void singleSession_aLoginOnOneNode_kicksTheSameUsersConnectionOnTheOther() throws Exception {
        String prefix = "switchboard-test-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> singleSession = Map.of("auth.loginPolicy", "single-session");
        TestServer nodeC = node("node-c", prefix, singleSession);
        TestServer nodeD = node("node-d", prefix, singleSession);
        RawWebSocket first = socket(nodeC, "dan", "phone");

        socket(nodeD, "dan", "laptop");

        assertThat(first.receiveType("kicked").get("reason").asText()).contains("another device");
        assertThat(first.awaitClose(WAIT)).isEqualTo(4003);
    }

    @Test
    void presenceEvents_andStats_spanTheNodes() throws Exception {
        RawWebSocket alice = socket(nodeA, "alice", "d");
        alice.sendText("{\"type\":\"group.create\",\"ref\":\"g\",\"groupId\":\"pair\",\"members\":[\"bob\"]}");
        alice.receiveType("result");

        RawWebSocket bob = socket(nodeB, "bob", "d");
        var online = alice.receiveType("presence");
        assertThat(online.get("user").asText()).isEqualTo("bob");
        assertThat(online.get("online").asBoolean()).isTrue();
        bob.close();
        assertThat(alice.receiveType("presence").get("online").asBoolean()).isFalse();

        await().atMost(WAIT).untilAsserted(() -> {
            var stats = ApiClient.of(nodeB).get("/api/v1/stats").json();
            assertThat(stats.get("nodes")).hasSize(2);
            assertThat(stats.get("nodes").get(0).get("nodeId").asText()).isEqualTo("node-a");
            assertThat(stats.get("connections").asLong()).isEqualTo(1);
        });
    }
}
