package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.RedisProcess;
import dev.switchboard.server.testing.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R9 with Redis Sentinel: two nodes whose {@code cluster.redisUri} names a Sentinel
 * ({@code redis-sentinel://host:port#master}), not a Redis, find the master through it, chat across
 * nodes, and go on after Sentinel fails the master over to its replica: once Sentinel has made the old
 * master a replica, which disconnects its clients, each node reconnects to whichever the Sentinel then
 * names master, subscribes again and re-announces its routes. Private redis-server processes (master, replica, Sentinel), the shared
 * MariaDB.
 */
class SentinelIT {
    private static final String MASTER_NAME = "switchboard-it";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path directory;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestDatabase database;
    private RedisProcess master;
    private RedisProcess replica;
    private RedisProcess sentinel;
    private RedisSentinelCommands<String, String> sentinelCommands;
    private RedisClient testClient;
    private final Map<Integer, StatefulRedisConnection<String, String>> connections = new HashMap<>();

    @BeforeEach
    void startRedis() throws Exception {
        database = TestDatabase.mariadb();
        master = RedisProcess.start(directory.resolve("master"));
        resources.add(master);
        replica = RedisProcess.startReplica(directory.resolve("replica"), master.port());
        resources.add(replica);
        sentinel = RedisProcess.startSentinel(directory.resolve("sentinel"), MASTER_NAME, master.port());
        resources.add(sentinel);
        testClient = RedisClient.create();
        resources.add(testClient::shutdown);
        StatefulRedisSentinelConnection<String, String> connection =
                testClient.connectSentinel(RedisURI.create("redis://127.0.0.1:" + sentinel.port()));
        resources.add(connection);
        sentinelCommands = connection.sync();
        // A failover needs a replica the Sentinel knows and sees in sync.
        await().atMost(WAIT).until(() -> sentinelCommands.replicas(MASTER_NAME).stream()
                .anyMatch(entry -> entry.getOrDefault("flags", "").equals("slave")
                        && "ok".equals(entry.get("master-link-status"))));
    }

    /** Every resource closed, newest first, whatever fails: a process left running would outlive the test. */
    @AfterEach
    void stopEverything() throws Exception {
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

    private TestServer node(String nodeId, String prefix) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("store.url", database.url());
        overrides.put("cluster.mode", "redis");
        overrides.put("cluster.nodeId", nodeId);
        overrides.put("cluster.keyPrefix", prefix);
        overrides.put("cluster.redisUri", "redis-sentinel://127.0.0.1:" + sentinel.port() + "#" + MASTER_NAME);
        TestServer server = TestServer.start(directory.resolve(nodeId), overrides);
        resources.add(server);
        return server;
    }

    private int masterPort() {
        return ((InetSocketAddress) sentinelCommands.getMasterAddrByName(MASTER_NAME)).getPort();
    }

    @Test
    void nodesFindTheMasterThroughSentinel_andChatAcrossNodes_beforeAndAfterAFailover() throws Exception {
        String prefix = "switchboard-sentinel-" + UUID.randomUUID().toString().substring(0, 8);
        TestServer nodeA = node("node-a", prefix);
        TestServer nodeB = node("node-b", prefix);
        RawWebSocket alice = socket(nodeA, "alice");
        RawWebSocket bob = socket(nodeB, "bob");
        assertThat(masterPort()).isEqualTo(master.port());
        await().atMost(WAIT).until(() -> subscribedClients(master) == 2); // one pub/sub connection a node

        send(alice, "bob", "before", "m-1");
        assertThat(bob.receiveType("message").get("message").get("body").asText()).as("live, across nodes").isEqualTo("before");

        assertThat(sentinelCommands.failover(MASTER_NAME)).isEqualTo("OK");
        await().atMost(WAIT).until(() -> masterPort() == replica.port());
        // bob's route reached the new master by replication; gone, only the node's re-announcing brings it back.
        redis(replica).del(prefix + ":routes:bob");
        // The nodes stay on the old master until Sentinel makes it a replica, which disconnects its clients:
        // Sentinel reads its instances' roles every 10 s. Then they ask Sentinel for the master again.
        await().atMost(WAIT).until(() -> subscribedClients(replica) == 2 && subscribedClients(master) == 0);
        // Ready once reconnected, subscribed again and with their routes re-announced.
        await().atMost(WAIT).until(() -> ready(nodeA) && ready(nodeB));
        assertThat(redis(replica).exists(prefix + ":routes:bob")).as("bob's route, re-announced to the new master").isEqualTo(1);
        send(alice, "bob", "after", "m-2");
        assertThat(bob.receiveType("message").get("message").get("body").asText()).isEqualTo("after");
    }

    private static boolean ready(TestServer node) {
        try {
            return RawWebSocket.httpGet(node.port(), "/health/ready").status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Connections to {@code redis} subscribed to a channel or pattern, Sentinel's aside: the nodes' pub/sub connections. */
    private long subscribedClients(RedisProcess redis) {
        return redis(redis).clientList().lines()
                .filter(line -> !line.contains(" name=sentinel-")) // Sentinel's own hello channel
                .filter(line -> !line.contains(" sub=0 ") || !line.contains(" psub=0 ")).count();
    }

    /** The test's own connection to one of the Redis processes, opened once (it reconnects by itself). */
    private RedisCommands<String, String> redis(RedisProcess redis) {
        return connections.computeIfAbsent(redis.port(), port -> {
            StatefulRedisConnection<String, String> connection = testClient.connect(RedisURI.create("redis://127.0.0.1:" + port));
            resources.add(connection);
            return connection;
        }).sync();
    }

    private static void send(RawWebSocket from, String to, String body, String clientId) throws Exception {
        from.sendJson("{\"type\":\"send\",\"ref\":\"" + clientId + "\",\"clientId\":\"" + clientId
                + "\",\"to\":{\"kind\":\"user\",\"id\":\"" + to + "\"},\"body\":\"" + body + "\"}");
        assertThat(from.receiveType("sent").get("ref").asText()).isEqualTo(clientId);
    }

    private RawWebSocket socket(TestServer node, String user) throws Exception {
        RawWebSocket socket = RawWebSocket.connect(node.port(), "/ws?user=" + user + "&device=phone");
        resources.add(socket);
        assertThat(socket.handshake().status()).isEqualTo(101);
        socket.receiveType("welcome");
        socket.sendJson("{\"type\":\"resume\"}");
        socket.receiveType("synced");
        return socket;
    }
}
