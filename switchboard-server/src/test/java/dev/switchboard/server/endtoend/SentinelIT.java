package dev.switchboard.server.endtoend;

import static dev.switchboard.server.testing.ChatSteps.isReady;
import static dev.switchboard.server.testing.ChatSteps.resumed;
import static dev.switchboard.server.testing.ChatSteps.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.RedisProcess;
import dev.switchboard.server.testing.TestResources;
import dev.switchboard.server.testing.TestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
    private final TestResources resources = new TestResources();
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

    @AfterEach
    void stopEverything() throws Exception {
        try {
            resources.close();
        } finally {
            if (database != null) {
                database.close();
            }
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
        RawWebSocket alice = resumed(resources, nodeA, "alice");
        RawWebSocket bob = resumed(resources, nodeB, "bob");
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
        await().atMost(WAIT).until(() -> isReady(nodeA) && isReady(nodeB));
        assertThat(redis(replica).exists(prefix + ":routes:bob")).as("bob's route, re-announced to the new master").isEqualTo(1);
        send(alice, "bob", "after", "m-2");
        assertThat(bob.receiveType("message").get("message").get("body").asText()).isEqualTo("after");
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

}
