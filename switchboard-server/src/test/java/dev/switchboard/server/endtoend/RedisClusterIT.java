package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.RedisClusterProcesses;
import dev.switchboard.server.testing.RedisProcess;
import dev.switchboard.server.testing.TestServer;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R9 over a Redis Cluster ({@code cluster.mode: redis-cluster}): every test of {@link ClusterIT}
 * again, on a private cluster of three masters instead of one Redis. The cluster spreads the keys
 * over its masters by slot, so a user's routes, a topic's stream and a node's heartbeat are each on
 * one of them, and 1:1 messages take the route-lookup path, since the delivery script reads several
 * users' keys. Plus a test that the keys do spread: users whose routes live on every master chat
 * across the nodes.
 */
class RedisClusterIT extends ClusterIT {
    private static RedisClusterProcesses redisCluster;
    private static RedisClusterClient client;
    private static StatefulRedisClusterConnection<String, String> connection;

    @BeforeAll
    static void startRedisCluster(@TempDir Path directory) throws IOException {
        redisCluster = RedisClusterProcesses.start(directory, 3, false);
        client = RedisClusterClient.create(redisCluster.uri());
        connection = client.connect();
    }

    @AfterAll
    static void stopRedisCluster() {
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown();
        }
        if (redisCluster != null) {
            redisCluster.close();
        }
    }

    @Override
    Map<String, Object> redisSettings() {
        return Map.of("cluster.mode", "redis-cluster", "cluster.redisUri", redisCluster.uri());
    }

    @Override
    RedisClusterCommands<String, String> redis() {
        return connection.sync();
    }

    /** Sharded pub/sub: a topic's channel is subscribed on the master of the topic's slot; counted on every node. */
    @Override
    long topicChannelSubscribers(String topic) {
        long subscribers = 0;
        for (RedisProcess node : redisCluster.all()) {
            try {
                subscribers += Long.parseLong(node.command("PUBSUB", "SHARDNUMSUB", prefix + ":topic:{" + topic + "}:channel")
                        .split("\n")[1]);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return subscribers;
    }

    @Test
    void usersWhoseRoutesLiveOnEveryMaster_chatAcrossTheNodes() throws Exception {
        // Two users per master, by the slot of their route key; the first of each pair on node A, the second on B.
        Map<RedisProcess, List<String>> usersByMaster = new LinkedHashMap<>();
        for (int n = 0; usersByMaster.values().stream().mapToInt(List::size).sum() < 6; n++) {
            String user = "user" + n;
            List<String> users = usersByMaster.computeIfAbsent(
                    redisCluster.masterOfSlot(SlotHash.getSlot(prefix + ":routes:" + user)), master -> new ArrayList<>());
            if (users.size() < 2) {
                users.add(user);
            }
        }
        assertThat(usersByMaster).hasSize(3);
        Map<String, RawWebSocket> sockets = new LinkedHashMap<>();
        for (List<String> pair : usersByMaster.values()) {
            sockets.put(pair.get(0), resumed(nodeA, pair.get(0)));
            sockets.put(pair.get(1), resumed(nodeB, pair.get(1)));
        }
        for (RedisProcess master : redisCluster.masters()) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    master.command("SCAN", "0", "MATCH", prefix + ":routes:*", "COUNT", "1000").lines().skip(1))
                    .as("the routes on master %d", master.port()).hasSize(2));
        }

        List<String> users = new ArrayList<>(sockets.keySet());
        for (int i = 0; i < users.size(); i++) {
            String from = users.get(i);
            String to = users.get((i + 1) % users.size()); // each to a user on the other node, on another master
            sockets.get(from).sendJson("{\"type\":\"send\",\"ref\":\"r" + i + "\",\"clientId\":\"c" + i
                    + "\",\"to\":{\"kind\":\"user\",\"id\":\"" + to + "\"},\"body\":\"from " + from + "\"}");
            assertThat(sockets.get(from).receiveType("sent").get("ref").asText()).isEqualTo("r" + i);
            assertThat(sockets.get(to).receiveType("message").get("message").get("body").asText())
                    .as("live, from %s to %s", from, to).isEqualTo("from " + from);
        }
    }

    /**
     * A topic subscribed, unsubscribed and subscribed again in one burst (the node's channel
     * subscription is made, dropped and made again before Redis has answered the first): the last
     * subscribe is answered, publications arrive, and the node stays ready.
     */
    @Test
    void aTopicSubscribedUnsubscribedAndSubscribedAgainAtOnce_getsItsPublications() throws Exception {
        RawWebSocket socket = socket(nodeA, "flip", "d");
        socket.sendText("{\"type\":\"subscribe\",\"ref\":\"s1\",\"topic\":\"flip.1\"}");
        socket.sendText("{\"type\":\"unsubscribe\",\"ref\":\"u1\",\"topic\":\"flip.1\"}");
        socket.sendText("{\"type\":\"subscribe\",\"ref\":\"s2\",\"topic\":\"flip.1\"}");
        JsonNode answer = socket.receiveJson();
        for (int answers = 1; answers < 3 && !answer.path("ref").asText().equals("s2"); answers++) { // s1 may get an error
            answer = socket.receiveJson();
        }
        assertThat(answer.path("ref").asText()).as("the last subscribe answered").isEqualTo("s2");
        assertThat(answer.path("type").asText()).isEqualTo("result");
        await().atMost(Duration.ofSeconds(10)).until(() -> topicChannelSubscribers("flip.1") == 1);
        assertThat(ApiClient.of(nodeB).post("/api/v1/topics/flip.1/publish", "{\"data\":7}").status()).isEqualTo(200);
        assertThat(socket.receiveType("publication").get("data").asInt()).isEqualTo(7);
        assertThat(RawWebSocket.httpGet(nodeA.port(), "/health/ready").status()).isEqualTo(200);
    }

    private RawWebSocket resumed(TestServer node, String user) throws Exception {
        RawWebSocket socket = socket(node, user, "d");
        socket.sendJson("{\"type\":\"resume\"}");
        socket.receiveType("synced");
        return socket;
    }
}
