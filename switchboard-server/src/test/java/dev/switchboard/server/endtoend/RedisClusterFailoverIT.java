package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.RedisClusterProcesses;
import dev.switchboard.server.testing.RedisProcess;
import dev.switchboard.server.testing.TestServer;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R9 with a Redis Cluster losing a node: three masters with a replica each, two gateway nodes. The
 * Redis node that holds node B's pub/sub subscription is killed (SIGKILL), and with it, or after
 * it, the master that holds the recipient's route; the cluster promotes that master's replica. A
 * message sent right after the kill, while the cluster has not promoted anyone yet, is stored and
 * reaches the recipient once node B has subscribed again on a live Redis node; later messages
 * arrive live again, and the readiness of both nodes comes back.
 */
class RedisClusterFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestDatabase database;
    private RedisClusterProcesses redisCluster;
    private final String prefix = "switchboard-failover-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void start() throws Exception {
        database = TestDatabase.mariadb();
        redisCluster = RedisClusterProcesses.start(directory.resolve("redis"), 3, true);
        resources.add(redisCluster);
    }

    /** Every resource closed, newest first, whatever fails. */
    @AfterEach
    void stop() throws Exception {
        Exception failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (database != null) {
            database.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    void aKilledRedisNode_isReplacedByItsReplica_andNoMessageIsLost() throws Exception {
        TestServer nodeA = node("node-a");
        TestServer nodeB = node("node-b");
        RedisProcess subscription = await().atMost(WAIT).until(() -> subscriptionOf("node-b"), host -> host != null);
        // The master whose slots the cluster fails over: the subscription's own Redis node when that is a
        // master; when it is a replica, another master (a master and its replica both gone leave slots uncovered).
        RedisProcess master = redisCluster.masters().contains(subscription) ? subscription
                : redisCluster.masters().stream().filter(candidate -> redisCluster.replicaOf(candidate) != subscription)
                        .findFirst().orElseThrow();
        String bob = userWhoseRoutesAreOn(master);
        RawWebSocket alice = resumed(nodeA, "alice");
        RawWebSocket bobOnB = resumed(nodeB, bob);
        send(alice, bob, "before", "m-1");
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText()).as("live, across nodes").isEqualTo("before");

        subscription.kill();
        if (master != subscription) {
            master.kill();
        }
        send(alice, bob, "during", "m-2"); // stored at once: the store is MariaDB; its live delivery may fail

        RedisProcess promoted = redisCluster.replicaOf(master);
        await().atMost(WAIT).until(() -> promoted.command("ROLE").startsWith("master"));
        await().atMost(WAIT).until(() -> ready(nodeA) && ready(nodeB));
        assertThat(subscriptionOf("node-b")).as("node B subscribed again, on a live Redis node").isNotNull();
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText())
                .as("the message sent while the cluster failed over: caught up from the store").isEqualTo("during");

        send(alice, bob, "after", "m-3");
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText()).as("live again").isEqualTo("after");
        assertThat(promoted.command("HEXISTS", prefix + ":routes:" + bob, "node-b"))
                .as("bob's route, on the promoted master").isEqualTo("1");
    }

    private TestServer node(String nodeId) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("store.url", database.url());
        overrides.put("cluster.mode", "redis-cluster");
        overrides.put("cluster.redisUri", redisCluster.uri());
        overrides.put("cluster.nodeId", nodeId);
        overrides.put("cluster.keyPrefix", prefix);
        TestServer server = TestServer.start(directory.resolve(nodeId), overrides);
        resources.add(server);
        return server;
    }

    /** The live Redis node on which the gateway node's pub/sub connection (named after the node) is subscribed, or null. */
    private RedisProcess subscriptionOf(String nodeId) throws IOException {
        for (RedisProcess redis : redisCluster.all()) {
            if (redis.isRunning() && redis.command("CLIENT", "LIST").lines()
                    .anyMatch(line -> line.contains(" name=" + nodeId + " ") && !line.contains(" sub=0 "))) {
                return redis;
            }
        }
        return null;
    }

    private String userWhoseRoutesAreOn(RedisProcess master) {
        for (int n = 0; ; n++) {
            String user = "bob" + n;
            if (redisCluster.masterOfSlot(SlotHash.getSlot(prefix + ":routes:" + user)) == master) {
                return user;
            }
        }
    }

    private static boolean ready(TestServer node) {
        try {
            return RawWebSocket.httpGet(node.port(), "/health/ready").status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static void send(RawWebSocket from, String to, String body, String clientId) throws Exception {
        from.sendJson("{\"type\":\"send\",\"ref\":\"" + clientId + "\",\"clientId\":\"" + clientId
                + "\",\"to\":{\"kind\":\"user\",\"id\":\"" + to + "\"},\"body\":\"" + body + "\"}");
        assertThat(from.receiveType("sent").get("ref").asText()).isEqualTo(clientId);
    }

    private RawWebSocket resumed(TestServer node, String user) throws Exception {
        RawWebSocket socket = RawWebSocket.connect(node.port(), "/ws?user=" + user + "&device=phone");
        resources.add(socket);
        assertThat(socket.handshake().status()).isEqualTo(101);
        socket.receiveType("welcome");
        socket.sendJson("{\"type\":\"resume\"}");
        socket.receiveType("synced");
        return socket;
    }
}
